"""HTTP load on `parley serve`: requests/s, articles/s, latency, errors and server RSS, micro-batching on and off.

    python benchmarks/serve_load.py [--model DIR] [--requests 2000] [--concurrency 1 8 32]
        [--max-batch-sizes 32 1] [--max-wait-ms 10] [--sentences K] [--threads 1] [--server-args="..."]

For each `--max-batch-sizes` value (32: micro-batching on; 1: off) a fresh server starts on a free loopback
port, gets a short warm-up, and then `--requests` requests at each concurrency, one article per request.
The articles are the passages of data/synthetic (fixed order; `--sentences K` keeps each one's first K
sentences, for short-article traffic). The client is one asyncio loop holding one keep-alive connection per
concurrent caller; a request counts as an error unless it answers 200 with its own article id. RSS is the
server's (and its children's) resident memory after the warm-up and after the last concurrency. From the
server's /health: requests per batch, a request's mean wait in the queue (from submit to its batch's start)
and the mean model call per batch (tokenising to records); the rest of a latency is HTTP and JSON. The last
line is `serve_speedup_c32=X errors=N rss_growth_mb=M`: requests/s at concurrency 32 with the first batch
size over the last, all errors, and the largest RSS growth of one server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = "/work/main/runs/main/model"
WARMUP_REQUESTS = 32
ROUNDS = 4  # turns each server takes at each concurrency
REQUEST_TIMEOUT_S = 120


@dataclass
class LoadResult:
    requests: int
    articles: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def row(self) -> dict:
        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "requests": self.requests,
            "req_per_s": self.requests / self.seconds,
            "articles_per_s": self.articles / self.seconds,
            "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
            "errors": self.errors,
        }


def request_bodies(sentences: int | None) -> list[tuple[str, bytes]]:
    """(article id, JSON body) per synthetic passage, each cut to its first `sentences` sentences if given."""
    from parley.text import split_sentences

    bodies = []
    for path in sorted((REPO / "data" / "synthetic").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            if sentences is not None:
                spans = split_sentences(text)[:sentences]
                text = text[spans[0][0] : spans[-1][1]]
            article_id = f"r{len(bodies)}"
            bodies.append((article_id, json.dumps({"id": article_id, "text": text}).encode()))
    return bodies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, MB (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, StopIteration):
            continue  # gone, or a kernel thread without RSS
    return total / 1024


def start_server(argv: list[str], port: int, env: dict[str, str], timeout_s: float = 300) -> subprocess.Popen:
    """Start a server command and wait until GET /health answers 200; fail with its output if it dies."""
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"serve_load_{port}.log", "w+b")
    # A session of its own: stop_server ends the server's worker processes too (LitServe starts some).
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log = log
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read().decode()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    stop_server(process)
    raise RuntimeError(f"server on port {port} not ready after {timeout_s} s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started by start_server and every process of its session."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(30)
            break
        except subprocess.TimeoutExpired:
            continue
    process.log.close()


def batching_stats(port: int) -> dict | None:
    """What parley serve's /health says of its batcher; None from a server that does not say (LitServe)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        try:
            return json.loads(response.read()).get("batching")
        except (ValueError, AttributeError):
            return None


def batch_figures(before: dict, after: dict) -> dict:
    """Requests per batch, mean queue wait per request and mean model call per batch between two /health reads."""
    batches = max(1, after["batches"] - before["batches"])
    requests = max(1, after["requests"] - before["requests"])
    figures = {"requests_per_batch": (after["requests"] - before["requests"]) / batches}
    if "run_s" in after:  # a server from before the batcher timed itself says nothing of it
        figures["wait_ms"] = (after["wait_s"] - before["wait_s"]) / requests * 1000
        figures["batch_ms"] = (after["run_s"] - before["run_s"]) / batches * 1000
    return figures


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(v) for k, _, v in (line.partition(":") for line in lines[1:]) if k.lower() == "content-length")
    return status, await reader.readexactly(length)


def _answers_its_article(payload: bytes, article_id: str) -> bool:
    answer = json.loads(payload)
    answer = answer[0] if isinstance(answer, list) and len(answer) == 1 else answer
    return isinstance(answer, dict) and answer.get("id") == article_id


async def _caller(port: int, path: str, bodies, todo: list[int], latencies: list[float], errors: list[int]) -> None:
    reader = writer = None
    while todo:
        article_id, body = bodies[todo.pop() % len(bodies)]
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        message = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(message)
            status, payload = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
            ok = status == 200 and _answers_its_article(payload, article_id)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            ok, writer = False, None  # a fresh connection for the next request
        latencies.append((time.perf_counter() - start) * 1000)
        errors[0] += not ok
    if writer is not None:
        writer.close()


def run_load(port: int, bodies, requests: int, concurrency: int, path: str = "/v1/extract") -> LoadResult:
    """Send `requests` requests from `concurrency` concurrent keep-alive callers and time them."""
    todo, latencies, errors = list(range(requests)), [], [0]

    async def main() -> None:
        await asyncio.gather(*(_caller(port, path, bodies, todo, latencies, errors) for _ in range(concurrency)))

    start = time.perf_counter()
    asyncio.run(main())
    return LoadResult(requests, requests, errors[0], time.perf_counter() - start, latencies)


