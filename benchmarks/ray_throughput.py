"""The Ray engine on 2 actors against `parley predict` on one process, side by side over the same dump.

    python benchmarks/ray_throughput.py [--articles 2000] [--model DIR] [--actors 2] [--local-threads 1]

One dump of N real-length articles is made from the seed articles (throughput.make_dump) and run through:

(a) `parley predict` on one process (`--local-threads` torch threads);
(b) `parley predict --engine ray --num-actors A`: a local Ray started by the command, A actors of one CPU and
    one torch thread each;
(c) (b) with one actor, to separate what Ray costs from what the second core gives;

each as its own `parley` process, timed from start to exit (the best of `--rounds` runs, taken in turn), so
Ray's start (the local cluster, the actors each loading torch and the model) counts. Each mode also runs over
a dump of `--small` articles: its time there is the mode's fixed cost, and (N - small) / (time at N - time at
small) its steady rate. The driver's own share (taking each result out of its Arrow batch and writing it,
what one process does for every actor) is timed in this process over the outputs. The last line is
`ray_vs_local=X ray_steady_vs_local=Y ray_startup_s=Z`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # throughput.py, beside this file
from throughput import build_default_model, make_dump  # noqa: E402

from parley.inference.ray_engine import RESULT_SCHEMA  # noqa: E402


def run_parley(args: list[str], threads: int) -> float:
    """Seconds one `parley` process takes, start to exit."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"}
    # Ray starts its workers at nice 15, so on a machine shared with other jobs its actors would get a smaller
    # share of the cores than `parley predict` does: measured at the same priority, on a dedicated machine alike.
    env.setdefault("RAY_worker_niceness", "0")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "parley.cli", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"parley {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds


def modes(model: str, actors: int, local_threads: int) -> dict[str, tuple[list[str], int]]:
    """Mode -> (the `parley predict` arguments beyond input and output, torch threads of the process)."""
    ray = ["--engine", "ray", "--cpus-per-actor", "1"]
    # torch float32 everywhere, as when benchmarks/README.md's Ray table was measured (the CPU default is now
    # static int8 on ONNX Runtime, which would move the model's share of the time).
    base = ["--model", model, "--runtime", "torch"]
    return {
        f"(a) parley predict, 1 process, {local_threads} thread(s)": (base, local_threads),
        f"(b) Ray engine, {actors} actors x 1 thread": ([*base, *ray, "--num-actors", str(actors)], 1),
        "(c) Ray engine, 1 actor x 1 thread": ([*base, *ray, "--num-actors", "1"], 1),
    }


def measure(
    dumps: dict[int, Path], work: Path, model: str, actors: int, local_threads: int, rounds: int
) -> dict[str, dict]:
    """The best seconds of each mode and dump size over `rounds`; the modes run in turn, in reverse order every
    other round, so that a change in the machine's load falls on all of them alike."""
    named = modes(model, actors, local_threads)
    results: dict[str, dict] = {name: {} for name in named}
    for r in range(rounds):
        order = list(enumerate(named.items()))
        for n, dump in dumps.items():
            for k, (name, (extra, threads)) in order if r % 2 == 0 else order[::-1]:
                output = work / f"out-{n}-{k}-{r}" / ("out.jsonl" if k == 0 else "")
                output.parent.mkdir(parents=True, exist_ok=True)
                arguments = ["predict", *extra, "--input", str(dump), "--output", str(output), "--quiet"]
                seconds = run_parley(arguments, threads)
                best = results[name].get(n)
                results[name][n] = (seconds, output) if best is None or seconds < best[0] else best
                print(f"  round {r + 1}, {name}: {n} articles in {seconds:.1f} s", file=sys.stderr, flush=True)
    return results


def driver_seconds_per_article(output: Path) -> float:
    """What the Ray driver does per article: take its result row out of an Arrow batch and write its lines."""
    import pyarrow as pa

    lines = [line for shard in sorted(output.glob("*.jsonl")) for line in shard.read_text("utf-8").splitlines()]
    rows = [
        {"file": "dump", "index": i, "line": i + 1, "id": str(i), "error": None, "rows": line + "\n"}
        for i, line in enumerate(lines)
    ]
    batches = [pa.Table.from_pylist(rows[i : i + 64], schema=RESULT_SCHEMA) for i in range(0, len(rows), 64)]
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        for batch in batches:
            for result in batch.to_pylist():
                sink.write(result["rows"].encode("utf-8"))
    return (time.perf_counter() - started) / max(1, len(rows))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--small", type=int, default=16, help="the dump that measures each mode's fixed cost")
    parser.add_argument("--model", default=None, help="a parley checkpoint (default: MiniLM with untrained heads)")
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--local-threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="each mode's best time over this many runs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = args.model or str(build_default_model(work / "model"))
        dumps = {n: work / f"dump-{n}.jsonl" for n in (args.small, args.articles)}
        for n, path in dumps.items():
            make_dump(path, n)
        results = measure(dumps, work, model, args.actors, args.local_threads, args.rounds)
        report(results, args, model_named=args.model is not None)


def report(results: dict[str, dict], args: argparse.Namespace, model_named: bool) -> None:
    n, small = args.articles, args.small
    model = args.model if model_named else "MiniLM, untrained heads"
    print(f"{n} articles (fixed cost from {small}), best of {args.rounds} round(s); model: {model}")
    print(f"{'':44} {'articles/s':>10} {'seconds':>8} {'fixed s':>8} {'steady art/s':>12}")
    rates = {}
    for name, by_size in results.items():
        seconds, fixed = by_size[n][0], by_size[small][0]
        # On a busy machine the small run can take longer than the large one: then no steady rate shows.
        steady = (n - small) / (seconds - fixed) if seconds > fixed else float("nan")
        rates[name] = (n / seconds, steady, fixed)
        print(f"{name:44} {n / seconds:>10.2f} {seconds:>8.1f} {fixed:>8.1f} {steady:>12.2f}")
    (local, local_steady, local_fixed), (ray, ray_steady, ray_fixed), (_, one_steady, _) = rates.values()
    driver = driver_seconds_per_article(list(results.values())[1][n][1])
    print(f"Ray's fixed cost over parley predict's: {ray_fixed - local_fixed:.1f} s (local Ray, actors loading)")
    print(f"steady rate, 1 Ray actor over 1 process: {one_steady / local_steady:.2f} (per-batch transfer cost)")
    ceiling = f"a ceiling of {1 / driver:,.0f} articles/s"
    print(f"driver: {driver * 1e6:.0f} us per article to take out of its batch and write, {ceiling}")
    steady_ratio = ray_steady / local_steady
    print(f"ray_vs_local={ray / local:.2f} ray_steady_vs_local={steady_ratio:.2f} ray_startup_s={ray_fixed:.1f}")


if __name__ == "__main__":
    main()
