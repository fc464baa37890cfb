"""The Ray Data engine on a local Ray (2 CPUs, no network): the events of `parley predict`, its rejects, and
reruns that skip the files already done.

One local Ray serves the whole module; the checkpoint is the keyword-spotting one of conftest.py.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray

from parley.cli import main
from parley.inference.ray_engine import EngineSettings, extract_dataset
from parley.inference.ray_manifest import MANIFEST, REJECTS_FOLDER, read_manifest
from parley.inference.ray_run import RayPredictOptions, article_records, predict_with_ray, ray_session

REPO = Path(__file__).resolve().parents[1]
MALFORMED_LINE = 17


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def news(n: int, prefix: str = "news") -> list[dict]:
    """`n` short articles of three lines each, cut from the seed and example texts."""
    texts = [
        json.loads(line)["text"]
        for name in ("data/seeds.jsonl", "examples/new_articles.jsonl")
        for line in (REPO / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    articles = []
    for i in range(n):
        lines = [line for line in texts[i % len(texts)].split("\n") if line.strip()]
        start = (i // len(texts) * 3) % len(lines)
        articles.append({"id": f"{prefix}-{i:02d}", "text": "\n".join(lines[start : start + 3]), "date": "2018-01-20"})
    return articles


def write_jsonl(path: Path, articles: list[dict], malformed_line: int | None = None) -> Path:
    lines = [json.dumps(a) for a in articles]
    if malformed_line is not None:
        lines.insert(malformed_line - 1, '{"id": "broken", "text": "no closing quote}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def events_by_id(records: list[dict]) -> dict[str, list[dict]]:
    return {record["id"]: record["events"] for record in records}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    """40 articles with one malformed line (line 17) among them."""
    return write_jsonl(tmp_path_factory.mktemp("dump") / "news.jsonl", news(40), MALFORMED_LINE)


@pytest.fixture(scope="module")
def both_engines(dump, model_dir, tmp_path_factory) -> tuple[Path, Path]:
    """`parley predict` on one process and on Ray with two actors, over the same dump."""
    out = tmp_path_factory.mktemp("engines")
    common = ["predict", "--model", str(model_dir), "--input", str(dump), "--chunk-size", "8", "--quiet"]
    assert main([*common, "--output", str(out / "local.jsonl")]) == 0
    assert main([*common, "--output", str(out / "ray"), "--engine", "ray", "--num-actors", "2"]) == 0
    return out / "local.jsonl", out / "ray"


def test_ray_gives_the_events_of_parley_predict(both_engines):
    local, folder = both_engines
    shards = [path for path in folder.iterdir() if path.suffix == ".jsonl"]
    assert len(shards) == 1
    ray_records, local_records = read_jsonl(shards[0]), read_jsonl(local)
    assert len(local_records) == 40
    assert [r["id"] for r in ray_records] == [r["id"] for r in local_records]
    assert events_by_id(ray_records) == events_by_id(local_records)
    assert sum(len(events) for events in events_by_id(local_records).values()) > 0


def test_ray_on_onnx_static_int8_gives_the_events_of_parley_predict_on_it(model_dir, tmp_path):
    model = shutil.copytree(model_dir, tmp_path / "model", ignore=shutil.ignore_patterns("onnx"))  # a cache of its own
    dump = write_jsonl(tmp_path / "news.jsonl", news(12))
    common = ["predict", "--model", str(model), "--input", str(dump), "--chunk-size", "4", "--quiet"]
    onnx = ["--runtime", "onnx", "--int8"]
    assert main([*common, *onnx, "--output", str(tmp_path / "local.jsonl")]) == 0
    assert main([*common, *onnx, "--output", str(tmp_path / "ray"), "--engine", "ray", "--num-actors", "2"]) == 0
    assert any(path.name.startswith("encoder-int8-static-") for path in (model / "onnx").iterdir())
    (shard,) = (path for path in (tmp_path / "ray").iterdir() if path.suffix == ".jsonl")
    local = events_by_id(read_jsonl(tmp_path / "local.jsonl"))
    assert events_by_id(read_jsonl(shard)) == local and sum(map(len, local.values())) > 0
    manifest = read_manifest(tmp_path / "ray")
    assert manifest.run["runtime"] == "onnx"


def test_one_file_reaches_the_actors_in_several_blocks(model_dir, tmp_path):
    """Ray Data merges what a task yields into blocks of up to 128 MiB unless told otherwise: then a whole file
    would reach the actor pool as one bundle and one actor would do all the work (seen with 2,000 articles)."""
    articles = [{**article, "text": article["text"] * 60} for article in news(120)]  # ~20 KB each
    path = write_jsonl(tmp_path / "one-file.jsonl", articles)
    with ray_session(None, progress=False):
        records = article_records([path], EngineSettings(str(model_dir), batch_size=16)).materialize()
    assert records.count() == 120
    assert records.num_blocks() >= 4


def test_malformed_line_is_rejected_with_its_file_and_line(both_engines, dump):
    local, folder = both_engines
    rejects = [read_jsonl(path) for path in (folder / REJECTS_FOLDER).iterdir()]
    assert rejects == [read_jsonl(local.with_name(local.name + ".rejects.jsonl"))]
    (reject,) = rejects[0]
    assert (reject["file"], reject["line"]) == (str(dump.resolve()), MALFORMED_LINE)
    assert reject["reason"].startswith("not valid JSON")


def test_rerun_skips_the_files_already_done(model_dir, tmp_path):
    inputs, folder = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    write_jsonl(inputs / "a.jsonl", news(6, "a"))
    pq.write_table(pa.Table.from_pylist(news(5, "b")), inputs / "b.parquet")
    (inputs / "c.csv").write_text("title\nno text column\n", encoding="utf-8")
    settings = EngineSettings(str(model_dir), kind="dyads", batch_size=4, runtime="torch")
    options = RayPredictOptions(str(inputs), str(folder), settings, format="parquet", progress=False)

    first = predict_with_ray(options)
    assert (first.files_done, first.articles, first.rejected) == (3, 11, 1)
    shards = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.parquet")}
    assert len(shards) == 3 and first.rows == sum(pq.read_table(folder / name).num_rows for name in shards)
    (unreadable,) = read_jsonl(next((folder / REJECTS_FOLDER).glob("c-*.jsonl")))
    assert unreadable["file"] == str((inputs / "c.csv").resolve()) and "no 'text' column" in unreadable["reason"]

    again = predict_with_ray(options)
    assert (again.files_done, again.files_skipped, again.articles) == (0, 3, 0)
    assert {path.name: path.stat().st_mtime_ns for path in folder.glob("*.parquet")} == shards

    write_jsonl(inputs / "d.jsonl", news(3, "d"))
    # The default runtime ("auto") goes on with the one the folder was begun with (torch), not static int8.
    grown = predict_with_ray(replace(options, settings=replace(settings, runtime="auto")))
    assert (grown.files_done, grown.files_skipped, grown.articles) == (1, 3, 3)
    assert all(path.stat().st_mtime_ns == shards[path.name] for path in folder.glob("*.parquet") if path.name in shards)
    assert len(read_manifest(folder).files) == 4 and "runtime" not in read_manifest(folder).run

    with pytest.raises(ValueError, match="differs in"):
        predict_with_ray(RayPredictOptions(str(inputs), str(folder), EngineSettings(str(model_dir)), progress=False))


def test_dataset_api_gives_event_table_rows(model_dir):
    articles = news(6) + [{"text": "Russia invited the opposition."}]
    results = extract_dataset(ray.data.from_items(articles), EngineSettings(str(model_dir), kind="events")).take_all()
    by_id = {row["id"]: row for row in results}
    assert len(results) == 7 and by_id[None]["error"].startswith("missing 'id'")
    rows = [json.loads(line) for result in results if result["rows"] for line in result["rows"].split("\n") if line]
    assert rows and {row["story_id"] for row in rows} <= {a.get("id") for a in articles}
    assert all(row["event_type"] and row["model_version"] for row in rows)


def test_a_file_output_is_refused(model_dir, tmp_path, dump):
    target = tmp_path / "out.jsonl"
    target.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="is a file"):
        predict_with_ray(RayPredictOptions(str(dump), str(target), EngineSettings(str(model_dir))))
    assert not (tmp_path / MANIFEST).exists()
