"""What `parley report` reads: parley predict's extraction records or an event table, as event rows and articles.

Both inputs become event-table rows (docs/event_table.md: coded actor names, dates, sentences), which the charts
count, and `ArticleView`s, which the article browser shows. Extraction records give each article's whole text with
every argument's offsets and score; an event table gives only the sentences of each story and its events' actors
as written, found again in the sentence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parley.inference.actors import ActorCoder
from parley.inference.event_table import EventTable
from parley.inference.event_table_io import read_event_table, table_format
from parley.inference.events import Extraction
from parley.inference.extraction_records import read_extractions
from parley.schema import Schema

# The event-table columns the report reads.
REPORT_COLUMNS = ("event_date", "event_type", "status", "source_name", "target_name", "story_id", "sentence")


@dataclass
class Span:
    """A highlighted stretch of an article: a trigger (label: its event type) or an argument (label: its role)."""

    start: int
    end: int
    kind: str
    label: str
    tag: str  # what the page prints beside it: event number, status, role, score


@dataclass
class EventLine:
    """One event as listed under its article."""

    number: int
    type: str
    status: str
    trigger: str
    score: float | None
    status_score: float | None
    arguments: list[tuple[str, str, float | None]]  # (role, text as written, score)


@dataclass
class ArticleView:
    """One article as the browser shows it."""

    id: str
    text: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    spans: list[Span] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)


@dataclass
class Findings:
    """A report's input: event rows (one per event and dyad) and the articles behind them."""

    rows: list[dict[str, Any]]
    articles: list[ArticleView]
    whole_texts: bool  # False: the articles hold only the sentences of their events (an event-table input)


def read_findings(path: str | Path, schema: Schema, actors: str | Path | None = None) -> Findings:
    """The findings of parley predict's output at `path`: JSONL extraction records or an event table."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    kind = table_format(path) if path.suffix.lower() != ".jsonl" else _jsonl_kind(path)
    if kind != "extractions":
        rows = read_event_table(path)
        _check_columns(rows, path)
        return Findings(rows, articles_from_rows(rows, schema), whole_texts=False)
    table = EventTable(schema, ActorCoder(actors, schema=schema))
    rows, articles = [], []
    for extraction in read_extractions(path):
        rows += table.rows(extraction)
        articles.append(article_from_extraction(extraction))
    return Findings(rows, articles, whole_texts=True)


def _jsonl_kind(path: Path) -> str:
    """ "extractions" or "jsonl" (an event table), from the first record; anything else is refused."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not valid JSON: {err.msg}") from err
            if isinstance(record, dict) and "entities" in record and "text" in record:
                return "extractions"
            if isinstance(record, dict) and "story_id" in record and "event_type" in record:
                return "jsonl"
            raise ValueError(
                f"{path}:{number}: neither parley predict's extraction records (id, text, entities, events) nor "
                "event-table rows (event_type, story_id, ...); a --dyads output is neither: rerun parley predict "
                "without --dyads, or with --format events"
            )
    return "extractions"  # an empty file: no articles


def _check_columns(rows: list[dict[str, Any]], path: Path) -> None:
    missing = [column for column in REPORT_COLUMNS if rows and column not in rows[0]]
    if missing:
        raise ValueError(f"{path}: not an event table of parley predict --format events: no column {missing}")


def event_key(row: dict[str, Any]) -> tuple:
    """What one event's rows share (an event has a row per dyad)."""
    return (row.get("story_id"), row.get("sentence_number"), row.get("trigger"), row["event_type"], row["status"])


def article_from_extraction(extraction: Extraction) -> ArticleView:
    """An article with its whole text, each event's trigger and arguments highlighted with their scores."""
    view = ArticleView(str(extraction.article_id), extraction.text, extraction.date, extraction.source, extraction.url)
    for number, event in enumerate(extraction.events, start=1):
        arguments = [(a.role, a.mention.text, a.score) for a in event.arguments]
        view.events.append(
            EventLine(number, event.type, event.status, event.trigger.text, event.score, event.status_score, arguments)
        )
        trigger = event.trigger
        tag = f"E{number} {event.type} {event.status} {event.score:.2f}"
        view.spans.append(Span(trigger.start, trigger.end, "trigger", event.type, tag))
        for argument in event.arguments:
            mention = argument.mention
            tag = f"{argument.role} E{number} {argument.score:.2f}"
            view.spans.append(Span(mention.start, mention.end, "argument", argument.role, tag))
    return view


def articles_from_rows(rows: Iterable[dict[str, Any]], schema: Schema) -> list[ArticleView]:
    """One article per story of an event table: its events' sentences, triggers and actors found again in them."""
    stories: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        stories.setdefault(str(row.get("story_id")), []).append(row)
    return [_story_view(story_id, story_rows, schema) for story_id, story_rows in stories.items()]


def _story_view(story_id: str, rows: list[dict[str, Any]], schema: Schema) -> ArticleView:
    sentences = {row.get("sentence_number") or 0: row.get("sentence") or "" for row in rows}
    offsets, text = {}, ""
    for number in sorted(sentences):
        offsets[number] = len(text)
        text += sentences[number] + "\n"
    first = rows[0]
    view = ArticleView(story_id, text.rstrip("\n"), first.get("event_date"), first.get("publisher"), first.get("url"))
    events: dict[tuple, EventLine] = {}
    roles = (schema.meanings.source_role, schema.meanings.target_role)
    for row in rows:
        key = event_key(row)
        number = row.get("sentence_number") or 0
        if key not in events:
            events[key] = EventLine(
                len(events) + 1,
                row["event_type"],
                row["status"],
                row.get("trigger") or "",
                row.get("confidence"),
                None,
                [],
            )
            score = row.get("confidence")
            tag = f"E{events[key].number} {row['event_type']} {row['status']}" + (f" {score:.2f}" if score else "")
            _find(view, sentences[number], offsets[number], row.get("trigger"), "trigger", row["event_type"], tag)
        event = events[key]
        for role, raw in zip(roles, (row.get("source_raw"), row.get("target_raw")), strict=True):
            if raw and (role, raw, None) not in event.arguments:
                event.arguments.append((role, raw, None))
                _find(view, sentences[number], offsets[number], raw, "argument", role, f"{role} E{event.number}")
    view.events = list(events.values())
    return view


def _find(view: ArticleView, sentence: str, offset: int, needle: str | None, kind: str, label: str, tag: str) -> None:
    """Highlight the first whole-word occurrence of `needle` in the sentence, if there is one."""
    if not needle:
        return
    match = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", sentence) or re.search(re.escape(needle), sentence)
    if match:
        view.spans.append(Span(offset + match.start(), offset + match.end(), kind, label, tag))
