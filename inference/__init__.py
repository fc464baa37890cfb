"""parley.inference: EventExtractor, decoding and news-dump IO."""

from parley.inference.events import Argument, Event, Extraction, Mention
from parley.inference.extractor import EventExtractor, Thresholds

__all__ = ["Argument", "Event", "EventExtractor", "Extraction", "Mention", "Thresholds"]
