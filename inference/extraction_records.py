"""Read extractions back from the JSON records `Extraction.to_record` writes (parley predict's JSONL output).

Labeled articles have the same shape without scores, so gold data reads back as extractions too (every
score 1.0), which is how the actor-coding benchmark runs the coder on gold mentions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from parley.inference.events import Argument, Event, Extraction, Mention


def extraction_from_record(record: dict[str, Any], origin: str = "<record>") -> Extraction:
    """One article's `Extraction` from its record; a record that does not fit names `origin` and the article."""
    where = f"{origin}: article {record.get('id')!r}" if isinstance(record, dict) else origin
    try:
        mentions = {
            e["id"]: Mention(e["label"], e["text"], e["start"], e["end"], e.get("score", 1.0), e.get("resolved"))
            for e in record["entities"]
        }
        events = [
            Event(
                e["type"],
                e["status"],
                Mention(
                    e["type"], e["trigger"]["text"], e["trigger"]["start"], e["trigger"]["end"], e.get("score", 1.0)
                ),
                [Argument(a["role"], mentions[a["entity"]], a.get("score", 1.0)) for a in e["arguments"]],
                e.get("score", 1.0),
                e.get("status_score", 1.0),
                record.get("id"),
            )
            for e in record.get("events", [])
        ]
        return Extraction(
            record.get("id"),
            record["text"],
            list(mentions.values()),
            events,
            record.get("date"),
            record.get("source"),
            record.get("url"),
        )
    except (KeyError, TypeError) as err:
        raise ValueError(f"{where}: not an extraction record (missing or bad {err})") from err


def read_extractions(path: str | Path) -> Iterator[Extraction]:
    """The extractions of a JSONL file of records, one per line."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{number}: not valid JSON: {err.msg}") from err
                yield extraction_from_record(record, f"{path}:{number}")
