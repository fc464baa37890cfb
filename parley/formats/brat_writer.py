"""Write articles as brat standoff (`<stem>.txt` beside `<stem>.ann`, as parley/formats/brat.py describes) and
the annotation.conf that lets brat show them."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from parley.documents import Article, ArticleError
from parley.formats.brat_standoff import (
    COREF_RELATION,
    ID_NOTE_TYPE,
    LINE_BREAKS,
    META_TYPE,
    METADATA_KEYS,
    STATUS_ATTRIBUTE,
)
from parley.formats.readers import split_origin
from parley.schema import Schema

_BRAT_T_ID = re.compile(r"T[0-9]+")
_BRAT_E_ID = re.compile(r"E[0-9]+")


def write_brat(article: Article, folder: str | Path) -> tuple[Path, Path]:
    """Write one article as `<stem>.txt` and `<stem>.ann` in `folder`, the stem made from its id; return both paths."""
    text, ann = brat_files(article)
    return _write_pair(Path(folder), file_stem(article.id), text, ann)


def write_brat_folder(articles: Iterable[Article], folder: str | Path, schema: Schema) -> list[ArticleError]:
    """Write every article as a brat pair, and brat's annotation.conf, into `folder`.

    Writes nothing and returns one error per article if any cannot be held by brat.
    """
    articles, pairs, errors = list(articles), [], []
    for article in articles:
        try:
            pairs.append(brat_files(article))
        except ArticleError as err:
            where, line = split_origin(article.origin) if article.origin else (None, None)
            errors.append(ArticleError(err.message, where, line, article.id))
    if errors:
        return errors
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, (text, ann) in zip(_unique_stems(a.id for a in articles), pairs, strict=True):
        _write_pair(folder, stem, text, ann)
    (folder / "annotation.conf").write_text(brat_annotation_conf(schema), encoding="utf-8")
    return []


def _unique_stems(article_ids: Iterable[str]) -> list[str]:
    """A file stem per article; ids that make the same stem (`a/b`, `a_b`) get `-2`, `-3` ... (ids are kept inside)."""
    taken: set[str] = set()
    stems = []
    for article_id in article_ids:
        base = stem = file_stem(article_id)
        n = 2
        # Compared without case: on macOS and Windows `A.ann` and `a.ann` are one file.
        while stem.lower() in taken:
            stem, n = f"{base}-{n}", n + 1
        taken.add(stem.lower())
        stems.append(stem)
    return stems


def _write_pair(folder: Path, stem: str, text: str, ann: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    txt_path, ann_path = folder / f"{stem}.txt", folder / f"{stem}.ann"
    # newline="" keeps the text byte-exact on every platform.
    with open(txt_path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    with open(ann_path, "w", encoding="utf-8", newline="") as handle:
        handle.write(ann)
    return txt_path, ann_path


def brat_files(article: Article) -> tuple[str, str]:
    """The contents of an article's `.txt` and `.ann`; an `ArticleError` if brat cannot hold it."""
    text = article.text
    if "\r" in text:
        raise ArticleError(
            "text holds a carriage return; brat reads it as a line end, so offsets would shift", article_id=article.id
        )
    lines = [f"#1\t{META_TYPE} #1\t{_json_line({key: getattr(article, key) for key in METADATA_KEYS})}"]
    id_notes: list[tuple[str, str]] = []
    t_of = _brat_ids([e.id for e in article.entities], _BRAT_T_ID, "T", id_notes)
    e_of = _brat_ids([ev.id for ev in article.events], _BRAT_E_ID, "E", id_notes)
    taken_t = {int(t[1:]) for t in t_of.values()}
    free_t = (n for n in itertools.count(1) if n not in taken_t)

    for entity in article.entities:
        lines.append(_textbound_line(t_of[entity.id], entity.label, entity.start, entity.end, article))
    for number, event in enumerate(article.events, start=1):
        trigger_id = f"T{next(free_t)}"
        lines.append(_textbound_line(trigger_id, event.type, event.trigger.start, event.trigger.end, article))
        counts: dict[str, int] = {}
        arguments = []
        for argument in event.arguments:
            counts[argument.role] = counts.get(argument.role, 0) + 1
            suffix = "" if counts[argument.role] == 1 else str(counts[argument.role])
            arguments.append(f" {argument.role}{suffix}:{t_of[argument.entity]}")
        lines.append(f"{e_of[event.id]}\t{event.type}:{trigger_id}{''.join(arguments)}")
        lines.append(f"A{number}\t{STATUS_ATTRIBUTE} {e_of[event.id]} {event.status}")
    corefs = [e for e in article.entities if e.coref is not None]
    for number, entity in enumerate(corefs, start=1):
        lines.append(f"R{number}\t{COREF_RELATION} Arg1:{t_of[entity.id]} Arg2:{t_of[entity.coref]}")
    for number, (brat_id, own) in enumerate(id_notes, start=2):
        lines.append(f"#{number}\t{ID_NOTE_TYPE} {brat_id}\t{_json_line(own)}")
    return text, "\n".join(lines) + "\n"


