"""Labeled articles as brat standoff files: `<id>.txt` (the text) beside `<id>.ann` (the labels).

One article per pair. What the `.ann` holds, line by line (tab-separated, as brat writes it):

    #1  ParleyArticle #1    {"id": "seed-003", "date": "2017-01-27", "source": "AFP", "url": null}
    T1  PER 120 131 Riyad Hijab
    T2  MEETING 190 204 Friday's talks
    T3  DECLINE 212 220 declined
    E1  DECLINE:T3 agent:T1 meeting:T2
    A1  Status E1 asserted
    T4  PER 240 242 he
    R1  Coref Arg1:T4 Arg2:T1
    #2  ParleyId T5 "nk"

- `T` lines are mentions when their type is a mention label and event triggers when it is an event
  type; offsets count code points of the `.txt`. A span that crosses a line break is written as
  brat writes it, one fragment per line (`T6 ORG 10 16;17 26`, text joined by a space); fragments
  separated by anything but line breaks are refused, and a span that begins or ends at a line
  break cannot be written.
- `E` lines are events, `TYPE:trigger role:Tid ...`; a repeated role is numbered the brat way
  (`agent:T1 agent2:T4`) and read back as the role.
- `A` lines `Status Eid value` give each event its status (exactly one per event).
- Coref is a relation `Coref Arg1:pronoun Arg2:antecedent`, which brat draws as an arc.
- Article metadata lives in a `#` comment of type `ParleyArticle` whose target is the comment
  itself: brat parses it, finds the target defined, and shows nothing. Its text is one JSON
  object with `id`, `date`, `source`, `url`. Without it the id is the file name.
- Entity or event ids that brat cannot hold (anything but `T<n>` / `E<n>`) are renumbered and
  kept in a `ParleyId` comment on the annotation (a JSON string), which brat deletes with it.
- Other `#` comments (brat's AnnotatorNotes) are allowed and ignored.

brat reads the `.txt` with universal newlines, so an article whose text holds `\\r` cannot be
written (its offsets would shift); normalise line ends first.

This module reads (the references between annotations, and the article they make); brat_standoff.py parses
and checks each line, brat_writer.py writes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from parley.documents import Article, ArticleError, article_from_dict
from parley.formats.brat_standoff import (
    COREF_RELATION,
    ID_NOTE_TYPE,
    STATUS_ATTRIBUTE,
    EventLine,
    ParsedAnn,
    TextBound,
    parse_ann_lines,
    prescan_article_id,
)
from parley.formats.brat_writer import brat_annotation_conf, brat_files, write_brat, write_brat_folder
from parley.schema import Schema

__all__ = ["brat_annotation_conf", "brat_files", "read_brat", "write_brat", "write_brat_folder"]


def read_brat(ann_path: str | Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield the article of a brat `.ann` file and the `.txt` beside it, or the error that stopped it."""
    ann_path = Path(ann_path)
    try:
        yield _read_pair(ann_path, schema)
    except ArticleError as err:
        yield err


def _read_pair(ann_path: Path, schema: Schema) -> Article:
    raw = ann_path.read_bytes().removeprefix(codecs.BOM_UTF8)  # a byte-order mark is not an annotation line
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ArticleError(f"not valid UTF-8 ({err.reason})", str(ann_path), line, ann_path.stem) from err
    # brat reads with universal newlines; a CRLF .ann is fine.
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    article_id = prescan_article_id(lines) or ann_path.stem

    def fail(message: str, line: int | None) -> ArticleError:
        return ArticleError(message, str(ann_path), line, article_id)

    txt_path = ann_path.with_suffix(".txt")
    if not txt_path.is_file():
        raise fail(f"missing text file {txt_path.name} beside the .ann", None)
    try:
        text = txt_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise fail(f"{txt_path.name} is not valid UTF-8 ({err.reason})", None) from err

    parsed = parse_ann_lines(lines, text, schema, fail)
    record = _resolve(parsed, text, schema, fail, article_id)
    try:
        return article_from_dict(record, schema, str(ann_path), parsed.meta_line)
    except ArticleError as err:
        # The shared checks name ids, not lines: point at the line of the first id they name.
        named = (parsed.line_of.get(token) for token in re.findall(r"[\w.-]+", err.message))
        line = next((n for n in named if n is not None), parsed.meta_line)
        raise ArticleError(err.message, str(ann_path), line, article_id) from err


