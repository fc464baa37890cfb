"""The status confusion matrix of a training run: its test split run through its model, events matched as scoring
matches them (same trigger span and type, parley.scoring), each pair counted by gold and predicted status.

Events the model missed count in the column `NO_EVENT`, events it made up in the row `NO_EVENT`; the matched
pairs on the diagonal over all matched pairs is the status accuracy of scores_test.json.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from parley.documents import Article
from parley.inference import EventExtractor
from parley.inference.evaluate import run_split_articles
from parley.scoring.matching import greedy_match

NO_EVENT = "(no event)"


def status_confusion(gold: Sequence[Article], predicted: Sequence[Article]) -> Counter[tuple[str, str]]:
    """(gold status, predicted status) -> events, over articles paired by id; NO_EVENT for the unmatched side."""
    predicted_by_id = {article.id: article for article in predicted}
    counts: Counter[tuple[str, str]] = Counter()
    for gold_article in gold:
        guess = predicted_by_id.get(gold_article.id)
        gold_events, pred_events = gold_article.events, guess.events if guess else []
        pairs = greedy_match(
            [(e.trigger.start, e.trigger.end, e.type) for e in gold_events],
            [(e.trigger.start, e.trigger.end, e.type) for e in pred_events],
            same_key=True,
        )
        for g, p in pairs:
            counts[(gold_events[g].status, pred_events[p].status)] += 1
        matched_gold, matched_pred = {g for g, _ in pairs}, {p for _, p in pairs}
        counts.update((e.status, NO_EVENT) for i, e in enumerate(gold_events) if i not in matched_gold)
        counts.update((NO_EVENT, e.status) for i, e in enumerate(pred_events) if i not in matched_pred)
    return counts


def run_status_confusion(
    run_dir: str | Path, split: str = "test", device: str | None = None, batch_size: int = 32
) -> Counter[tuple[str, str]]:
    """The confusion of a finished run's `split`, predicted now by the run's model from the run's own data."""
    run_dir = Path(run_dir)
    # As the run's own scores were computed (`evaluate_run`): the checkpoint as trained.
    extractor = EventExtractor.from_pretrained(str(run_dir / "model"), device=device, runtime="torch")
    try:
        articles = run_split_articles(run_dir, extractor.schema).get(split) or []
    except KeyError as err:
        raise ValueError(
            f"{run_dir / 'splits.json'}: names article {err} that the run's data paths do not hold "
            "(run parley report from the folder the run was trained in)"
        ) from err
    if not articles:
        raise ValueError(f"{run_dir / 'splits.json'}: the run has no {split} articles")
    predicted = [x.to_article() for x in extractor.extract(articles, batch_size=batch_size, progress=False)]
    return status_confusion(articles, predicted)
