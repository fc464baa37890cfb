"""`parley serve`: the HTTP server on loopback with the keyword checkpoint, and its micro-batcher."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra: pip install -e '.[serve]'")
import uvicorn  # noqa: E402

from parley.cli import main  # noqa: E402
from parley.inference.microbatch import MicroBatcher, QueueFull  # noqa: E402
from parley.inference.server import ServeSettings, create_app  # noqa: E402

ARTICLE = {"id": "a1", "text": "Russia invited the opposition to talks in Geneva on Monday.", "date": "2017-01-27"}


@contextmanager
def running(app):
    """The app served by uvicorn in a thread on a free loopback port; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def call(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, object]:
    """(status, decoded JSON) of a GET (no body) or POST; 4xx and 5xx answers are returned, not raised."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def post_json(base: str, payload, headers: dict | None = None) -> tuple[int, object]:
    return call(f"{base}/v1/extract", json.dumps(payload).encode(), headers)


def events_of(record: dict) -> list[tuple]:
    """What an answer found, scores aside (a batch pads sentences differently, which moves scores in the last digit)."""
    return [(e["type"], e["status"], e["trigger"]["start"], e["trigger"]["end"]) for e in record["events"]]


@pytest.fixture(scope="module")
def server(extractor, model_dir):
    # A long wait makes batching under concurrency certain rather than likely; small limits keep bad bodies small.
    settings = ServeSettings(
        max_batch_size=32, max_wait_ms=200, max_articles=3, max_text_chars=300, max_body_bytes=4000
    )
    with running(create_app(extractor, settings, model_dir=model_dir)) as base:
        yield base


def test_one_article_gets_the_record_parley_predict_writes(server, extractor):
    status, record = post_json(server, ARTICLE)
    assert status == 200
    expected = extractor.extract([ARTICLE])[0].to_record()
    assert record == expected
    assert {e["type"] for e in record["events"]} == {"INVITE"}


def test_a_list_gets_a_list_in_order(server):
    texts = ["Lavrov met the coalition in Moscow.", "No events here.", "Russia declined the talks on Friday."]
    status, records = post_json(server, [{"id": f"L{n}", "text": t} for n, t in enumerate(texts)])
    assert status == 200
    assert [r["id"] for r in records] == ["L0", "L1", "L2"]
    assert [r["text"] for r in records] == texts
    assert [[e[0] for e in events_of(r)] for r in records] == [["MEET"], [], ["DECLINE"]]


def test_a_body_without_json_content_type_is_read_as_json(server):
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # what `curl -d` sends
    status, record = call(f"{server}/v1/extract", json.dumps({"text": "Moscow invited Lavrov."}).encode(), form)
    assert status == 200 and events_of(record)[0][0] == "INVITE"


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(server, extractor):
    before = call(f"{server}/health")[1]["batching"]
    verbs = ["invited", "met", "declined", "boycott"]
    articles = [{"id": f"c{n}", "text": f"Russia {verbs[n % 4]} the coalition {n} times."} for n in range(12)]
    barrier = threading.Barrier(len(articles))

    def send(article):
        barrier.wait()
        return post_json(server, article)

    with ThreadPoolExecutor(len(articles)) as pool:
        answers = list(pool.map(send, articles))
    expected = extractor.extract(articles)
    for article, (status, record), alone in zip(articles, answers, expected, strict=True):
        assert status == 200
        assert (record["id"], record["text"]) == (article["id"], article["text"])
        assert events_of(record) == events_of(alone.to_record())
    after = call(f"{server}/health")[1]["batching"]
    assert after["requests"] - before["requests"] == len(articles)
    assert after["batches"] - before["batches"] < len(articles)  # some batch held several requests
    assert max(int(size) for size in after["requests_per_batch"]) > 1


BAD_REQUESTS = [
    (b'{"text": "unterminated', 400, "invalid JSON at line 1"),
    (b"", 400, "empty body"),
    (b"\xff\xfe{", 400, "invalid JSON"),
    (b'"just a string"', 422, "got str"),
    (b"[]", 422, "empty list"),
    (b'{"id": "x1"}', 422, "article 0 (id 'x1'): missing 'text'"),
    (b'[{"text": "fine"}, {"text": 5}]', 422, "article 1: 'text' must be a string"),
    (b'{"text": "ok", "date": "last week"}', 422, "'date' must be an ISO 8601 date"),
    (b'{"text": "ok", "id": [1]}', 422, "'id' must be a string or an integer"),
    (json.dumps([{"text": "a"}] * 4).encode(), 413, "too many articles: 4, at most 3"),
    (json.dumps({"id": "long", "text": "word " * 100}).encode(), 413, "article 0 (id 'long'): text of 500 characters"),
    (json.dumps({"text": "x" * 5000}).encode(), 413, "at most 4000"),
]


@pytest.mark.parametrize(("body", "status", "message"), BAD_REQUESTS)
def test_a_bad_request_gets_its_4xx_and_the_server_goes_on(server, body, status, message):
    got, answer = call(f"{server}/v1/extract", body)
    assert got == status
    assert message in answer["detail"]
    assert post_json(server, ARTICLE)[0] == 200


def test_model_info_and_openapi(server, extractor, model_dir):
    status, info = call(f"{server}/v1/model")
    assert status == 200
    assert info["labels"]["event_types"] == list(extractor.labels.event_types)
    assert info["model_version"].startswith(model_dir.name + "@")
    assert info["schema"] == extractor.model.config.schema
    # The fixture's extractor took the default runtime: on this CPU, static int8 on ONNX Runtime.
    assert info["runtime"] == {"name": "onnx", "int8": True, "device": "cpu"}
    status, spec = call(f"{server}/openapi.json")
    assert status == 200 and "/v1/extract" in spec["paths"]


def test_bearer_token_guards_the_v1_routes(extractor):
    with running(create_app(extractor, ServeSettings(token="s3cret"))) as base:
        assert post_json(base, ARTICLE)[0] == 401
        assert post_json(base, ARTICLE, {"Authorization": "Bearer wrong"})[0] == 401
        assert call(f"{base}/v1/model")[0] == 401
        assert post_json(base, ARTICLE, {"Authorization": "Bearer s3cret"})[0] == 200
        assert call(f"{base}/v1/model", headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert call(f"{base}/health")[0] == 200


class GatedExtractor:
    """The real extractor, whose `extract` waits for `gate`: keeps the model busy while a test fills the queue."""

    def __init__(self, extractor):
        self.inner, self.gate, self.entered = extractor, threading.Event(), threading.Event()

    def extract(self, documents, **kwargs):
        self.entered.set()
        assert self.gate.wait(60), "the test never opened the gate"
        return self.inner.extract(documents, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_full_queue_answers_503_with_retry_after_and_recovers(extractor, model_dir):
    gated = GatedExtractor(extractor)
    settings = ServeSettings(max_batch_size=1, max_wait_ms=0, max_queue=2)
    with running(create_app(gated, settings, model_dir=model_dir)) as base, ThreadPoolExecutor(3) as pool:
        articles = [{"id": f"q{n}", "text": f"Russia invited the coalition {n} times."} for n in range(4)]
        first = pool.submit(post_json, base, articles[0])
        assert gated.entered.wait(30)  # the model holds the first request
        queued = pool.submit(post_json, base, articles[1:3])  # two articles: the queue is full
        deadline = time.monotonic() + 30
        while call(f"{base}/health")[1]["batching"]["queued"] < 2:
            assert time.monotonic() < deadline, "the second request never queued"
            time.sleep(0.02)
        request = urllib.request.Request(f"{base}/v1/extract", json.dumps(articles[3]).encode(), method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 503
        assert int(refused.value.headers["Retry-After"]) >= 1
        detail = json.loads(refused.value.read())["detail"]
        assert detail.startswith("server busy: 2 articles wait for the model, at most 2; retry in ")
        gated.gate.set()
        assert first.result(30) == (200, extractor.extract([articles[0]])[0].to_record())
        status, records = queued.result(30)
        assert status == 200 and [r["id"] for r in records] == ["q1", "q2"]
        assert post_json(base, articles[3])[0] == 200  # room again
        health = call(f"{base}/health")[1]["batching"]
        assert (health["queued"], health["refused"]) == (0, 1)


def test_cli_refuses_bad_limits_before_loading(model_dir, capsys):
    assert main(["serve", "--model", str(model_dir), "--max-batch-size", "0"]) == 1
    assert "--max-batch-size: must be at least 1" in capsys.readouterr().err
    assert main(["serve", "--model", str(model_dir), "--max-queue", "0"]) == 1
    assert "--max-queue: must be at least 1" in capsys.readouterr().err


def test_cli_passes_the_runtime_options_to_the_model(model_dir, capsys):
    """--runtime, --int8 and --dtype reach the model as in parley predict: ONNX Runtime with a GPU is refused."""
    assert main(["serve", "--model", str(model_dir), "--runtime", "onnx", "--device", "cuda"]) == 1
    assert "runtime='onnx' runs on the CPU only" in capsys.readouterr().err
    assert main(["serve", "--model", str(model_dir), "--runtime", "onnx", "--dtype", "float16"]) == 1
    assert "runtime='onnx' runs float32" in capsys.readouterr().err


# -- the batcher alone ---------------------------------------------------------------------------------------------


def test_batcher_joins_queued_requests_and_splits_the_answers():
    calls = []

    def double(items):
        calls.append(list(items))
        return [2 * x for x in items]

    batcher = MicroBatcher(double, max_batch_size=8, max_wait_ms=5000)
    with ExitStack() as requests:
        for _ in range(3):  # three requests in flight, as the server announces them: the batch waits for all
            requests.enter_context(batcher.in_flight())
        futures = [batcher.submit([n, n + 100]) for n in range(3)]
    assert [f.result(10) for f in futures] == [[0, 200], [2, 202], [4, 204]]
    batcher.close()
    assert calls == [[0, 100, 1, 101, 2, 102]]
    assert batcher.stats.requests_per_batch == {3: 1}


def test_batcher_does_not_keep_a_lone_request_waiting():
    batcher = MicroBatcher(lambda items: items, max_batch_size=8, max_wait_ms=60_000)
    start = time.monotonic()
    with batcher.in_flight():
        assert batcher.submit(["alone"]).result(30) == ["alone"]
    assert time.monotonic() - start < 10  # nothing on its way: no 60 s wait for company
    batcher.close()


def test_batcher_waits_longer_for_callers_in_flight_after_a_long_batch():
    """After a 2 s run, requests in flight get up to 5% of it (100 ms) to join, not only max_wait_ms (1 ms)."""
    calls = []

    def run(items):
        calls.append(list(items))
        if items == ["long"]:
            time.sleep(2)
        return items

    batcher = MicroBatcher(run, max_batch_size=8, max_wait_ms=1)
    assert batcher.submit(["long"]).result(30) == ["long"]
    with batcher.in_flight(), batcher.in_flight():
        first = batcher.submit(["a"])
        time.sleep(0.03)  # longer than max_wait_ms, well within 5% of the last run
        second = batcher.submit(["b"])
        assert (first.result(10), second.result(10)) == (["a"], ["b"])
    batcher.close()
    assert calls == [["long"], ["a", "b"]]


def test_batcher_waits_for_the_callers_it_answered_to_come_back():
    """Callers answered together send their next request a few ms apart, not in flight meanwhile: they are
    expected back and join one batch again, rather than the first one back running alone."""
    calls = []

    def run(items):
        calls.append(sorted(items))
        time.sleep(0.05)
        return items

    batcher = MicroBatcher(run, max_batch_size=8, max_wait_ms=300)
    ready = threading.Barrier(3)

    def caller(n):
        for turn in range(3):
            if turn:
                time.sleep(0.01 + 0.02 * n)  # the answer's way back and the next request's way in
            with batcher.in_flight():
                if not turn:
                    ready.wait(10)  # all three in flight before the first batch forms
                assert batcher.submit([f"{turn}{n}"]).result(30) == [f"{turn}{n}"]

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(caller, range(3)))
    batcher.close()
    assert calls == [[f"{turn}{n}" for n in range(3)] for turn in range(3)]


def test_batcher_without_batching_runs_each_request_alone():
    batcher = MicroBatcher(lambda items: items, max_batch_size=1, max_wait_ms=300)
    futures = [batcher.submit([n]) for n in range(4)]
    assert [f.result(10) for f in futures] == [[0], [1], [2], [3]]
    batcher.close()
    assert batcher.stats.requests_per_batch == {1: 4}


def test_batcher_a_failing_request_does_not_fail_its_batch():
    def strict(items):
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]

    batcher = MicroBatcher(strict, max_batch_size=8, max_wait_ms=5000)
    with batcher.in_flight(), batcher.in_flight():
        good, bad = batcher.submit(["ok"]), batcher.submit(["bad"])
    assert good.result(10) == ["OK"]
    with pytest.raises(ValueError, match="bad item"):
        bad.result(10)
    batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(["late"])


def test_batcher_refuses_past_max_queue_and_admits_again_once_it_drains():
    release = threading.Event()

    def slow(items):
        release.wait(30)
        return items

    batcher = MicroBatcher(slow, max_batch_size=1, max_wait_ms=0, max_queue=3)
    running_now = batcher.submit(["r"])
    deadline = time.monotonic() + 10
    while batcher.queued:  # the worker took it: it runs, it does not wait
        assert time.monotonic() < deadline
        time.sleep(0.005)
    waiting = [batcher.submit(["a", "b"]), batcher.submit(["c"])]
    with pytest.raises(QueueFull, match="3 items waiting, at most 3") as full:
        batcher.submit(["d"])
    assert (full.value.queued, full.value.limit, full.value.retry_after_s) == (3, 3, 1)
    release.set()
    assert [f.result(10) for f in [running_now, *waiting]] == [["r"], ["a", "b"], ["c"]]
    big = batcher.submit(list("abcdefgh"))  # more than max_queue, on an empty queue: let in
    assert big.result(10) == list("abcdefgh")
    batcher.close()
    assert batcher.stats.refused == 1 and batcher.stats.run_s > 0 and batcher.stats.wait_s > 0


def test_load_benchmark_prints_its_table_and_closing_line(model_dir):
    """benchmarks/serve_load.py end to end at a tiny size: two servers, both batch sizes, no errors."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "serve_load.py"
    arguments = ["--model", str(model_dir), "--requests", "12", "--concurrency", "1", "4", "--sentences", "1"]
    arguments.append("--server-args=--batch-size 8")  # passed on to every server
    done = subprocess.run(
        [sys.executable, str(script), *arguments], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].endswith("; server options: --batch-size 8"), lines[0]
    assert sum(line.startswith("| parley serve, max batch") for line in lines) == 4
    assert re.fullmatch(r"serve_speedup_c4=\d+\.\d\d errors=0 rss_growth_mb=-?\d+", lines[-1])


def test_profile_benchmark_prints_its_table_and_closing_line(model_dir):
    """benchmarks/serve_profile.py end to end at a tiny size: the model by articles per call, then the HTTP side."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "serve_profile.py"
    arguments = ["--model", str(model_dir), "--articles", "4", "--sizes", "1", "4", "--rounds", "1", "--requests", "4"]
    done = subprocess.run(
        [sys.executable, str(script), *arguments], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert sum(re.match(r"\| [14] \| \d+\.\d \| ", line) is not None for line in lines) == 2
    assert re.fullmatch(r"model_speedup_4=\d+\.\d\d http_overhead_ms=-?\d+\.\d", lines[-1])
