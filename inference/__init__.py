"""parley.inference: EventExtractor, decoding and news-dump IO."""

from parley.inference.events import Argument, Event, Extraction, Mention

__all__ = ["Argument", "Event", "EventExtractor", "Extraction", "Mention", "Thresholds"]


def __getattr__(name: str):
    # torch and transformers load with the extractor only, so that `parley predict` refuses bad arguments at once.
    if name in ("EventExtractor", "Thresholds"):
        from parley.inference import extractor

        return getattr(extractor, name)
    raise AttributeError(f"module 'parley.inference' has no attribute {name!r}")