def _brat_ids(own_ids: list[str], pattern: re.Pattern, prefix: str, id_notes: list[tuple[str, str]]) -> dict[str, str]:
    """Own id -> brat id: ids brat can hold are kept, the rest renumbered and noted in `id_notes`."""
    kept = {i: i for i in own_ids if pattern.fullmatch(i)}
    taken = {int(i[1:]) for i in kept}
    free = (n for n in itertools.count(1) if n not in taken)
    for own in own_ids:
        if own not in kept:
            kept[own] = f"{prefix}{next(free)}"
            id_notes.append((kept[own], own))
    return kept


def _textbound_line(brat_id: str, label: str, start: int, end: int, article: Article) -> str:
    text = article.text
    fragments, begin = [], None
    for i in range(start, end):
        if text[i] in LINE_BREAKS:
            if begin is not None:
                fragments.append((begin, i))
            begin = None
        elif begin is None:
            begin = i
    if begin is not None:
        fragments.append((begin, end))
    if not fragments or fragments[0][0] != start or fragments[-1][1] != end:
        raise ArticleError(
            f"{brat_id} span [{start}, {end}) {text[start:end]!r} begins or ends with a line break, "
            "which brat cannot hold",
            article_id=article.id,
        )
    offsets = ";".join(f"{s} {e}" for s, e in fragments)
    return f"{brat_id}\t{label} {offsets}\t{' '.join(text[s:e] for s, e in fragments)}"


def _json_line(value: Any) -> str:
    """JSON on one brat line: keep non-ASCII readable, escape what a line reader would split at."""
    encoded = json.dumps(value, ensure_ascii=False)
    return "".join(f"\\u{ord(ch):04x}" if ch in LINE_BREAKS else ch for ch in encoded)


def file_stem(article_id: str) -> str:
    """A file name for an article id; the id itself is kept in the metadata comment."""
    stem = re.sub(r"[^\w.-]", "_", article_id).lstrip(".")
    return stem or "article"


def brat_annotation_conf(schema: Schema) -> str:
    """An annotation.conf for brat that declares the schema's labels, events, roles, status and coref."""
    roles = ", ".join(f"{r.name}*:{'|'.join(r.labels)}" for r in schema.roles.values())
    mentions = "|".join(schema.mention_labels)
    lines = ["[entities]", *schema.mention_labels, "", "[relations]"]
    lines.append(f"{COREF_RELATION}\tArg1:{mentions}, Arg2:{mentions}")
    lines += ["", "[events]", *(f"{name}\t{roles}" for name in schema.event_types), "", "[attributes]"]
    lines.append(f"{STATUS_ATTRIBUTE}\tArg:<EVENT>, Value:{'|'.join(schema.statuses)}")
    return "\n".join(lines) + "\n"
