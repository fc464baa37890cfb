"""Score a trained checkpoint on labeled articles (SCHEMA.md section 7)."""

from __future__ import annotations

from pathlib import Path

from parley.inference.extractor import EventExtractor
from parley.training.readers import read_articles
from parley.training.scoring import Scores, score_articles


def evaluate(model_dir: str | Path, data: str | Path | list, batch_size: int = 32, device: str | None = None,
             extractor: EventExtractor | None = None) -> Scores:
    """Predict every labeled article under `data` with the model and score the predictions against the labels."""
    extractor = extractor or EventExtractor.from_pretrained(str(model_dir), device=device)
    gold = read_articles(data, extractor.schema).articles
    predicted = [x.to_article() for x in extractor.extract(gold, batch_size=batch_size)]
    return score_articles(gold, predicted, extractor.schema)
