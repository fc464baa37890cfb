"""`parley predict --workers N`: preparation and output work in worker processes write the same bytes as one
process, in order, with rejects, shards and resume unchanged (inference/host_pool.py)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from parley.documents import Document
from parley.inference.batch import PredictOptions, predict_file
from parley.inference.host_pool import ChunkPipeline
from parley.inference.news_io import InputRecord
from parley.inference.run_state import side_path

pytestmark = pytest.mark.usefixtures("one_thread")

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds.jsonl"


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    """30 articles (the seed texts cut into paragraphs) with a malformed line and a repeated id among them."""
    lines = []
    for seed in (json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines() if line.strip()):
        for n, paragraph in enumerate(p for p in seed["text"].split("\n") if p.strip()):
            lines.append(json.dumps({"id": f"{seed['id']}-{n}", "text": paragraph, "date": seed.get("date")}))
    lines = lines[::3][:30]  # every third paragraph: from every seed, some with the checkpoint's trigger words
    lines.insert(5, '{"id": "broken", "text": "no closing quote}')
    lines.insert(11, lines[2])  # the same id twice: the second is rejected
    path = tmp_path_factory.mktemp("dump") / "news.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(extractor, model_dir, dump: Path, output: Path, workers: int, **kwargs) -> Path:
    options = PredictOptions(
        str(model_dir), str(dump), str(output), chunk_size=4, progress=False, workers=workers, **kwargs
    )
    predict_file(options, extractor=extractor)
    return output


def same_files(one: Path, other: Path, sides: tuple[str, ...] = ("rejects.jsonl",)) -> None:
    assert one.read_bytes() == other.read_bytes()
    for side in sides:
        assert side_path(one, side).read_bytes() == side_path(other, side).read_bytes(), side


@pytest.mark.parametrize(("name", "dyads"), [("out.jsonl", False), ("out.csv", True)])
def test_two_workers_write_the_bytes_of_one_process(name, dyads, extractor, model_dir, dump, tmp_path):
    alone = run(extractor, model_dir, dump, tmp_path / "alone" / name, workers=0, dyads=dyads)
    pooled = run(extractor, model_dir, dump, tmp_path / "pooled" / name, workers=2, dyads=dyads)
    same_files(alone, pooled)
    rejects = side_path(pooled, "rejects.jsonl").read_text().splitlines()
    assert len(rejects) == 2  # the malformed line and the repeated id
    if not dyads:
        records = [json.loads(line) for line in pooled.read_text().splitlines()]
        assert len(records) == 30 and sum(len(r["events"]) for r in records) > 0


def test_a_sharded_run_with_workers_writes_the_bytes_and_index_of_one_process(extractor, model_dir, dump, tmp_path):
    alone = run(extractor, model_dir, dump, tmp_path / "alone.jsonl", workers=0, shard=(1, 2))
    pooled = run(extractor, model_dir, dump, tmp_path / "pooled.jsonl", workers=1, shard=(1, 2))
    same_files(alone, pooled, ("rejects.jsonl", "index"))


def test_a_run_with_workers_interrupted_resumes_to_the_same_bytes(extractor, model_dir, dump, tmp_path):
    alone = run(extractor, model_dir, dump, tmp_path / "alone.jsonl", workers=0)
    output = tmp_path / "pooled.jsonl"

    def crash(chunk: int, at: str) -> None:
        if chunk == 3 and at == "written":
            raise KeyboardInterrupt

    options = PredictOptions(str(model_dir), str(dump), str(output), chunk_size=4, progress=False, workers=2)
    with pytest.raises(KeyboardInterrupt):
        predict_file(options, extractor=extractor, hook=crash)
    assert multiprocessing.active_children() == []  # the workers were stopped with the run
    state = json.loads(side_path(output, "state.json").read_text())
    assert state["records"] == 8 and not state["done"]  # two chunks of four committed, the third not
    run(extractor, model_dir, dump, output, workers=2, resume=True)
    same_files(alone, output)


def test_a_negative_worker_count_is_refused(extractor, model_dir, dump, tmp_path):
    with pytest.raises(ValueError, match="--workers: expected 0 or more, got -1"):
        run(extractor, model_dir, dump, tmp_path / "out.jsonl", workers=-1)


def record(text) -> InputRecord:
    return InputRecord(0, 1, "news.jsonl", "a", article=Document("a", text))


def test_a_failing_host_step_raises_with_the_workers_traceback(extractor):
    commits = []
    with pytest.raises(RuntimeError, match=r"host worker 0, chunk 0:(.|\n)*Traceback(.|\n)*Error"):
        with ChunkPipeline(extractor, 1, "jsonl", False, 8, lambda *a: commits.append(a)) as pipeline:
            pipeline.submit([record(None)], 1, done=True)  # a text the worker cannot split
    assert commits == [] and multiprocessing.active_children() == []


def test_a_worker_that_dies_is_an_error_not_a_hang(extractor):
    with pytest.raises(RuntimeError, match=r"host worker 1 exited \(code -9\)"):
        with ChunkPipeline(extractor, 2, "jsonl", False, 8, lambda *a: None) as pipeline:
            pipeline.workers[1].process.kill()
            for _ in range(3):  # the second chunk goes to worker 1
                pipeline.submit([record("The minister met the envoy in Geneva.")], 1)
    assert multiprocessing.active_children() == []


def test_a_worker_leaves_ctrl_c_to_the_main_process(extractor):
    commits = []
    with ChunkPipeline(extractor, 1, "jsonl", False, 8, lambda *a: commits.append(a)) as pipeline:
        pipeline.submit([record("The minister met the envoy in Geneva.")], 1)
        worker = pipeline.workers[0]
        deadline = time.monotonic() + 120
        while not worker.ready("prepare", 0):  # an answer: the worker is past its set-up
            assert time.monotonic() < deadline, "the worker never answered"
            time.sleep(0.05)
        os.kill(worker.process.pid, signal.SIGINT)
        pipeline.submit([record("Russia invited the opposition to Moscow.")], 2, done=True)
    assert len(commits) == 2 and worker.process.exitcode == -signal.SIGTERM  # ended by the pipeline, not Ctrl-C
