"""parley: extract diplomatic events (invite, decline, meet, ...) from news."""

__version__ = "0.1.0"
