"""`parley events table|dedupe|aggregate` over files, as an analyst runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import article_from_markup

from parley.cli import main
from parley.inference.event_table import EVENT_COLUMNS
from parley.inference.event_table_io import read_event_table

REPO = Path(__file__).resolve().parents[1]

STORY = (
    "PANMUNJOM, June 30 - U.S. President [Donald Trump](PER tr) {met}(MEET asserted agent=tr partner=kim) "
    "North Korean leader [Kim Jong Un](PER kim) at the border."
)


@pytest.fixture
def repeated_story(tmp_path):
    """One story filed under three ids: a news dump's usual duplicates, as parley predict's JSONL."""
    record = article_from_markup("x", STORY).to_dict()
    path = tmp_path / "extractions.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(3):
            record.update(id=f"wire-{n}", date="2019-06-30", url=f"https://example.org/{n}")
            handle.write(json.dumps(record) + "\n")
    return path


def test_table_dedupe_aggregate(tmp_path, repeated_story, capsys):
    events = tmp_path / "events.parquet"
    assert main(["events", "table", str(repeated_story), "--output", str(events)]) == 0
    rows = read_event_table(events)
    assert [(r["story_id"], r["source_country"], r["target_country"]) for r in rows] == [
        (f"wire-{n}", "USA", "PRK") for n in range(3)
    ]

    assert main(["events", "dedupe", str(events), "--window", "1d"]) == 0
    assert "3 row(s) -> 1 event(s)" in capsys.readouterr().out
    (merged,) = read_event_table(tmp_path / "events.dedup.parquet")
    assert (merged["story_count"], merged["story_ids"]) == (3, "wire-0; wire-1; wire-2")
    assert merged["urls"].count("https://example.org/") == 3

    assert main(["events", "aggregate", str(tmp_path / "events.dedup.parquet"), "--by", "month,source_country"]) == 0
    assert capsys.readouterr().out == "month\tsource_country\tevents\tstories\n2019-06\tUSA\t1\t3\n"
    counts = tmp_path / "counts.csv"
    assert main(["events", "aggregate", str(events), "--by", "day,event_type", "--output", str(counts)]) == 0
    assert counts.read_text().splitlines() == ["day,event_type,events,stories", "2019-06-30,MEET,3,3"]


def test_user_actor_dictionary_on_the_command_line(tmp_path, repeated_story):
    actors = tmp_path / "actors.csv"
    actors.write_text("name,aliases,country,sector\nPOTUS,Donald Trump|Trump,USA,MIL\n")
    out = tmp_path / "events.csv"
    assert main(["events", "table", str(repeated_story), "--output", str(out), "--actors", str(actors)]) == 0
    assert {(r["source_name"], r["source_sector"]) for r in read_event_table(out)} == {("POTUS", "MIL")}


def test_refusals_name_the_file(tmp_path, repeated_story, capsys):
    events = tmp_path / "events.csv"
    assert main(["events", "table", str(repeated_story), "--output", str(events)]) == 0
    assert main(["events", "table", str(repeated_story), "--output", str(events)]) == 1
    assert f"{events}: exists; add --overwrite" in capsys.readouterr().err
    assert main(["events", "dedupe", str(tmp_path / "missing.csv")]) == 1
    assert "missing.csv: no such event table" in capsys.readouterr().err
    assert main(["events", "dedupe", str(events), "--output", str(events)]) == 1
    assert "is the input" in capsys.readouterr().err
    assert main(["events", "table", str(repeated_story), "--output", str(tmp_path / "events.xlsx")]) == 1
    assert "name the event table .csv, .tsv, .parquet or .jsonl" in capsys.readouterr().err
    not_a_table = tmp_path / "other.csv"
    not_a_table.write_text("a,b\n1,2\n")
    assert main(["events", "aggregate", str(not_a_table), "--by", "month"]) == 1
    assert "other.csv: line 1: not an event table" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a1", "text": "x"}\n')
    assert main(["events", "table", str(bad), "--output", str(tmp_path / "t.csv")]) == 1
    assert "bad.jsonl:1: article 'a1': not an extraction record" in capsys.readouterr().err


def test_predict_format_events_writes_the_table(model_dir, tmp_path, capsys):
    """The predict hook: the extractions beside the output, the event table in the output's format."""
    dump = tmp_path / "news.jsonl"
    seed = json.loads((REPO / "data" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()[3])
    dump.write_text(json.dumps({"id": "n1", "text": seed["text"], "date": seed["date"]}) + "\n")
    out = tmp_path / "events.parquet"
    args = ["predict", "--model", str(model_dir), "--input", str(dump), "--output", str(out), "--quiet"]
    assert main([*args, "--format", "events"]) == 0
    assert "written to" in capsys.readouterr().out
    rows = read_event_table(out)
    assert rows and all(list(row) == list(EVENT_COLUMNS) for row in rows)
    assert {row["story_id"] for row in rows} == {"n1"} and rows[0]["model_version"].startswith(model_dir.name)
    assert (tmp_path / "events.parquet.extractions.jsonl").is_file()
    assert main([*args, "--format", "events", "--dyads"]) == 1
    assert "--format events: leave out --dyads" in capsys.readouterr().err
