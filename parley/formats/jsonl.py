"""Labeled articles as JSON Lines (the canonical format, docs/schema.md section 6)."""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from parley.documents import Article, ArticleError, article_from_dict
from parley.schema import Schema


def read_jsonl(path: str | Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield each article of a .jsonl or .jsonl.gz file, or the error that stopped it."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    # Binary lines, each decoded alone: a bad byte costs its own article, not the rest of the file.
    with opener(path, "rb") as handle:
        for line_number, data in enumerate(handle, start=1):
            if line_number == 1 and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]  # a byte-order mark some editors write; not part of the JSON
            if not data.strip():
                continue
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError as err:
                yield ArticleError(
                    f"not UTF-8 text (byte 0x{data[err.start]:02x} at column {err.start + 1})",
                    str(path),
                    line_number,
                    _id_of(data),
                )
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as err:
                yield ArticleError(
                    f"not valid JSON ({err.msg} at column {err.colno})", str(path), line_number, _id_of(data)
                )
                continue
            try:
                yield article_from_dict(raw, schema, str(path), line_number)
            except ArticleError as err:
                yield err


def _id_of(data: bytes) -> str | None:
    """The article id of a line that does not parse, if its "id" field can still be read."""
    found = _ID.search(data.decode("utf-8", errors="replace"))
    try:
        return json.loads(found.group(1)) if found else None
    except json.JSONDecodeError:
        return None


_ID = re.compile(r'^\s*\{\s*"id"\s*:\s*("(?:[^"\\]|\\.)*")')


def write_jsonl(articles: Iterable[Article], path: str | Path) -> None:
    """Write articles one per line, keeping non-ASCII text readable (gzipped when the name ends in .gz)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
