"""Write labeled articles in any supported format: the counterpart of readers.py, for `parley convert`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from parley.documents import Article, ArticleError
from parley.formats.brat_writer import write_brat_folder
from parley.formats.jsonl import write_jsonl
from parley.formats.labelstudio import write_labelstudio
from parley.schema import Schema

OUTPUT_FORMATS = ("jsonl", "brat", "labelstudio")


def output_format(path: str | Path, to: str | None = None) -> str:
    """The format to write at `path`: `to` if given, else by name: .jsonl(.gz), .json (Label Studio), folder (brat)."""
    if to is not None:
        if to not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {to!r}; expected one of {list(OUTPUT_FORMATS)}")
        return to
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    if name.endswith(".json"):
        return "labelstudio"
    if path.is_dir() or not path.suffix:
        return "brat"
    raise ValueError(
        f"{path}: cannot tell the output format from the name; end it in .jsonl, .jsonl.gz or .json (Label Studio), "
        f"name a folder for brat, or give the format ({', '.join(OUTPUT_FORMATS)})"
    )


def check_output(path: str | Path, folder: bool, overwrite: bool = False) -> None:
    """Refuse an output that would replace what is there (a file, or a folder's contents) unless `overwrite`."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} is a file; brat output is a folder")
    if not folder and path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; this output is one file")
    if overwrite:
        return
    if folder and path.is_dir() and any(path.iterdir()):
        raise FileExistsError(f"{path} is a folder that is not empty; --overwrite writes into it anyway")
    if not folder and path.exists():
        raise FileExistsError(f"{path} exists; --overwrite replaces it")


def write_articles(articles: Iterable[Article], path: str | Path, fmt: str, schema: Schema) -> list[ArticleError]:
    """Write articles at `path` in `fmt`; return the errors of articles the format cannot hold (none written then)."""
    if fmt == "jsonl":
        write_jsonl(articles, path)
        return []
    if fmt == "labelstudio":
        write_labelstudio(articles, path)
        return []
    if fmt == "brat":
        return write_brat_folder(articles, path, schema)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {list(OUTPUT_FORMATS)}")
