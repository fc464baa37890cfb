"""Where a `parley serve` request's time goes: the model pass by articles per call, and the HTTP side at concurrency 1.

    python benchmarks/serve_profile.py [--model DIR] [--articles 64] [--sizes 1 4 16 32] [--rounds 2]
        [--requests 64] [--threads 1]

Part 1, the model alone (what micro-batching can gain at most): the same `--articles` real-length passages of
data/synthetic go through `EventExtractor.extract` + `to_record` in calls of 1, 4, 16 and 32 articles, the
sizes taking turns in each of `--rounds` rounds, in this process with `--threads` torch threads. Per size: ms
per article, its split into tokenising and windows, the encoder, the heads with decoding, and assembly with
the records, and the share of the encoder's input that is padding.

Part 2, the HTTP side: a `parley serve --max-batch-size 1` server in its own process (same threads) takes
`--requests` requests one after another (concurrency 1), taking turns with the same articles run in this
process one per call; the difference of the means is what HTTP, JSON, validation and the worker hand-off
add per request. Parsing a body (`parse_articles`) and rendering an answer (`JSONResponse`) are timed apart.
The last line is `model_speedup_32=X http_overhead_ms=Y`: ms per article alone over ms per article in calls
of 32, and the HTTP overhead per request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # serve_load.py, beside this file
from serve_load import DEFAULT_MODEL, free_port, request_bodies, run_load, server_env, start_server, stop_server  # noqa: E402

STAGES = ("tokenise", "encoder", "heads", "assembly")


def timed_stages(extractor) -> Counter:
    """Wrap the extractor's steps with timers; the counter gets seconds per stage and the encoder's token counts."""
    totals: Counter = Counter()
    units, encode, run, assemble = (getattr(extractor, n) for n in ("_units", "_encode", "_run", "_assemble"))

    def clock(stage, step):
        def wrapped(*args, **kwargs):
            start = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                totals[stage] += time.perf_counter() - start

        return wrapped

    def counted_encode(batch, arrays=None):  # arrays: the padded batch, when the caller built it already
        totals["tokens"] += sum(len(unit.input_ids) for unit in batch)
        totals["padded"] += len(batch) * max(len(unit.input_ids) for unit in batch)
        return encode(batch, arrays)

    extractor._units = clock("tokenise", units)
    extractor._encode = clock("encoder", counted_encode)
    extractor._run = clock("run", run)  # the encoder and the heads with decoding
    extractor._assemble = clock("assembly", assemble)
    return totals


def model_only(extractor, articles: list[dict], sizes: list[int], rounds: int) -> dict[int, dict]:
    """Per size: seconds per article in all, per stage, and the encoder input's padding share."""
    totals = timed_stages(extractor)
    found = {size: Counter() for size in sizes}
    for _ in range(rounds):
        for size in sizes:
            totals.clear()
            start = time.perf_counter()
            for begin in range(0, len(articles), size):
                extractions = extractor.extract(articles[begin : begin + size])
                record_start = time.perf_counter()
                [extraction.to_record() for extraction in extractions]
                totals["assembly"] += time.perf_counter() - record_start
            totals["total"] += time.perf_counter() - start
            found[size].update(totals)
    rows = {}
    for size, seconds in found.items():
        n = len(articles) * rounds
        seconds["heads"] = seconds["run"] - seconds["encoder"]
        rows[size] = {stage: seconds[stage] / n for stage in ("total", *STAGES)}
        rows[size]["padding"] = 1 - seconds["tokens"] / seconds["padded"]
    return rows


def http_side(extractor, args, bodies: list[tuple[str, bytes]]) -> dict[str, float]:
    """Mean ms per request through a max-batch-1 server at concurrency 1 and in-process alone, taking turns."""
    from fastapi.responses import JSONResponse

    from parley.inference.server import ServeSettings, parse_articles

    port = free_port()
    # torch float32, as the in-process side below.
    command = [sys.executable, "-m", "parley.cli", "serve", "--runtime", "torch", "--model", args.model]
    command += ["--port", str(port)]
    server = start_server([*command, "--max-batch-size", "1"], port, server_env(args.threads))
    try:
        run_load(port, bodies, 8, 1)  # warm-up
        http, alone = [], []
        for begin in range(0, args.requests, 8):
            chunk = bodies[begin : begin + 8]
            http.extend(run_load(port, chunk, len(chunk), 1).latencies_ms)
            for _, body in chunk:
                start = time.perf_counter()
                extractor.extract([json.loads(body)])[0].to_record()
                alone.append((time.perf_counter() - start) * 1000)
    finally:
        stop_server(server)
    settings = ServeSettings()
    start = time.perf_counter()
    parsed = [parse_articles(body, settings)[0] for _, body in bodies[: args.requests]]
    parse_us = (time.perf_counter() - start) / len(parsed) * 1e6
    records = [extraction.to_record() for extraction in extractor.extract([d[0] for d in parsed[:16]])]
    start = time.perf_counter()
    for record in records:
        JSONResponse(record)
    render_us = (time.perf_counter() - start) / len(records) * 1e6
    return {
        "http_ms": statistics.mean(http),
        "alone_ms": statistics.mean(alone),
        "parse_us": parse_us,
        "render_us": render_us,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--articles", type=int, default=64, help="articles per size and round (part 1)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16, 32], help="articles per call")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=64, help="requests through the server (part 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, here and in the server")
    args = parser.parse_args(argv)

    import torch

    from parley.inference import EventExtractor

    torch.set_num_threads(args.threads)
    extractor = EventExtractor.from_pretrained(args.model, device="cpu", runtime="torch")
    bodies = request_bodies(None)
    articles = [json.loads(body) for _, body in bodies[: args.articles]]
    extractor.extract(articles[:8])  # warm-up
    print(f"model alone: {len(articles)} articles x {args.rounds} round(s), {args.threads} thread(s); ms per article")
    print("| articles per call | ms per article | vs 1 per call | tokenise | encoder | heads | assembly | padding |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = model_only(extractor, articles, args.sizes, args.rounds)
    first = rows[args.sizes[0]]["total"]
    for size, row in rows.items():
        stages = " | ".join(f"{row[stage] * 1000:.1f}" for stage in STAGES)
        print(f"| {size} | {row['total'] * 1000:.1f} | {first / row['total']:.2f} | {stages} | {row['padding']:.0%} |")
    http = http_side(EventExtractor.from_pretrained(args.model, device="cpu", runtime="torch"), args, bodies)
    overhead = http["http_ms"] - http["alone_ms"]
    print(
        f"concurrency 1, {args.requests} requests: {http['http_ms']:.1f} ms per request through the server, "
        f"{http['alone_ms']:.1f} ms for the same article in this process; parse_articles {http['parse_us']:.0f} us, "
        f"JSONResponse {http['render_us']:.0f} us per article"
    )
    print(f"model_speedup_{args.sizes[-1]}={first / rows[args.sizes[-1]]['total']:.2f} http_overhead_ms={overhead:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
