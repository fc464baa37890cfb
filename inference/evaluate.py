"""Score a trained checkpoint on labeled articles (docs/schema.md section 7)."""

from __future__ import annotations

import json
from pathlib import Path

from parley.config import config_from_dict
from parley.documents import Article
from parley.formats.readers import read_articles
from parley.inference.extractor import EventExtractor
from parley.scoring import Scores, score_articles


def score_extractor(
    extractor: EventExtractor, gold: list[Article], batch_size: int = 32, progress: bool | None = None
) -> Scores:
    """Predict the gold articles' texts and score the predictions against their labels.

    `progress`: a bar over the model inputs on stderr; None shows it only when stderr is a terminal.
    """
    predicted = [x.to_article() for x in extractor.extract(gold, batch_size=batch_size, progress=progress)]
    return score_articles(gold, predicted, extractor.schema)


def evaluate(
    model_dir: str | Path,
    data: str | Path | list,
    batch_size: int = 32,
    device: str | None = None,
    progress: bool | None = None,
    runtime: str = "auto",
    int8: bool = False,
    dtype: str | None = None,
) -> Scores:
    """Predict every labeled article under `data` with the model and score the predictions against the labels.

    The model runs as `parley predict` runs it (`runtime`, `int8`, `dtype`: as `EventExtractor.from_pretrained`),
    so the scores are those of the predictions a user gets."""
    extractor = EventExtractor.from_pretrained(str(model_dir), device=device, int8=int8, dtype=dtype, runtime=runtime)
    gold = read_articles(data, extractor.schema).articles
    if not gold:
        # Scores over nothing would read P = R = F1 = 1.
        shown = ", ".join(map(str, data)) if isinstance(data, list | tuple) else str(data)
        raise ValueError(
            f"no labeled articles found in {shown} "
            "(expected .jsonl, .jsonl.gz, .ann or .json files; see docs/schema.md)"
        )
    return score_extractor(extractor, gold, batch_size, progress)


def evaluate_run(
    run_dir: str | Path,
    splits: tuple[str, ...] = ("dev", "test"),
    batch_size: int = 32,
    device: str | None = None,
    progress: bool | None = None,
) -> dict[str, Scores]:
    """End-to-end scores of a finished `parley train` run on its own held-out splits (those that have articles).

    The checkpoint as trained (torch float32): a run's scores do not depend on the machine that computes them."""
    extractor = EventExtractor.from_pretrained(str(Path(run_dir) / "model"), device=device, runtime="torch")
    articles = run_split_articles(run_dir, extractor.schema)
    return {
        split: score_extractor(extractor, articles[split], batch_size, progress)
        for split in splits
        if articles.get(split)
    }


def run_split_articles(run_dir: str | Path, schema) -> dict[str, list[Article]]:
    """The labeled articles of each split of a finished `parley train` run, as its splits.json lists them."""
    run_dir = Path(run_dir)
    data = config_from_dict(json.loads((run_dir / "run_config.json").read_text())).data
    ids = json.loads((run_dir / "splits.json").read_text())
    paths = [*(data.train_paths or data.paths), *(data.dev_paths or []), *(data.test_paths or [])]
    by_id = {a.id: a for a in read_articles(paths, schema, lenient=data.lenient).articles}
    return {split: [by_id[i] for i in split_ids] for split, split_ids in ids.items()}