def merged(results: list[LoadResult]) -> LoadResult:
    """The rounds of one server at one concurrency as one result (their busy seconds added up)."""
    return LoadResult(
        sum(r.requests for r in results),
        sum(r.articles for r in results),
        sum(r.errors for r in results),
        sum(r.seconds for r in results),
        [latency for r in results for latency in r.latencies_ms],
    )


def measure_servers(servers: dict[str, list[str]], env: dict, bodies, requests: int, concurrencies, path: str) -> dict:
    """Start every server (label -> command with `{port}`), then load them in turns, ROUNDS rounds per concurrency.

    Side by side rather than one after the other: on shared cores the load of other processes drifts, and
    taking turns gives every server the same share of it. Per label: rows, and RSS after warm-up and at the end.
    """
    ports = {label: free_port() for label in servers}
    processes = {}
    try:
        for label, command in servers.items():
            processes[label] = start_server([part.format(port=ports[label]) for part in command], ports[label], env)
            run_load(ports[label], bodies, WARMUP_REQUESTS, 8, path)
        found = {label: {"rows": [], "rss_before_mb": tree_rss_mb(p.pid)} for label, p in processes.items()}
        shares = [requests // ROUNDS + (i < requests % ROUNDS) for i in range(ROUNDS)]
        for concurrency in concurrencies:
            stats = {label: batching_stats(port) for label, port in ports.items()}
            rounds: dict[str, list[LoadResult]] = {label: [] for label in servers}
            for share in filter(None, shares):
                for label, port in ports.items():
                    rounds[label].append(run_load(port, bodies, share, concurrency, path))
            for label, port in ports.items():
                row = {"concurrency": concurrency, **merged(rounds[label]).row()}
                after = batching_stats(port)
                if after is not None:
                    row.update(batch_figures(stats[label], after))
                found[label]["rows"].append(row)
        for label, process in processes.items():
            found[label]["rss_after_mb"] = tree_rss_mb(process.pid)
        return found
    finally:
        for process in processes.values():
            stop_server(process)


def server_env(threads: int) -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false")
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(REPO))
    return env


def format_row(label: str, row: dict) -> str:
    batch = f"{row['requests_per_batch']:.1f}" if "requests_per_batch" in row else "-"
    wait, run = (f"{row[key]:.0f}" if key in row else "-" for key in ("wait_ms", "batch_ms"))
    return (
        f"| {label} | {row['concurrency']} | {row['requests']} | {row['req_per_s']:.1f} | {row['articles_per_s']:.1f} "
        f"| {row['p50_ms']:.0f} | {row['p99_ms']:.0f} | {row['errors']} | {batch} | {wait} | {run} |"
    )


TABLE_HEAD = (
    "| server | concurrency | requests | requests/s | articles/s | p50 ms | p99 ms | errors | requests per batch "
    "| queue ms | model ms per batch |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency and batch size")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--max-batch-sizes", type=int, nargs="+", default=[32, 1], help="first: on; last: off")
    parser.add_argument("--max-wait-ms", type=float, default=10.0)
    parser.add_argument("--sentences", type=int, default=None, help="cut each article to its first K sentences")
    parser.add_argument("--threads", type=int, default=1, help="the server's torch/OpenMP threads")
    parser.add_argument(
        "--server-args",
        # torch: the runtime the tables of benchmarks/README.md were measured on before static int8 became
        # the CPU default; --server-args="--runtime auto" measures the default.
        default="--runtime torch",
        help='`parley serve` options for every server (default: --runtime torch), e.g. --server-args="--runtime auto"',
    )
    args = parser.parse_args(argv)

    bodies = request_bodies(args.sentences)
    mean_chars = statistics.mean(len(json.loads(b)["text"]) for _, b in bodies)
    extra = shlex.split(args.server_args)
    print(
        f"{len(bodies)} distinct articles, mean {mean_chars:.0f} characters; {args.threads} server thread(s)"
        + (f"; server options: {' '.join(extra)}" if extra else "")
    )
    print(TABLE_HEAD)
    base = [sys.executable, "-m", "parley.cli", "serve", "--model", args.model, "--port", "{port}", *extra]
    servers = {
        size: [*base, "--max-batch-size", str(size), "--max-wait-ms", str(args.max_wait_ms)]
        for size in args.max_batch_sizes
    }
    env = server_env(args.threads)
    results = measure_servers(servers, env, bodies, args.requests, args.concurrency, "/v1/extract")
    for size, result in results.items():
        for row in result["rows"]:
            print(format_row(f"parley serve, max batch {size}", row), flush=True)
    for size, result in results.items():
        before, after = result["rss_before_mb"], result["rss_after_mb"]
        print(f"max batch {size}: server RSS {before:.0f} MB after warm-up, {after:.0f} MB at the end")
    on, off = (results[s]["rows"] for s in (args.max_batch_sizes[0], args.max_batch_sizes[-1]))
    top = max(args.concurrency)
    speedup = next(r["req_per_s"] for r in on if r["concurrency"] == top) / next(
        r["req_per_s"] for r in off if r["concurrency"] == top
    )
    errors = sum(row["errors"] for result in results.values() for row in result["rows"])
    growth = max(result["rss_after_mb"] - result["rss_before_mb"] for result in results.values())
    print(f"serve_speedup_c{top}={speedup:.2f} errors={errors} rss_growth_mb={growth:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
