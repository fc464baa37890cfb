"""Read labeled articles from files or folders in any supported format.

A folder is searched for .jsonl, .jsonl.gz, .ann (brat) and .json (Label Studio) files. Markup passages
(parley/formats/markup.py) are .txt files, which a folder of brat pairs also holds, so they are read only when
named one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from parley.documents import Article, ArticleError
from parley.formats.jsonl import read_jsonl
from parley.schema import Schema, load_schema


@dataclass
class ReadResult:
    """What a read produced: the valid articles and one error per rejected article."""

    articles: list[Article] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)


def _format_of(path: Path, named: bool = False) -> str | None:
    """The format of a labeled file by its name; `named`: the file was given itself, not found in a folder."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    if name.endswith(".ann"):
        return "brat"
    if name.endswith(".json"):
        return "labelstudio"
    if named and name.endswith(".txt"):
        return "markup"
    return None


def labeled_files(path: str | Path) -> list[Path]:
    """The labeled-article files at a path: the file itself, or every supported file below a folder."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_file():
        if _format_of(path, named=True) is None:
            raise ArticleError(
                "unsupported file type; expected .jsonl, .jsonl.gz, .ann (brat), .json (Label Studio) or .txt (markup)",
                str(path),
            )
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and _format_of(p) is not None)


def iter_file(path: Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield each article (or error) of one labeled file."""
    fmt = _format_of(path, named=True)
    if fmt == "jsonl":
        yield from read_jsonl(path, schema)
    elif fmt == "brat":
        from parley.formats.brat import read_brat

        yield from read_brat(path, schema)
    elif fmt == "labelstudio":
        from parley.formats.labelstudio import read_labelstudio

        yield from read_labelstudio(path, schema)
    elif fmt == "markup" and path.with_suffix(".ann").is_file():
        yield ArticleError(f"the text of a brat pair; name {path.with_suffix('.ann').name} or its folder", str(path))
    elif fmt == "markup":
        from parley.formats.markup import read_markup

        yield from read_markup(path, schema)
    else:
        yield ArticleError("unsupported file type", str(path))


def read_articles(
    paths: str | Path | Iterable[str | Path], schema: Schema | None = None, lenient: bool = False
) -> ReadResult:
    """Read and validate every article under `paths`.

    Strict mode raises the first error; lenient mode skips bad articles and
    returns each one's error beside the good articles.
    """
    schema = schema or load_schema()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    result = ReadResult()
    first_seen: dict[str, str] = {}
    for root in paths:
        for file in labeled_files(root):
            for item in iter_file(file, schema):
                if isinstance(item, Article):
                    if item.id in first_seen:
                        where, line = split_origin(item.origin or str(file))
                        item = ArticleError(
                            f"duplicate article id (first seen at {first_seen[item.id]})", where, line, item.id
                        )
                    else:
                        first_seen[item.id] = item.origin or str(file)
                if isinstance(item, ArticleError):
                    if not lenient:
                        raise item
                    result.errors.append(item)
                else:
                    result.articles.append(item)
    return result


def split_origin(origin: str) -> tuple[str, int | None]:
    """ "file:line" -> ("file", line); a bare file name -> (file, None)."""
    where, _, line = origin.rpartition(":")
    return (where, int(line)) if where and line.isdigit() else (origin, None)
