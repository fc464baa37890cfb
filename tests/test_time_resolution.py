"""Resolving TIME expressions against the publication date: the seed articles' times and the documented rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_schema import renamed_extraction, renamed_schema, shipped_raw

from parley.inference.events import Argument, Event, Extraction, Mention
from parley.inference.time_resolution import resolve_extraction_times, resolve_time
from parley.schema import Schema

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds.jsonl"

# (article, TIME text as labeled in data/seeds.jsonl, resolved value)
SEED_TIMES = [
    ("seed-003", "Friday", "2017-01-27"),
    ("seed-003", "Wednesday", "2017-01-25"),
    ("seed-003", "this week", "2017-01-23/2017-01-29"),
    ("seed-003", "January 18, 2017", "2017-01-18"),
    ("seed-004", "January 26-28", "2015-01-26/2015-01-28"),
    ("seed-004", "Monday", "2015-01-05"),
    ("seed-004", "January 2-5", "2015-01-02/2015-01-05"),
    ("seed-004", "January 26 and 27", "2015-01-26/2015-01-27"),
    ("seed-004", "January 28", "2015-01-28"),
    ("seed-004", "same time", None),
    ("seed-000", "June 4", "2015-06-04"),
    ("seed-000", "first week of June", "2015-06-01/2015-06-07"),
    ("seed-000", "Last week", "2015-05-11/2015-05-17"),
    ("seed-000", "2012", "2012-01-01/2012-12-31"),
    ("seed-001", "Monday", "2016-02-01"),
    ("seed-001", "Sunday", "2016-01-31"),
    ("seed-001", "1700", None),
    ("seed-001", "1600 GMT", None),
    ("seed-001", "another day", None),
    ("seed-002", "January 20", "2018-01-20"),
]


def _seeds() -> dict[str, dict]:
    return {a["id"]: a for a in map(json.loads, SEEDS.read_text(encoding="utf-8").splitlines())}


@pytest.mark.parametrize(("article_id", "phrase", "expected"), SEED_TIMES)
def test_seed_times_resolve_against_their_article_date(article_id, phrase, expected):
    article = _seeds()[article_id]
    labeled = {e["text"] for e in article["entities"] if e["label"] == "TIME"}
    assert phrase in labeled, f"{article_id} has no TIME mention {phrase!r}; labeled: {sorted(labeled)}"
    assert resolve_time(phrase, article["date"]) == expected


@pytest.mark.parametrize(
    ("phrase", "published", "expected"),
    [
        ("Tuesday", "2017-01-27", "2017-01-24"),  # a weekday is the most recent one ...
        ("Friday", "2017-01-27", "2017-01-27"),  # ... or the publication day itself
        ("the first week of June", "2015-05-20", "2015-06-01/2015-06-07"),
        ("on Monday", "2015-01-08", "2015-01-05"),
        ("Monday morning", "2015-01-08", "2015-01-05"),
        ("Friday's", "2017-01-27", "2017-01-27"),
        ("next week", "2015-01-08", "2015-01-12/2015-01-18"),  # weeks run Monday to Sunday
        ("last week", "2015-01-08", "2014-12-29/2015-01-04"),
        ("this weekend", "2017-01-27", "2017-01-28/2017-01-29"),
        ("next Monday", "2015-01-08", "2015-01-12"),
        ("last Thursday", "2015-01-08", "2015-01-01"),  # never the publication day itself
        ("tomorrow", "2015-01-08", "2015-01-09"),
        ("yesterday", "2015-01-01", "2014-12-31"),
        ("last night", "2015-01-08", "2015-01-07"),
        ("December 18", "2015-01-08", "2014-12-18"),  # the year that puts the date nearest publication
        ("January 5", "2014-12-20", "2015-01-05"),
        ("Jan 28, 2018", "2018-01-28", "2018-01-28"),
        ("Jan. 5", "2015-01-08", "2015-01-05"),
        ("4 June", "2015-05-20", "2015-06-04"),
        ("26-28 January 2015", "2015-05-20", "2015-01-26/2015-01-28"),
        ("December 30 - January 2", "2016-02-01", "2015-12-30/2016-01-02"),
        ("mid-June", "2015-05-20", "2015-06-11/2015-06-20"),
        ("last week of February", "2016-02-01", "2016-02-23/2016-02-29"),
        ("June", "2015-05-20", "2015-06-01/2015-06-30"),
        ("next month", "2017-12-27", "2018-01-01/2018-01-31"),
        ("two days ago", "2016-02-01", "2016-01-30"),
        ("2017-01-05", "2017-01-27", "2017-01-05"),
        ("Monday", "2015-01-08T10:30:00Z", "2015-01-05"),  # a date-time publication date
        ("1700 (1600 GMT)", "2016-02-01", None),
        ("1900", "2018-12-14", None),  # "scheduled for 1900 (1800 GMT)": a clock time, not a year
        ("in 1900", "2018-12-14", "1900-01-01/1900-12-31"),
        ("2016", "2018-12-14", "2016-01-01/2016-12-31"),  # a recent year, even if it reads as 20:16
        ("1999", "2018-12-14", "1999-01-01/1999-12-31"),  # not a clock: 19:99
        ("February 30", "2017-01-27", None),
        ("January 28-26", "2017-01-27", None),
        ("before June 4", "2015-05-20", None),  # a bound, not a date
        ("two days", "2015-05-20", None),  # a duration
    ],
)
def test_resolution_rules(phrase, published, expected):
    assert resolve_time(phrase, published) == expected


def test_a_planned_event_looks_ahead_for_its_weekday():
    assert resolve_time("Monday", "2015-01-08", prefer_future=True) == "2015-01-12"
    assert resolve_time("Thursday", "2015-01-08", prefer_future=True) == "2015-01-08"
    assert resolve_time("Monday", "2015-01-08") == "2015-01-05"


def test_no_or_unreadable_publication_date_resolves_nothing():
    assert resolve_time("Monday", None) is None
    assert resolve_time("Monday", "last spring") is None


def _extraction(date: str | None, status: str) -> Extraction:
    text = "Lavrov will meet the opposition on Monday. Talks ended Monday."
    planned_time = Mention("TIME", "Monday", 35, 41, 0.9)
    trigger = Mention("MEET", "meet", 12, 16, 0.9)
    event = Event("MEET", status, trigger, [Argument("time", Mention("TIME", "Monday", 35, 41, 0.9), 0.8)], 0.9, 0.9)
    mentions = [planned_time, Mention("TIME", "Monday", 55, 61, 0.9), Mention("PER", "Lavrov", 0, 6, 0.9)]
    assert [text[m.start : m.end] for m in mentions] == [m.text for m in mentions]
    return Extraction("a1", text, mentions, [event], date=date)


def test_extraction_times_are_set_on_mentions_and_arguments(schema):
    extraction = resolve_extraction_times(_extraction("2015-01-08", "planned"), schema)
    planned, reported, person = extraction.mentions
    # The planned meeting's Monday lies ahead; the other Monday, no event's time, is the past one.
    assert planned.resolved == "2015-01-12"
    assert extraction.events[0].arguments[0].mention.resolved == "2015-01-12"
    assert reported.resolved == "2015-01-05"
    assert person.resolved is None
    record = extraction.to_record()
    assert [e.get("resolved") for e in record["entities"]] == [None, "2015-01-12", "2015-01-05"]


def test_an_asserted_event_keeps_the_past_weekday_and_an_undated_article_is_untouched(schema):
    asserted = resolve_extraction_times(_extraction("2015-01-08", "asserted"), schema)
    assert asserted.mentions[0].resolved == "2015-01-05"
    undated = resolve_extraction_times(_extraction(None, "planned"), schema)
    assert all(m.resolved is None for m in undated.mentions)


def test_renamed_time_role_and_planned_status_resolve_the_same():
    renamed = resolve_extraction_times(renamed_extraction(_extraction("2015-01-08", "planned")), renamed_schema())
    assert renamed.events[0].arguments[0].role == "when" and renamed.events[0].status == "scheduled"
    assert [m.resolved for m in renamed.mentions] == ["2015-01-12", "2015-01-05", None]


def test_a_schema_without_a_time_role_resolves_nothing():
    raw = shipped_raw()
    del raw["roles"]["time"]
    raw["meanings"]["time_role"] = None
    extraction = resolve_extraction_times(_extraction("2015-01-08", "planned"), Schema.from_dict(raw))
    assert all(m.resolved is None for m in extraction.mentions)
