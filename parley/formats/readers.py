"""Read labeled articles from files or folders in any supported format."""

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


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    if name.endswith(".ann"):
        return "brat"
    if name.endswith(".json"):
        return "labelstudio"
    return None


def labeled_files(path: str | Path) -> list[Path]:
    """The labeled-article files at a path: the file itself, or every supported file below a folder."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_file():
        if _format_of(path) is None:
            raise ArticleError(
                "unsupported file type; expected .jsonl, .jsonl.gz, .ann (brat) or .json (Label Studio)", str(path)
            )
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and _format_of(p) is not None)


def iter_file(path: Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield each article (or error) of one labeled file."""
    fmt = _format_of(path)
    if fmt == "jsonl":
        yield from read_jsonl(path, schema)
    elif fmt == "brat":
        from parley.formats.brat import read_brat

        yield from read_brat(path, schema)
    elif fmt == "labelstudio":
        from parley.formats.labelstudio import read_labelstudio

        yield from read_labelstudio(path, schema)
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
                        where, line = _split_origin(item.origin or str(file))
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


def _split_origin(origin: str) -> tuple[str, int | None]:
    """ "file:line" -> ("file", line); a bare file name -> (file, None)."""
    where, _, line = origin.rpartition(":")
    return (where, int(line)) if where and line.isdigit() else (origin, None)
