"""Fuzzing every reader: random bytes, random JSON and mutated real records never raise, every bad record is
rejected with its line, every good one is kept (and in order). Bounded so the whole file runs in seconds.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import torch
from helpers_checkpoint import build_checkpoint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.documents import ArticleError, article_from_dict
from parley.formats.readers import read_articles
from parley.inference import EventExtractor
from parley.inference.batch import PredictOptions, predict_file, side_path
from parley.inference.news_io import duplicate_ids, iter_records
from parley.schema import load_schema

REPO = Path(__file__).resolve().parents[1]
SCHEMA = load_schema()
SEEDS = [json.loads(line) for line in (REPO / "data" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
# Lines that are no valid record: bytes that are not one JSON object, or JSON that is not a labeled article.
garbage_lines = st.one_of(
    st.binary(min_size=1, max_size=40).filter(
        lambda b: b.strip() and b"\n" not in b and b"\r" not in b and not b.startswith(b"\xef\xbb\xbf")
    ),
    json_values.map(lambda v: json.dumps(v).encode()),
)


def small_article(n: int) -> dict:
    """A valid labeled article with one mention and one event."""
    text = f"Russia invited the opposition, report {n}."
    return {
        "id": f"real-{n}",
        "text": text,
        "date": "2017-01-25",
        "entities": [{"id": "T1", "start": 0, "end": 6, "label": "GPE", "text": "Russia"}],
        "events": [
            {
                "id": "E1",
                "type": "INVITE",
                "status": "asserted",
                "trigger": {"start": 7, "end": 14, "text": "invited"},
                "arguments": [{"role": "agent", "entity": "T1"}],
            }
        ],
    }


def mutate(record: dict, data: st.DataObject) -> bytes:
    """One line made from a real record by one mutation that may or may not leave it valid."""
    kind = data.draw(st.sampled_from(["drop_key", "set_key", "cut", "flip_byte", "shift_span", "nest"]))
    record = json.loads(json.dumps(record))
    if kind == "drop_key":
        record.pop(data.draw(st.sampled_from(sorted(record))))
    elif kind == "set_key":
        record[data.draw(st.sampled_from([*sorted(record), "extra"]))] = data.draw(json_values)
    elif kind == "shift_span":
        record["entities"][0]["end"] += data.draw(st.integers(-10, 100))
    elif kind == "nest":
        record["events"][0]["arguments"][0]["entity"] = data.draw(json_values)
    line = json.dumps(record, ensure_ascii=False).encode()
    if kind == "cut":
        line = line[: data.draw(st.integers(1, len(line) - 1))]
    elif kind == "flip_byte":
        at = data.draw(st.integers(0, len(line) - 1))
        line = line[:at] + bytes([data.draw(st.integers(0x80, 0xFF))]) + line[at + 1 :]
    return line if line.strip() else b"{"


def interleave(data: st.DataObject, good: list[bytes], draw_bad) -> tuple[list[bytes], list[int], list[int]]:
    """Lines with the good ones in order and up to two bad ones (`draw_bad()`) before each and after the last;
    the 1-based line numbers of the good and of the bad ones."""
    lines: list[bytes] = []
    good_lines, bad_lines = [], []
    for line in [*good, None]:
        for _ in range(data.draw(st.integers(0, 2))):
            lines.append(draw_bad())
            bad_lines.append(len(lines))
        if line is not None:
            lines.append(line)
            good_lines.append(len(lines))
    return lines, good_lines, bad_lines


def is_valid(line: bytes) -> bool:
    try:
        article_from_dict(json.loads(line.decode("utf-8")), SCHEMA)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


# -- labeled-article readers ---------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), bom=st.booleans())
def test_labeled_jsonl_keeps_every_good_article_and_names_every_bad_line(data, bom):
    good = [json.dumps(small_article(n)).encode() for n in range(data.draw(st.integers(0, 4)))]

    def draw_bad() -> bytes:
        return data.draw(garbage_lines) if data.draw(st.booleans()) else mutate(small_article(99), data)

    lines, good_lines, _ = interleave(data, good, draw_bad)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labeled.jsonl"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + b"\n")
        result = read_articles(path, SCHEMA, lenient=True)
    by_line = {int(a.origin.rsplit(":", 1)[1]): a for a in result.articles}
    assert [a.id for a in result.articles if a.id.startswith("real-") and a.id != "real-99"] == [
        f"real-{n}" for n in range(len(good))
    ]
    assert all(by_line[line].id == f"real-{n}" for n, line in enumerate(good_lines))
    error_lines = [e.line for e in result.errors]
    assert all(isinstance(e, ArticleError) and e.path == str(path) for e in result.errors)
    # Every non-blank line is one article or one error, and no line is both.
    expected = [n for n, line in enumerate(lines, start=1) if line.strip()]
    assert sorted([*by_line, *error_lines]) == expected
    for line in error_lines:
        if line not in good_lines:
            assert not is_valid(lines[line - 1]) or b'"real-99"' in lines[line - 1]  # invalid, or a duplicate id


@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes_never_break_the_brat_or_label_studio_readers(content):
    with tempfile.TemporaryDirectory() as folder:
        ann = Path(folder) / "doc.ann"
        ann.write_bytes(content)
        (Path(folder) / "doc.txt").write_text("Russia invited the opposition to talks.", encoding="utf-8")
        export = Path(folder) / "export.json"
        export.write_bytes(content)
        for path in (ann, export):
            result = read_articles(path, SCHEMA, lenient=True)
            assert all(e.path == str(path) for e in result.errors)


@FUZZ
@given(tasks=st.lists(json_values, max_size=3))
def test_random_json_never_breaks_the_label_studio_reader(tasks):
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export.json"
        export.write_text(json.dumps(tasks), encoding="utf-8")
        result = read_articles(export, SCHEMA, lenient=True)
        assert all(e.path == str(export) for e in result.errors)


# -- news-dump readers and parley predict --------------------------------------------------------------------------


def news_line(n: int) -> bytes:
    seed = SEEDS[n % len(SEEDS)]
    return json.dumps({"id": f"real-{n}", "text": seed["text"][:200], "date": seed["date"]}).encode()


@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".jsonl", ".csv"]), bom=st.booleans())
def test_news_readers_keep_good_records_and_reject_bad_ones_with_their_line(data, suffix, bom):
    n_good = data.draw(st.integers(0, 4))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"dump{suffix}"
        if suffix == ".jsonl":
            good = [news_line(n) for n in range(n_good)]
            lines, good_lines, bad_lines = interleave(data, good, lambda: data.draw(garbage_lines))
            path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + b"\n")
        else:
            # CSV rows: good ones, and rows with a bad byte or too many fields, never breaking the quoting.
            cell = st.text(st.characters(blacklist_characters='",\r\n', blacklist_categories=["Cs"]), max_size=8)
            bad_row = st.one_of(
                cell.map(lambda t: b"x," + t.encode() + b"\xff"),  # a byte that is never UTF-8
                st.tuples(cell, cell).map(lambda t: f"{t[0]},a,{t[1]}".encode()),  # three fields, two columns
            )
            good = [f"real-{n},Russia invited them {n}.".encode() for n in range(n_good)]
            rows, good_lines, bad_lines = interleave(data, good, lambda: data.draw(bad_row))
            good_lines = [n + 1 for n in good_lines]  # the header is line 1
            bad_lines = [n + 1 for n in bad_lines]
            path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"id,text\n" + b"\n".join(rows) + b"\n")
        records = list(iter_records(path))
        duplicate_ids(path)  # reads the same input: must not raise either
    kept = [r for r in records if r.article is not None and r.article.id.startswith("real-")]
    assert [r.article.id for r in kept] == [f"real-{n}" for n in range(n_good)]
    assert [r.line for r in kept] == good_lines
    rejected = {r.line for r in records if r.article is None}
    assert all(r.error for r in records if r.article is None)
    if suffix == ".csv":
        assert rejected == set(bad_lines)
    else:
        assert rejected <= set(bad_lines)  # a random JSON line may be a valid record ({"text": ""})
        assert {r.line for r in records} == set(good_lines) | set(bad_lines)


@pytest.fixture(scope="module")
def extractor(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model = build_checkpoint(tmp_path_factory.mktemp("keyword-model"))
    yield EventExtractor.from_pretrained(str(model), device="cpu")
    torch.set_num_threads(threads)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_predict_writes_one_line_per_good_record_and_rejects_the_rest_with_their_line(data, extractor):
    good = [news_line(n) for n in range(data.draw(st.integers(0, 3)))]
    lines, good_lines, bad_lines = interleave(data, good, lambda: data.draw(garbage_lines))
    with tempfile.TemporaryDirectory() as folder:
        dump, output = Path(folder) / "dump.jsonl", Path(folder) / "out.jsonl"
        dump.write_bytes(b"\n".join(lines) + b"\n")
        options = PredictOptions("unused", str(dump), str(output), chunk_size=2, progress=False)
        summary = predict_file(options, extractor=extractor)
        written = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
        rejects = [json.loads(line) for line in side_path(output, "rejects.jsonl").read_text().splitlines()]
    assert [r["id"] for r in written if str(r["id"]).startswith("real-")] == [f"real-{n}" for n in range(len(good))]
    assert len(written) + len(rejects) == len(lines) == summary.articles + summary.rejected
    assert {r["line"] for r in rejects} <= set(bad_lines) and all(r["reason"] for r in rejects)
