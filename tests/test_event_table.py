"""The event table: columns, codes, dates and places; every file format round-trips; de-duplication and counts."""

from __future__ import annotations

import pytest
from conftest import article_from_markup

from parley.inference.event_summaries import aggregate_events, dedupe_events, parse_window
from parley.inference.event_table import EVENT_COLUMNS, EventTable, event_rows, model_version
from parley.inference.event_table_io import read_event_table, table_format, write_event_table
from parley.inference.extraction_records import extraction_from_record
from parley.schema import SchemaError, load_schema

MARKUP = (
    "GENEVA, June 2 - North Korean leader [Kim Jong Un](PER kim) "
    "{met}(MEET asserted agent=kim partner=tr partner=mo time=sun) "
    "U.S. President [Donald Trump](PER tr) and South Korean President [Moon Jae-in](PER mo) on [Sunday](TIME sun).\n"
    "[Trump](PER tr2) {declined}(DECLINE asserted agent=tr2 meeting=s place=h) a [summit](MEETING s) in "
    "[Hanoi](GPE h)."
)


@pytest.fixture(scope="module")
def table(schema) -> EventTable:
    return EventTable(schema, model_version="test@1")


@pytest.fixture(scope="module")
def extraction():
    record = article_from_markup("story-1", MARKUP).to_dict()
    record.update(date="2019-06-04", url="https://example.org/1", source="Example Wire")
    return extraction_from_record(record)


def test_rows_carry_codes_dates_places_and_stable_ids(table, extraction):
    rows = table.rows(extraction)
    assert [list(row) for row in rows] == [list(EVENT_COLUMNS)] * 3
    meet_trump, meet_moon, decline = rows
    assert (meet_trump["source_name"], meet_trump["source_country"], meet_trump["source_cow"]) == (
        "Kim Jong Un",
        "PRK",
        "731",
    )
    assert (meet_trump["target_country"], meet_moon["target_country"], meet_moon["target_sector"]) == (
        "USA",
        "KOR",
        "GOV",
    )
    # A CAMEO code is text with its leading zero; quad class and Goldstein score come from the schema's table.
    assert (meet_trump["cameo"], meet_trump["quad_class"], meet_trump["goldstein"]) == ("040", 1, 1.0)
    assert (decline["cameo"], decline["quad_class"], decline["goldstein"]) == ("125", 3, -5.0)
    assert (meet_trump["event_date"], meet_trump["date_source"]) == ("2019-06-02", "time")
    assert (decline["event_date"], decline["date_source"]) == ("2019-06-04", "publication")
    # The lede's meeting happened at the dateline; the decline names its own place.
    assert (meet_trump["place_name"], meet_trump["place_country"], meet_trump["place_source"]) == (
        "Geneva",
        "CHE",
        "dateline",
    )
    assert (decline["place_name"], decline["place_country"], decline["place_source"]) == ("Hanoi", "VNM", "argument")
    assert decline["place_lat"] == pytest.approx(21.0, abs=0.1) and decline["place_geonames_id"] == "1581130"
    assert (decline["source_name"], decline["source_raw"], decline["target_name"]) == ("Donald Trump", "Trump", "")
    assert (meet_trump["story_id"], meet_trump["url"], meet_trump["publisher"]) == (
        "story-1",
        "https://example.org/1",
        "Example Wire",
    )
    assert (meet_trump["sentence_number"], decline["sentence_number"]) == (1, 2)
    assert decline["sentence"].startswith("Trump declined") and meet_trump["model_version"] == "test@1"
    assert len({row["event_id"] for row in rows}) == 3
    assert [row["event_id"] for row in event_rows(extraction, load_schema())] == [row["event_id"] for row in rows]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_every_format_round_trips_with_types(tmp_path, table, extraction, suffix):
    path = tmp_path / f"events{suffix}"
    assert write_event_table([extraction, extraction], path, table=table) == 6
    rows = read_event_table(path)
    expected = table.rows(extraction) * 2
    assert rows == expected
    assert rows[0]["cameo"] == "040" and rows[0]["source_cow"] == "731" and rows[0]["quad_class"] == 1


def test_pandas_reads_csv_codes_as_text(tmp_path, table, extraction):
    import pandas as pd

    from parley.inference.event_table_io import EVENT_DTYPES, EVENT_NA_VALUES

    path = tmp_path / "events.csv"
    write_event_table([extraction], path, table=table)
    frame = pd.read_csv(path, dtype=EVENT_DTYPES, keep_default_na=False, na_values=EVENT_NA_VALUES)
    assert list(frame["cameo"]) == ["040", "040", "125"] and frame["source_cow"][0] == "731"
    assert frame["target_country"][2] == "" and frame["quad_class"][2] == 3
    assert frame["place_lat"].dtype == "float64" and frame["goldstein"][2] == -5.0


