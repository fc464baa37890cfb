"""Score thresholds tuned on a run's dev articles and saved with its model.

The heads decode every span whose tags win the argmax; a threshold on the span's mean tag probability (or
an argument's role probability) trades recall for precision. `tune_run_thresholds` picks, on the dev split
of a finished `parley train` run, the trigger and argument thresholds of a small grid that maximise trigger
plus argument classification F1, and writes them into the model's config.json, where `EventExtractor` reads
them as its defaults.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from parley.documents import Article
from parley.inference.evaluate import run_split_articles
from parley.inference.extractor import EventExtractor, Thresholds
from parley.scoring import score_articles

GRID = (0.0, 0.3, 0.5, 0.7)


def tune_thresholds(extractor: EventExtractor, dev: list[Article], grid: tuple[float, ...] = GRID) -> Thresholds:
    """The grid's trigger/argument thresholds with the best dev trigger + argument classification F1 (ties: lower)."""
    best, best_score = Thresholds(), -1.0
    for trigger in grid:
        for argument in grid:
            extractor.thresholds = Thresholds(trigger=trigger, argument=argument)
            predicted = [x.to_article() for x in extractor.extract(dev)]
            scores = score_articles(dev, predicted, extractor.schema)
            score = scores.trigger_cls.f1 + scores.argument_cls.f1
            if score > best_score + 1e-9:
                best, best_score = extractor.thresholds, score
    extractor.thresholds = best
    return best


def tune_run_thresholds(run_dir: str | Path, device: str | None = None) -> Thresholds | None:
    """Tune on the run's dev split and save into `run_dir/model/config.json`; None when dev is empty.

    Tuned on the checkpoint as trained (torch float32), whatever runtime will later run it."""
    run_dir = Path(run_dir)
    extractor = EventExtractor.from_pretrained(str(run_dir / "model"), device=device, runtime="torch")
    dev = run_split_articles(run_dir, extractor.schema).get("dev")
    if not dev:
        return None
    best = tune_thresholds(extractor, dev)
    extractor.model.config.thresholds = asdict(best)
    extractor.model.config.save_pretrained(run_dir / "model")
    return best
