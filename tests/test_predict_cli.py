"""`parley predict` and `parley merge` over small dumps, the input readers, and the Python API's contract.

The checkpoint is the keyword-spotting one of helpers_checkpoint: it tags "invited", "declined", "Friday" ...
wherever they stand, so outputs are real model outputs whose positions a test can predict.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
import torch

from parley.cli import main
from parley.documents import Document
from parley.inference import EventExtractor
from parley.inference.batch import PredictOptions, predict_file
from parley.inference.heap import release_free_heap
from parley.inference.merge import merge_outputs
from parley.inference.news_io import iter_records
from parley.inference.run_state import side_path

# model_dir and extractor: the keyword checkpoint of conftest.py; one torch thread for the whole module.
pytestmark = pytest.mark.usefixtures("one_thread")

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds.jsonl"
MALFORMED_LINE = 17


def seed_articles() -> list[dict]:
    return [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines()]


def dump_articles(n: int = 40) -> list[dict]:
    """`n` short articles cut from the seed texts (three lines each, varied), dated like their seed."""
    articles = []
    for i in range(n):
        seed = seed_articles()[i % 5]
        lines = [line for line in seed["text"].split("\n") if line.strip()]
        start = (i // 5 * 3) % len(lines)
        article = {"id": f"news-{i:02d}", "text": "\n".join(lines[start : start + 3]), "date": seed["date"]}
        if i % 7 == 3:
            del article["id"]  # gets "<stem>:<line>"
        articles.append(article)
    return articles


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    """40 articles as JSONL with one malformed line (line 17) among them."""
    lines = [json.dumps(a) for a in dump_articles()]
    lines.insert(MALFORMED_LINE - 1, '{"id": "broken", "text": "no closing quote}')
    path = tmp_path_factory.mktemp("dump") / "news.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def baseline(dump, model_dir, tmp_path_factory) -> Path:
    """The uninterrupted, unsharded run every other run must equal."""
    output = tmp_path_factory.mktemp("baseline") / "out.jsonl"
    code = main(
        [
            "predict",
            "--model",
            str(model_dir),
            "--input",
            str(dump),
            "--output",
            str(output),
            "--chunk-size",
            "8",
            "--quiet",
        ]
    )
    assert code == 0
    return output


def test_predict_writes_one_record_per_article_in_order_and_rejects_the_malformed_line(baseline):
    records = [json.loads(line) for line in baseline.read_text(encoding="utf-8").splitlines()]
    articles = dump_articles()
    assert len(records) == 40
    expected_ids = [a.get("id", f"news:{n + (n >= MALFORMED_LINE - 1) + 1}") for n, a in enumerate(articles)]
    assert [r["id"] for r in records] == expected_ids
    assert "news:4" in expected_ids  # an id made from the file stem and the line
    for record, article in zip(records, articles, strict=True):
        assert set(record) == {"id", "text", "date", "source", "url", "entities", "events"}
        assert record["text"] == article["text"]
        for entity in record["entities"]:
            assert record["text"][entity["start"] : entity["end"]] == entity["text"]
            assert 0 <= entity["score"] <= 1
        entity_ids = {e["id"] for e in record["entities"]}
        for event in record["events"]:
            assert {"score", "status_score"} <= set(event)
            assert all(a["entity"] in entity_ids and "score" in a for a in event["arguments"])
    assert sum(len(r["events"]) for r in records) >= 10
    rejects = [json.loads(line) for line in side_path(baseline, "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == 1
    assert rejects[0]["line"] == MALFORMED_LINE and rejects[0]["file"].endswith("news.jsonl")
    assert rejects[0]["reason"].startswith("not valid JSON")


def test_time_mentions_of_dated_articles_carry_their_resolved_date(baseline):
    records = [json.loads(line) for line in baseline.read_text(encoding="utf-8").splitlines()]
    fridays = [e for r in records if r["date"] == "2017-01-27" for e in r["entities"] if e["text"] == "Friday"]
    assert fridays and all(e["resolved"] == "2017-01-27" for e in fridays)


@pytest.mark.parametrize("stage", ["written", "committed"])
def test_an_interrupted_run_resumes_to_the_same_bytes(stage, dump, model_dir, baseline, tmp_path):
    output = tmp_path / "out.jsonl"

    def crash(chunk: int, at: str) -> None:
        if chunk == 3 and at == stage:
            raise KeyboardInterrupt

    options = PredictOptions(str(model_dir), str(dump), str(output), chunk_size=8, progress=False)
    with pytest.raises(KeyboardInterrupt):
        predict_file(options, hook=crash)
    partial = output.read_bytes()
    assert 0 < len(partial) < len(baseline.read_bytes())
    assert (
        main(
            [
                "predict",
                "--model",
                str(model_dir),
                "--input",
                str(dump),
                "--output",
                str(output),
                "--chunk-size",
                "8",
                "--resume",
                "--quiet",
            ]
        )
        == 0
    )
    assert output.read_bytes() == baseline.read_bytes()
    assert side_path(output, "rejects.jsonl").read_bytes() == side_path(baseline, "rejects.jsonl").read_bytes()
    # Resuming a finished run changes nothing.
    finished = PredictOptions(str(model_dir), str(dump), str(output), chunk_size=8, resume=True, progress=False)
    assert predict_file(finished)
    assert output.read_bytes() == baseline.read_bytes()


def test_resume_refuses_a_different_run(dump, model_dir, tmp_path):
    output = tmp_path / "out.jsonl"

    def crash(chunk: int, at: str) -> None:
        if chunk == 2 and at == "committed":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        predict_file(PredictOptions(str(model_dir), str(dump), str(output), chunk_size=8, progress=False), hook=crash)
    with pytest.raises(ValueError, match="batch_size"):
        predict_file(PredictOptions(str(model_dir), str(dump), str(output), batch_size=3, resume=True))
    output.write_bytes(output.read_bytes()[:100])  # lost committed bytes cannot be resumed from
    with pytest.raises(ValueError, match="shorter than"):
        predict_file(PredictOptions(str(model_dir), str(dump), str(output), chunk_size=8, resume=True))


def test_two_shards_merge_into_the_unsharded_output(dump, model_dir, baseline, tmp_path):
    shards = [tmp_path / f"shard{i}.jsonl" for i in range(2)]
    for i, shard in enumerate(shards):
        assert (
            main(
                [
                    "predict",
                    "--model",
                    str(model_dir),
                    "--input",
                    str(dump),
                    "--output",
                    str(shard),
                    "--shard",
                    f"{i}/2",
                    "--chunk-size",
                    "8",
                    "--quiet",
                ]
            )
            == 0
        )
    # Chunks of 8 records alternate between the shards: 0-7, 16-23, 32-39 to shard 0; 16 is the malformed line.
    assert len(shards[0].read_text().splitlines()) == 23
    merged = tmp_path / "merged.jsonl"
    assert main(["merge", str(merged), *map(str, reversed(shards))]) == 0
    assert merged.read_bytes() == baseline.read_bytes()
    assert side_path(merged, "rejects.jsonl").read_bytes() == side_path(baseline, "rejects.jsonl").read_bytes()
    with pytest.raises(ValueError, match="shards 0..1"):
        merge_outputs(tmp_path / "again.jsonl", [shards[0], shards[0]])


def test_dyads_as_csv_sharded_and_merged_equal_one_run(dump, model_dir, tmp_path):
    single = tmp_path / "dyads.csv"
    assert (
        main(
            ["predict", "--model", str(model_dir), "--input", str(dump), "--output", str(single), "--dyads", "--quiet"]
        )
        == 0
    )
    rows = list(csv.DictReader(single.open(encoding="utf-8")))
    assert rows and {r["event_type"] for r in rows} <= {"INVITE", "DECLINE", "BOYCOTT", "MEET"}
    assert all(r["date"] and int(r["count"]) >= 1 for r in rows)
    shards = [tmp_path / f"dyads{i}.csv" for i in range(2)]
    for i, shard in enumerate(shards):
        assert (
            main(
                [
                    "predict",
                    "--model",
                    str(model_dir),
                    "--input",
                    str(dump),
                    "--output",
                    str(shard),
                    "--dyads",
                    "--shard",
                    f"{i}/2",
                    "--quiet",
                ]
            )
            == 0
        )
    merged = tmp_path / "merged.csv"
    assert main(["merge", str(merged), *map(str, shards)]) == 0
    assert merged.read_bytes() == single.read_bytes()


def test_dyads_as_parquet_resumed_and_merged_equal_one_run(dump, model_dir, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    single = tmp_path / "dyads.parquet"
    predict_file(PredictOptions(str(model_dir), str(dump), str(single), dyads=True, chunk_size=8, progress=False))
    table = pq.read_table(single)
    assert table.num_rows > 0 and "source" in table.column_names
    assert not side_path(single, "journal.jsonl").exists()

    resumed = tmp_path / "resumed.parquet"

    def crash(chunk: int, at: str) -> None:
        if chunk == 2 and at == "written":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        predict_file(
            PredictOptions(str(model_dir), str(dump), str(resumed), dyads=True, chunk_size=8, progress=False),
            hook=crash,
        )
    predict_file(
        PredictOptions(str(model_dir), str(dump), str(resumed), dyads=True, chunk_size=8, resume=True, progress=False)
    )
    assert resumed.read_bytes() == single.read_bytes()

    shards = [tmp_path / f"part{i}.parquet" for i in range(2)]
    for i, shard in enumerate(shards):
        predict_file(PredictOptions(str(model_dir), str(dump), str(shard), dyads=True, shard=(i, 2), progress=False))
    merged = tmp_path / "merged.parquet"
    merge_outputs(merged, shards)
    assert merged.read_bytes() == single.read_bytes()


def test_csv_or_parquet_without_dyads_is_refused(dump, model_dir, tmp_path, capsys):
    assert main(["predict", "--model", str(model_dir), "--input", str(dump), "--output", str(tmp_path / "o.csv")]) == 1
    assert "--dyads" in capsys.readouterr().err


def test_empty_texts_are_articles_without_events(model_dir, extractor, tmp_path):
    dump = tmp_path / "empty.jsonl"
    dump.write_text('{"id": "e1", "text": ""}\n\n{"id": "e2", "text": "   "}\n{"id": "e3"}\n', encoding="utf-8")
    output = tmp_path / "out.jsonl"
    predict_file(PredictOptions(str(model_dir), str(dump), str(output), progress=False), extractor=extractor)
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [(r["id"], r["entities"], r["events"]) for r in records] == [("e1", [], []), ("e2", [], [])]
    rejects = [json.loads(line) for line in side_path(output, "rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["id"], r["reason"]) for r in rejects] == [(4, "e3", "missing 'text'")]


def test_predict_api_str_gives_events_and_list_gives_lists_in_order(extractor):
    texts = [a["text"] for a in dump_articles(6)]
    each = [extractor.predict(text) for text in texts]
    assert all(isinstance(events, list) for events in each)
    assert any(each) and not all(each)
    together = extractor.predict(texts, batch_size=4)
    assert len(together) == len(texts)
    positions = [[(e.type, e.trigger.start, e.trigger.end) for e in events] for events in together]
    assert positions == [[(e.type, e.trigger.start, e.trigger.end) for e in events] for events in each]
    assert extractor.predict("") == []
    assert extractor.predict([]) == []
    assert extractor.predict(["", texts[0]])[0] == []


def test_a_3000_token_sentence_is_windowed_and_its_events_map_back(extractor):
    filler = "people said that the city was quiet and calm".split()
    words = [filler[i % len(filler)] for i in range(3000)]
    for at in (40, 1500, 2990):  # early, middle and in the last window
        words[at], words[at + 1] = "Russia", "invited"
    text = " ".join(words) + "."
    expected = [i for i in range(len(text)) if text.startswith("invited", i)]
    extraction = extractor.extract([text])[0]
    assert len(extractor._units([Document(id=None, text=text)])) > 40  # the one sentence took many windows
    assert [(e.type, e.trigger.start) for e in extraction.events] == [("INVITE", at) for at in expected]
    russia = [m.start for m in extraction.mentions if m.label == "GPE"]
    assert russia == [i for i in range(len(text)) if text.startswith("Russia", i)]
    for event in extraction.events:
        for m in [event.trigger, *(a.mention for a in event.arguments)]:
            assert 0 <= m.start < m.end <= len(text) and text[m.start : m.end] == m.text


# -- input readers ---------------------------------------------------------------------------------------------------


def test_readers_take_gzip_csv_parquet_and_text_folders(tmp_path):
    articles = [{"id": "a", "text": "One.", "date": "2017-01-27"}, {"text": "Two."}]
    gz = tmp_path / "dump.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(a) for a in articles) + "\n")
    table = tmp_path / "dump.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["id", "text", "date"])
        writer.writeheader()
        writer.writerows([{"id": "a", "text": "One.", "date": "2017-01-27"}, {"id": "", "text": "Two.", "date": ""}])
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "b.txt").write_text("Two.", encoding="utf-8")
    (folder / "a.txt").write_text("One.", encoding="utf-8")
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    expected = {
        gz: [("a", "One.", "2017-01-27"), ("dump:2", "Two.", None)],
        table: [("a", "One.", "2017-01-27"), ("dump:3", "Two.", None)],  # CSV rows count the header as 1
        folder: [("a", "One.", None), ("b", "Two.", None)],
    }
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    parquet = tmp_path / "dump.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [{"id": "a", "text": "One.", "date": "2017-01-27"}, {"id": None, "text": "Two.", "date": None}]
        ),
        parquet,
    )
    expected[parquet] = [("a", "One.", "2017-01-27"), ("dump:2", "Two.", None)]
    for path, want in expected.items():
        got = [(r.article.id, r.article.text, r.article.date) for r in iter_records(path)]
        assert got == want, path


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('["a list"]', "expected a JSON object, got list"),
        ('{"id": "x", "text": 12}', "'text' must be a string, got int"),
        ('{"id": "x", "text": null}', "missing 'text'"),
        ('{"id": 7, "text": "ok", "date": "27/01/2017"}', "'date' must be an ISO 8601 date"),
        ('{"id": ["x"], "text": "ok"}', "'id' must be a string or an integer"),
        ('{"id": "x", "text": "ok", "url": 5}', "'url' must be a string"),
    ],
)
def test_malformed_records_are_returned_with_their_reason(line, reason, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n' + line + "\n", encoding="utf-8")
    good, bad = iter_records(path)
    assert good.article is not None and good.error is None
    assert bad.article is None and bad.error.startswith(reason) and bad.line == 2


def test_shards_split_records_by_index(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"text": str(i)}) + "\n" for i in range(7)), encoding="utf-8")
    assert [r.index for r in iter_records(path, shard=(1, 3))] == [1, 4]
    assert [r.index for r in iter_records(path, start=3, shard=(0, 3))] == [3, 6]


def test_predict_in_bfloat16_finds_what_float32_finds(dump, model_dir, baseline, tmp_path):
    # Half precision is the GPU path; bfloat16 also runs on a CPU, so the cast and the float32 scoring of
    # its logits are tested here. The keyword checkpoint's margins are wide: the same spans come out.
    output = tmp_path / "bf16.jsonl"
    code = main(
        ["predict", "--model", str(model_dir), "--input", str(dump), "--output", str(output)]
        + ["--chunk-size", "8", "--dtype", "bfloat16", "--quiet"]
    )
    assert code == 0
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    expected = [json.loads(line) for line in baseline.read_text(encoding="utf-8").splitlines()]

    def spans(rows: list[dict]) -> list:
        return [
            (
                [(e["start"], e["end"], e["label"]) for e in r["entities"]],
                [(v["type"], v["trigger"]["start"]) for v in r["events"]],
            )
            for r in rows
        ]

    assert spans(records) == spans(expected)
    assert json.loads(side_path(output, "state.json").read_text())["dtype"] == "bfloat16"
    with pytest.raises(ValueError, match="dtype"):  # a resumed run must not switch precision
        predict_file(PredictOptions(str(model_dir), str(dump), str(output), chunk_size=8, resume=True))


def test_dtype_is_checked_and_excludes_int8(model_dir):
    extractor = EventExtractor.from_pretrained(str(model_dir), device="cpu", dtype="bf16")
    assert {p.dtype for p in extractor.model.parameters()} == {torch.bfloat16}
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        EventExtractor.from_pretrained(str(model_dir), device="cpu", dtype="float8")
    with pytest.raises(ValueError, match="exclude each other"):
        EventExtractor.from_pretrained(str(model_dir), device="cpu", int8=True, dtype="float16")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="glibc's malloc_trim: Linux")
def test_freed_heap_pages_go_back_to_the_system():
    def rss_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

    # 200 MB in blocks below the mmap threshold, nine in ten freed: the freed pages sit between live
    # blocks, where free() cannot hand them back, so glibc keeps them mapped until it is told to trim.
    blocks = [bytearray(b"x" * 100_000) for _ in range(2_000)]
    kept = blocks[::10]
    del blocks
    before = rss_mb()
    assert release_free_heap()
    assert before - rss_mb() > 100, (before, rss_mb())
    assert len(kept) == 200


def test_predict_trims_the_heap_after_every_chunk(dump, model_dir, tmp_path, monkeypatch):
    import parley.inference.batch as batch

    trims = []
    real = batch.release_free_heap
    monkeypatch.setattr(batch, "release_free_heap", lambda: trims.append(1) or real())
    predict_file(PredictOptions(str(model_dir), str(dump), str(tmp_path / "out.jsonl"), chunk_size=8, progress=False))
    assert len(trims) == 6  # 41 input lines in chunks of 8: one trim per commit
