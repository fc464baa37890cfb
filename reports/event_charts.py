"""The Vega-Lite charts of `parley report` (through altair): counts by type and status, the timeline, top dyads.

Each function takes event rows already reduced to one per event (or per dyad, for the dyads) and returns a
chart spec as a dict with its data inline, plus any note the page should print beside it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import altair as alt

CHART_WIDTH = 860
# Status colours: distinct from the event types' (those colour everything else on the page).
STATUS_COLOURS = ("#2f5d8c", "#8fb8de", "#d6604d", "#b9a36b", "#8c8c8c", "#5aa469")
# (longest span in days, Vega time unit, what the page calls one bar): the finest that keeps bars readable.
# Counts are whole numbers: no tick at 0.5.
COUNT_AXIS = alt.Axis(tickMinStep=1, format="d")
TIME_UNITS = ((120, "utcyearmonthdate", "day"), (3 * 365, "utcyearweek", "week"), (25 * 365, "utcyearmonth", "month"))


def counts_chart(events: list[dict[str, Any]], types: list[str], statuses: list[str]) -> dict[str, Any]:
    """Events per type, each bar split by status, its total printed at its end."""
    counts = Counter((row["event_type"], row["status"]) for row in events)
    values = [
        {"type": event_type, "status": status, "events": n, "order": statuses.index(status)}
        for (event_type, status), n in counts.items()
    ]
    totals = [{"type": t, "events": n} for t, n in Counter(row["event_type"] for row in events).items()]
    y = alt.Y("type:N", sort=types, title=None, axis=alt.Axis(labelFontSize=12))
    bars = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("events:Q", title="events", axis=COUNT_AXIS),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=statuses, range=list(STATUS_COLOURS[: len(statuses)])),
                legend=alt.Legend(title="status", orient="right"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[alt.Tooltip("type:N"), alt.Tooltip("status:N"), alt.Tooltip("events:Q")],
        )
    )
    labels = alt.Chart(alt.Data(values=totals)).mark_text(align="left", dx=4).encode(y=y, x="events:Q", text="events:Q")
    chart = alt.layer(bars, labels).properties(
        width=CHART_WIDTH - 160, height=alt.Step(30), title="Events by type and status"
    )
    return chart.to_dict()


def time_unit(dates: list[str]) -> tuple[str, str]:
    """(Vega time unit, its name) for bars over the span of `dates`: days, weeks, months or years."""
    parsed = [date.fromisoformat(d) for d in dates]
    span = (max(parsed) - min(parsed)).days if parsed else 0
    for longest, unit, name in TIME_UNITS:
        if span <= longest:
            return unit, name
    return "utcyear", "year"


def timeline_chart(events: list[dict[str, Any]], colours: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    """Events per day, week, month or year (whichever suits their span) by type, and a note on the dates."""
    dated = [row for row in events if _iso_date(row.get("event_date"))]
    note = f"{len(events) - len(dated)} event(s) have no date and are left out. " if len(dated) < len(events) else ""
    if not dated:
        return None, note + "No event has a date."
    unit, name = time_unit([row["event_date"][:10] for row in dated])
    counts = Counter((row["event_date"][:10], row["event_type"]) for row in dated)
    values = [{"date": day, "type": event_type, "events": n} for (day, event_type), n in counts.items()]
    first, last = min(counts)[0], max(counts)[0]
    if name not in ("day", "week"):
        note += f"The dates span {first} to {last}, so each bar is a {name}. "
    scale = alt.Scale(domain=list(colours), range=list(colours.values()))
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            x=alt.X("date:T", timeUnit=unit, title=f"event date ({name})"),
            y=alt.Y("sum(events):Q", title=f"events per {name}", axis=COUNT_AXIS),
            color=alt.Color("type:N", scale=scale, legend=alt.Legend(title="event type")),
            tooltip=[
                alt.Tooltip("date:T", timeUnit=unit, title=name),
                alt.Tooltip("type:N"),
                alt.Tooltip("sum(events):Q", title="events"),
            ],
        )
        .properties(width=CHART_WIDTH - 140, height=260, title=f"Events per {name} by type")
    )
    return chart.to_dict(), note + "The date is the event's own (its time argument) where it has one, else the story's."


def top_dyads(dyad_rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The `limit` source -> target pairs with the most events: their counts by type and their stories."""
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for row in dyad_rows:
        pair = pairs.setdefault(
            (row["source_name"], row["target_name"]), {"events": 0, "types": Counter(), "stories": []}
        )
        pair["events"] += 1
        pair["types"][row["event_type"]] += 1
        if row.get("story_id") not in pair["stories"]:
            pair["stories"].append(row.get("story_id"))
    ranked = sorted(pairs.items(), key=lambda item: (-item[1]["events"], item[0]))[:limit]
    return [{"source": s, "target": t, **pair} for (s, t), pair in ranked]


def dyads_chart(dyads: list[dict[str, Any]], colours: dict[str, str]) -> dict[str, Any]:
    """The top dyads as bars split by event type, the busiest on top."""
    order = [f"{d['source']} → {d['target']}" for d in dyads]
    values = [
        {"dyad": label, "type": event_type, "events": n}
        for label, dyad in zip(order, dyads, strict=True)
        for event_type, n in dyad["types"].items()
    ]
    scale = alt.Scale(domain=list(colours), range=list(colours.values()))
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("dyad:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("sum(events):Q", title="events", axis=COUNT_AXIS),
            color=alt.Color("type:N", scale=scale, legend=alt.Legend(title="event type")),
            tooltip=[alt.Tooltip("dyad:N"), alt.Tooltip("type:N"), alt.Tooltip("sum(events):Q", title="events")],
        )
        .properties(width=CHART_WIDTH - 480, height=alt.Step(20), title="Top dyads (source → target)")
    )
    return chart.to_dict()


def _iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True
