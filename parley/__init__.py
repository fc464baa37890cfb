"""parley: extract diplomatic events (invite, decline, meet, ...) from news."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # Importing torch and transformers only when the extractor is asked for keeps `parley validate` fast.
    if name == "EventExtractor":
        from parley.inference import EventExtractor

        return EventExtractor
    raise AttributeError(f"module 'parley' has no attribute {name!r}")
