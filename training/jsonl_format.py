"""Labeled articles as JSON Lines (the canonical format, SCHEMA.md section 6)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from parley.articles import Article, ArticleError, article_from_dict
from parley.schema import Schema


def read_jsonl(path: str | Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield each article of a .jsonl or .jsonl.gz file, or the error that stopped it."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as err:
                yield ArticleError(f"not valid JSON ({err.msg} at column {err.colno})", str(path), line_number)
                continue
            try:
                yield article_from_dict(raw, schema, str(path), line_number)
            except ArticleError as err:
                yield err


def write_jsonl(articles: Iterable[Article], path: str | Path) -> None:
    """Write articles one per line, keeping non-ASCII text readable."""
    with open(path, "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
