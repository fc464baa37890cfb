"""Labeled-article formats: JSONL (canonical), brat standoff, Label Studio (each read and written), markup (read).

`read_articles` (readers.py) reads any of them; `write_articles` (writers.py) writes the first three.
"""

from parley.formats.readers import ReadResult, read_articles

__all__ = ["ReadResult", "read_articles"]
