"""De-duplicate and count event-table rows: the "one-a-day filter" of event data, and counts by period and column.

`dedupe_events` collapses the rows that report one event (same source, target, type and status within a date
window) from many stories into one row that keeps every story id and url and their count. `aggregate_events`
counts rows by day, week, month or year and by any columns ("month,source_country,target_country,event_type").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from parley.inference.event_table import EVENT_COLUMNS

DEDUPE_COLUMNS = (*EVENT_COLUMNS, "story_count", "story_ids", "urls")
# What makes two rows one event, besides their dates falling in one window.
DEDUPE_KEY = ("source_name", "source_country", "target_name", "target_country", "event_type", "status")
PERIODS = ("day", "week", "month", "year")
LIST_SEPARATOR = "; "
_WINDOW = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$")


def parse_window(text: str) -> int:
    """A date window in days: "1d", "3d", "2w" or a bare number of days."""
    match = _WINDOW.match(str(text))
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"--window {text!r}: expected a number of days or weeks such as 1d, 3d or 1w")
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


def dedupe_events(rows: Iterable[dict[str, Any]], window_days: int = 1) -> list[dict[str, Any]]:
    """One row per event: rows with the same `DEDUPE_KEY` whose dates fall within `window_days` of the first
    one's collapse into it, with `story_count`, `story_ids` and `urls` of all (rows without a date never
    merge with dated ones). The result keeps the input's order of first reports."""
    groups: dict[tuple, list[tuple[int, date | None, dict[str, Any]]]] = {}
    for position, row in enumerate(rows):
        key = tuple(row.get(column) or "" for column in DEDUPE_KEY)
        groups.setdefault(key, []).append((position, _date(row.get("event_date")), row))
    merged: list[tuple[int, dict[str, Any]]] = []
    for members in groups.values():
        members.sort(key=lambda member: (member[1] is not None, member[1] or date.min, member[0]))
        cluster: list[tuple[int, date | None, dict[str, Any]]] = []
        for member in members:
            first_day = cluster[0][1] if cluster else None
            same = cluster and (
                first_day == member[1]
                if None in (first_day, member[1])
                else member[1] < first_day + timedelta(window_days)
            )
            if cluster and not same:
                merged.append(_merge(cluster))
                cluster = []
            cluster.append(member)
        merged.append(_merge(cluster))
    return [row for _, row in sorted(merged, key=lambda item: item[0])]


def _merge(cluster: list[tuple[int, date | None, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    """The cluster's first report (in input order) with every story id and url, each once, and their count."""
    position, _, first = min(cluster, key=lambda member: member[0])
    stories: dict[str, None] = {}
    urls: dict[str, None] = {}
    for _, _, row in cluster:
        stories.update(dict.fromkeys(_listed(row, "story_ids", "story_id")))
        urls.update(dict.fromkeys(u for u in _listed(row, "urls", "url") if u))
    merged = {column: first.get(column) for column in EVENT_COLUMNS}
    confidences = [row["confidence"] for _, _, row in cluster if row.get("confidence") is not None]
    merged["confidence"] = max(confidences) if confidences else None
    merged.update(story_count=len(stories), story_ids=LIST_SEPARATOR.join(stories), urls=LIST_SEPARATOR.join(urls))
    return position, merged


def _listed(row: dict[str, Any], many: str, one: str) -> list[str]:
    """The values a row holds: its list column if already de-duplicated, else its single one."""
    if row.get(many):
        return str(row[many]).split(LIST_SEPARATOR)
    return [str(row.get(one) or "")]


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def period_of(day: date | None, period: str) -> str:
    """The label of the day, ISO week, month or year a date falls in ("2024-03-12", "2024-W11", "2024-03", "2024")."""
    if day is None:
        return ""
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return {"day": day.isoformat(), "month": day.strftime("%Y-%m"), "year": str(day.year)}[period]


def aggregate_events(rows: Sequence[dict[str, Any]], by: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Counts of rows (`events`) and of the stories behind them (`stories`) per value of `by`, sorted by it.

    `by` names periods of `event_date` (day, week, month, year) and table columns. Returns the rows and their
    columns.
    """
    known = set(PERIODS) | set(DEDUPE_COLUMNS) | {c for row in rows[:1] for c in row}
    unknown = [name for name in by if name not in known]
    if not by or unknown:
        choices = ", ".join((*PERIODS, *EVENT_COLUMNS))
        raise ValueError(f"--by {','.join(by)}: unknown {unknown or 'nothing'}; choose from {choices}")
    counts: dict[tuple, list[int]] = {}
    for row in rows:
        day = _date(row.get("event_date"))
        key = tuple(period_of(day, name) if name in PERIODS else (row.get(name) or "") for name in by)
        tally = counts.setdefault(key, [0, 0])
        tally[0] += 1
        tally[1] += int(row.get("story_count") or 1)
    columns = [*by, "events", "stories"]
    table = [
        dict(zip(columns, (*key, n_events, n_stories), strict=True)) for key, (n_events, n_stories) in counts.items()
    ]
    return sorted(table, key=lambda row: tuple(str(row[name]) for name in by)), columns
