"""The event table: one row per event and source -> target dyad, in the spirit of ICEWS and POLECAT, with the
actors coded to a country and sector and the place to a country and coordinates (docs/event_table.md).

`event_rows(extraction, schema)` gives one article's rows; `EventTable` keeps the coder and the gazetteer
loaded across articles; `write_event_table` (parley.inference.event_table_io) writes them as CSV, TSV,
Parquet or JSON Lines.
"""

from __future__ import annotations

import bisect
import hashlib
from pathlib import Path
from typing import Any

from parley.inference.actors import ActorCode, ActorCoder
from parley.inference.dyads import antecedent
from parley.inference.events import Event, Extraction, Mention
from parley.inference.places import Place, dateline, dateline_span
from parley.inference.time_resolution import parse_publication_date, resolve_time
from parley.schema import CameoCode, Schema, load_schema
from parley.text import split_sentences

EVENT_COLUMNS = (
    "event_id",
    "event_date",
    "date_source",
    "event_type",
    "status",
    "plover_type",
    "cameo",
    "quad_class",
    "goldstein",
    "source_name",
    "source_raw",
    "source_country",
    "source_cow",
    "source_sector",
    "target_name",
    "target_raw",
    "target_country",
    "target_cow",
    "target_sector",
    "meeting",
    "place_name",
    "place_country",
    "place_lat",
    "place_lon",
    "place_geonames_id",
    "place_source",
    "story_id",
    "sentence_number",
    "sentence",
    "trigger",
    "url",
    "publisher",
    "confidence",
    "model_version",
)
INTEGER_COLUMNS = ("quad_class", "sentence_number")
FLOAT_COLUMNS = ("goldstein", "place_lat", "place_lon", "confidence")
SIDES = ("source", "target")


def model_version(model_dir: str | Path) -> str:
    """A checkpoint's version: its folder name and the first 12 hex digits of its config.json's SHA-256."""
    path = Path(model_dir)
    config = path / "config.json"
    if not config.is_file():
        return path.name
    return f"{path.name}@{hashlib.sha256(config.read_bytes()).hexdigest()[:12]}"


class EventTable:
    """Builds event-table rows; build once per run (the actor and place facts load on first use)."""

    def __init__(self, schema: Schema, coder: ActorCoder | None = None, model_version: str = "") -> None:
        self.schema = schema
        self.coder = coder or ActorCoder(schema=schema)
        self.model_version = model_version
        # A checkpoint's schema carries no CAMEO table (it is reference data): the shipped one fills in.
        self.cameo_codes: dict[str, CameoCode] = {**load_schema().cameo_codes, **schema.cameo_codes}

    def rows(self, extraction: Extraction) -> list[dict[str, Any]]:
        """The rows of one article's events (columns `EVENT_COLUMNS`), one per event and distinct dyad."""
        actors = self.coder.code_extraction(extraction)
        sentences = split_sentences(extraction.text)
        starts = [start for start, _ in sentences]
        lede = dateline_span(extraction.text)
        rows = []
        for event in extraction.events:
            at = max(bisect.bisect_right(starts, event.trigger.start) - 1, 0)
            s_start, s_end = sentences[at] if sentences else (0, len(extraction.text))
            base = self._event_columns(event, extraction)
            # The dateline names the place of the lede's meeting (a CAMEO 04 "consult" event), not of its invitation.
            meets_at_dateline = lede is not None and s_start <= lede[0] < s_end and base["cameo"].startswith("04")
            base.update(self._place_columns(event, extraction, meets_at_dateline))
            base.update(sentence_number=at + 1, sentence=extraction.text[s_start:s_end])
            for source, target in _pairs(event, extraction, actors, self.schema):
                row = {**base, **_actor_columns("source", source), **_actor_columns("target", target)}
                row["event_id"] = _event_id(row, event)
                rows.append({column: row.get(column) for column in EVENT_COLUMNS})
        return rows

    def _event_columns(self, event: Event, extraction: Extraction) -> dict[str, Any]:
        event_type = self.schema.event_types.get(event.type)
        cameo = (event_type.cameo_for(event.status) if event_type else None) or ""
        # The code's own quad class and Goldstein score, else its root's ("044" -> "04").
        known = self.cameo_codes.get(cameo) or self.cameo_codes.get(cameo[:2])
        date, date_source = _event_date(event, extraction, self.schema)
        meeting_role = self.schema.meanings.meeting_role
        return {
            "event_date": date,
            "date_source": date_source,
            "event_type": event.type,
            "status": event.status,
            "plover_type": (event_type.plover if event_type else None) or "",
            "cameo": cameo,
            "quad_class": known.quad_class if known else None,
            "goldstein": known.goldstein if known else None,
            "meeting": "; ".join(a.mention.text for a in event.arguments if a.role == meeting_role),
            "story_id": extraction.article_id or "",
            "trigger": event.trigger.text,
            "url": extraction.url or "",
            "publisher": extraction.source or "",
            "confidence": round(event.score, 4),
            "model_version": self.model_version,
        }

    def _place_columns(self, event: Event, extraction: Extraction, at_dateline: bool) -> dict[str, Any]:
        """The event's place argument, coded; else, where `at_dateline`, the dateline's place."""
        place_role = self.schema.meanings.place_role
        written = next((a.mention.text for a in event.arguments if a.role == place_role), None)
        source = "argument" if written else "dateline" if at_dateline else ""
        if not written and at_dateline:
            written = dateline(extraction.text)
        place = self.coder.gazetteer.lookup(written) if written else None
        return _place(place, written or "", source if written else "")