def _resolve(parsed: ParsedAnn, text: str, schema: Schema, fail, article_id: str) -> dict[str, Any]:
    """Check every reference between annotations and build the article's JSONL record."""
    _check_references(parsed, schema, fail)
    names = _article_ids(parsed, schema, fail)
    spans = parsed.textbounds
    entities = []
    for brat_id in (s.id for s in spans.values() if s.type in schema.mention_labels):
        span = spans[brat_id]
        record = {"id": names[brat_id], "start": span.start, "end": span.end, "label": span.type}
        if brat_id in parsed.corefs:
            record["coref"] = names[parsed.corefs[brat_id][0]]
        entities.append(record)
    events = []
    for event in parsed.events.values():
        trigger = spans[event.trigger]
        events.append(
            {
                "id": names[event.id],
                "type": event.type,
                "status": parsed.statuses[event.id][0],
                "trigger": {"start": trigger.start, "end": trigger.end},
                "arguments": [{"role": role, "entity": names[target]} for role, target in event.arguments],
            }
        )
    meta = parsed.meta or {}
    return {
        "id": meta.get("id", article_id),
        "text": text,
        "date": meta.get("date"),
        "source": meta.get("source"),
        "url": meta.get("url"),
        "entities": entities,
        "events": events,
    }


def _check_references(parsed: ParsedAnn, schema: Schema, fail) -> None:
    """Every id an annotation names is defined and of the kind it needs; every trigger and event is complete."""
    spans = parsed.textbounds
    for target, (_, number) in parsed.statuses.items():
        if target not in parsed.events:
            raise fail(f"{STATUS_ATTRIBUTE} refers to {target}, which is not an event defined in this file", number)
    used_triggers = {_check_event(event, parsed, schema, fail) for event in parsed.events.values()}
    for span in spans.values():
        if span.type in schema.event_types and span.id not in used_triggers:
            raise fail(f"{span.id}: {span.type} trigger is used by no E line", span.line)
    for pronoun, (antecedent, number) in parsed.corefs.items():
        _mention(parsed, pronoun, f"{COREF_RELATION} Arg1", number, schema, fail)
        _mention(parsed, antecedent, f"{COREF_RELATION} Arg2", number, schema, fail)
        if pronoun == antecedent:
            raise fail(f"{COREF_RELATION}: {pronoun} points to itself", number)
    for target, number in [(t, n) for t, (_, n) in parsed.id_notes.items()] + parsed.notes:
        if target not in parsed.line_of:
            raise fail(f"comment refers to undefined id {target}", number)


def _check_event(event: EventLine, parsed: ParsedAnn, schema: Schema, fail) -> str:
    """Check an event's trigger, arguments and status; return its trigger's id."""
    spans, where = parsed.textbounds, event.id
    if event.trigger not in spans:
        raise fail(f"{where}: trigger {event.trigger} is not defined", event.line)
    trigger = spans[event.trigger]
    if trigger.type != event.type:
        raise fail(f"{where}: trigger {trigger.id} has type {trigger.type}, the event {event.type}", event.line)
    seen: set[tuple[str, str]] = set()
    for role, target in event.arguments:
        label = _mention(parsed, target, f"{where} argument {role}", event.line, schema, fail).type
        if not schema.allows(role, label):
            raise fail(
                f"{where}: role {role!r} does not take a {label} mention ({target}); "
                f"allowed: {list(schema.roles[role].labels)}",
                event.line,
            )
        if (role, target) in seen:
            raise fail(f"{where}: argument {role}={target} is listed twice", event.line)
        seen.add((role, target))
    if event.id not in parsed.statuses:
        raise fail(f"{where}: no '{STATUS_ATTRIBUTE}' attribute line gives this event a status", event.line)
    return trigger.id


def _mention(parsed: ParsedAnn, ref: str, who: str, number: int, schema: Schema, fail) -> TextBound:
    """The mention `ref` names, or the error of `who` pointing at an undefined id or a trigger."""
    spans = parsed.textbounds
    if ref not in spans:
        raise fail(f"{who} refers to undefined id {ref}", number)
    if spans[ref].type not in schema.mention_labels:
        raise fail(f"{who} refers to {ref}, a {spans[ref].type} trigger, where a mention is expected", number)
    return spans[ref]


def _article_ids(parsed: ParsedAnn, schema: Schema, fail) -> dict[str, str]:
    """brat id -> the article's own id (from ParleyId notes), which must stay unique."""
    names: dict[str, str] = {}
    owner: dict[str, str] = {}
    mention_ids = [s.id for s in parsed.textbounds.values() if s.type in schema.mention_labels]
    for brat_id in mention_ids + list(parsed.events):
        name, note_line = parsed.id_notes.get(brat_id, (brat_id, parsed.line_of[brat_id]))
        if name in owner:
            raise fail(f"id {name!r} of {brat_id} is also the id of {owner[name]}", note_line)
        names[brat_id], owner[name] = name, brat_id
    for target, (_, number) in parsed.id_notes.items():
        if target not in names:
            raise fail(f"{ID_NOTE_TYPE} on {target}, which is neither a mention nor an event", number)
    # Errors from the shared checks name article ids; map those to lines too.
    for brat_id, name in names.items():
        parsed.line_of.setdefault(name, parsed.line_of[brat_id])
    return names