def test_parquet_keeps_codes_as_text(tmp_path, table, extraction):
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    write_event_table([extraction], path, table=table)
    types = {field.name: str(field.type) for field in pq.read_schema(path)}
    assert (types["cameo"], types["source_cow"], types["place_geonames_id"]) == ("string", "string", "string")
    assert (types["quad_class"], types["goldstein"], types["place_lat"]) == ("int64", "double", "double")


def test_empty_table_and_bad_suffix(tmp_path, table):
    assert write_event_table([], tmp_path / "none.parquet", table=table) == 0
    assert read_event_table(tmp_path / "none.parquet") == []
    with pytest.raises(ValueError, match=r"events\.xlsx: name the event table \.csv, \.tsv, \.parquet or \.jsonl"):
        table_format("events.xlsx")


def test_model_version_names_the_folder_and_its_config(tmp_path):
    (tmp_path / "model").mkdir()
    assert model_version(tmp_path / "model") == "model"
    (tmp_path / "model" / "config.json").write_text("{}")
    assert model_version(tmp_path / "model") == "model@44136fa355b3"


def _row(story: str, day: str, source: str = "Kim Jong Un", confidence: float = 0.9) -> dict:
    return {
        "event_date": day,
        "event_type": "MEET",
        "status": "asserted",
        "source_name": source,
        "source_country": "PRK",
        "target_name": "Donald Trump",
        "target_country": "USA",
        "story_id": story,
        "url": f"https://example.org/{story}",
        "confidence": confidence,
    }


def test_dedupe_keeps_every_story_within_the_window():
    rows = [_row("a", "2019-06-30"), _row("b", "2019-06-30", confidence=0.95), _row("c", "2019-06-30")]
    rows += [_row("d", "2019-07-02"), _row("e", "2019-06-30", source="Moon Jae-in")]
    one_day = dedupe_events(rows, parse_window("1d"))
    assert [(r["story_count"], r["story_ids"]) for r in one_day] == [(3, "a; b; c"), (1, "d"), (1, "e")]
    assert one_day[0]["urls"] == "https://example.org/a; https://example.org/b; https://example.org/c"
    assert one_day[0]["confidence"] == 0.95
    three_days = dedupe_events(rows, parse_window("3d"))
    assert [r["story_ids"] for r in three_days] == ["a; b; c; d", "e"]
    # De-duplicating de-duplicated rows merges their story lists.
    assert dedupe_events(one_day + [_row("f", "2019-06-30")], 1)[0]["story_ids"] == "a; b; c; f"
    assert parse_window("2w") == 14 and parse_window("5") == 5
    with pytest.raises(ValueError, match="--window"):
        parse_window("yesterday")


def test_aggregate_counts_events_and_stories_by_period_and_column():
    rows = dedupe_events([_row("a", "2019-06-30"), _row("b", "2019-06-30"), _row("c", "2019-07-02")], 1)
    counts, columns = aggregate_events(rows, ["month", "source_country", "target_country", "event_type"])
    assert columns == ["month", "source_country", "target_country", "event_type", "events", "stories"]
    assert [(c["month"], c["events"], c["stories"]) for c in counts] == [("2019-06", 1, 2), ("2019-07", 1, 1)]
    weekly, _ = aggregate_events(rows, ["week"])
    assert [c["week"] for c in weekly] == ["2019-W26", "2019-W27"]
    with pytest.raises(ValueError, match=r"--by month,colour: unknown \['colour'\]"):
        aggregate_events(rows, ["month", "colour"])


def test_schema_cameo_table_is_checked(schema):
    assert schema.cameo_codes["044"].goldstein == 2.5
    raw = {
        "mention_labels": ["PER"],
        "event_types": {"MEET": {"cameo": "040"}},
        "roles": {"agent": {"labels": ["PER"]}, "partner": {"labels": ["PER"]}},  # the meanings' default dyad roles
        "statuses": ["asserted"],
        "cameo_codes": {"040": {"name": "Consult", "quad_class": 7, "goldstein": 1.0}},
    }
    with pytest.raises(SchemaError, match="cameo_codes.040: quad_class must be 1-4"):
        type(schema).from_dict(raw, "s.yaml")
    raw["cameo_codes"] = {"040": {"name": "Consult"}}
    with pytest.raises(SchemaError, match="cameo_codes.040 needs a name, a quad_class 1-4 and a goldstein"):
        type(schema).from_dict(raw, "s.yaml")
