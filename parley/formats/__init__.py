"""Labeled-article formats, each with its reader and writer: JSONL (canonical), brat standoff, Label Studio, markup."""

from parley.formats.readers import ReadResult, read_articles

__all__ = ["ReadResult", "read_articles"]