def event_rows(
    extraction: Extraction, schema: Schema, coder: ActorCoder | None = None, model_version: str = ""
) -> list[dict[str, Any]]:
    """The event-table rows of one article (for many articles, reuse one `EventTable`)."""
    return EventTable(schema, coder, model_version).rows(extraction)


def _event_date(event: Event, extraction: Extraction, schema: Schema) -> tuple[str, str]:
    """The resolved time of the event (a range's first day) and "time"; else the publication date."""
    published = parse_publication_date(extraction.date)
    for argument in event.arguments:
        if argument.role == schema.meanings.time_role:
            future = event.status in schema.meanings.forward_statuses
            resolved = argument.mention.resolved or resolve_time(argument.mention.text, published, prefer_future=future)
            if resolved:
                return resolved.split("/")[0], "time"
    return (published.isoformat(), "publication") if published else ("", "")


def _place(place: Place | None, written: str, source: str) -> dict[str, Any]:
    return {
        "place_name": place.name if place else written,
        "place_country": (place.country if place else None) or "",
        "place_lat": place.latitude if place else None,
        "place_lon": place.longitude if place else None,
        "place_geonames_id": (place.geonames_id if place else None) or "",
        "place_source": source,
    }


def _actors(
    event: Event, role: str, extraction: Extraction, codes: dict, schema: Schema
) -> list[tuple[Mention, ActorCode]]:
    """(as written, code) for each argument of `role`, one per distinct coded actor."""
    found: dict[tuple, tuple[Mention, ActorCode]] = {}
    for argument in event.arguments:
        if argument.role != role:
            continue
        written = argument.mention
        code = codes.get((written.start, written.end))
        if code is None:
            referent = antecedent(written, extraction, schema)
            code = ActorCode(referent.text, written.text)
        found.setdefault((code.name, code.country, code.sector), (written, code))
    return list(found.values())


def _pairs(event: Event, extraction: Extraction, codes: dict, schema: Schema) -> list[tuple]:
    sources = _actors(event, schema.meanings.source_role, extraction, codes, schema) or [None]
    targets = _actors(event, schema.meanings.target_role, extraction, codes, schema) or [None]
    return [(source, target) for source in sources for target in targets]


def _actor_columns(side: str, actor: tuple[Mention, ActorCode] | None) -> dict[str, Any]:
    _, code = actor if actor else (None, ActorCode("", ""))
    return {
        f"{side}_name": code.name,
        f"{side}_raw": code.raw,
        f"{side}_country": code.country or "",
        f"{side}_cow": code.cow or "",
        f"{side}_sector": code.sector or "",
    }


def _event_id(row: dict[str, Any], event: Event) -> str:
    """Stable across runs: the story, where the trigger stands, the event and the dyad as written."""
    key = "|".join(
        str(part)
        for part in (
            row["story_id"],
            event.trigger.start,
            event.trigger.end,
            event.type,
            event.status,
            row["source_raw"],
            row["target_raw"],
        )
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
