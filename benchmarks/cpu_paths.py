"""CPU paths side by side: torch fp32, torch dynamic int8, and the encoder on ONNX Runtime (fp32, int8 variants).

    python benchmarks/cpu_paths.py --model runs/main/model [--run runs/main] [--articles 300] [--threads 1 2]
                                   [--repeats 2] [--lock /work/timing.lock]

The int8 variants: dynamic (activation scales per call, so an article's scores depend on its batch) and static
(scales fixed by the packaged calibration passages; benchmarks/batch_independence.py checks both).

Speed: articles/s of `EventExtractor.extract` (split, tokenise, encoder, heads, relations, decode; no file IO)
over a dump of `--articles` real-length articles made from the seed articles (throughput.py's dump), every path
in the same process, one after the other, best of `--repeats` rounds, at each thread count (torch intra-op
threads and the ONNX Runtime session's). Batch size 32; the tokenizer runs single-threaded for every path.
With `--lock FILE` only the timing holds FILE (flock), so accuracy scoring does not block other timed runs.

Accuracy: trigger and argument classification F1 on data/seeds.jsonl and on the run's test split (its
splits.json; data paths relative to the repository root), each path against torch fp32.

The last line names the winner by the rule of issue 14: at least 1.5x the articles/s of torch fp32 at every
thread count, and at most 0.01 lower trigger and argument F1 on both sets; the fastest such path, or none.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import SEEDS, make_dump  # noqa: E402

MIN_SPEEDUP, MAX_F1_LOSS = 1.5, 0.01
F1_KEYS = {"trigger_cls": "trig", "argument_cls": "arg"}


def onnx_variants() -> dict:
    """The ONNX Runtime variants measured: the shipped fp32, dynamic int8 and static int8, and other dynamic int8s."""
    from parley.inference.onnx_runtime import VARIANTS, OnnxVariant

    return {
        "onnx-fp32": VARIANTS["fp32"],
        "onnx-int8 (shipped: per-channel)": VARIANTS["int8"],
        "onnx-int8 per-tensor": OnnxVariant("int8-tensor", int8=True),
        "onnx-int8 per-tensor, attention fp32": OnnxVariant("int8-tensor-attn", int8=True, keep_fp32=(r"^Attention_",)),
        "onnx-int8-static (shipped)": VARIANTS["int8-static"],
    }


def build_paths(model_dir: str, threads: int, cache: Path) -> dict:
    """Every path's extractor; the ONNX sessions get `threads` threads, the exports are cached in `cache`."""
    from parley.inference import EventExtractor
    from parley.inference.onnx_runtime import onnx_encoder

    base = EventExtractor.from_pretrained(model_dir, device="cpu", runtime="torch")
    torch_int8 = EventExtractor.from_pretrained(model_dir, device="cpu", int8=True, runtime="torch")
    paths = {"torch-fp32": base, "torch-int8": torch_int8}
    for name, variant in onnx_variants().items():
        encoder = onnx_encoder(model_dir, base.model, variant, threads=threads, cache_dir=cache)
        # The heads stay the fp32 torch ones: only the encoder runs in ONNX Runtime.
        paths[name] = EventExtractor(base.model, base.tokenizer, device="cpu", encoder=encoder)
    return paths


def gold_sets(run_dir: str | None, schema) -> dict:
    """The labeled sets scored: the seed articles and, given a run, its test split."""
    from parley.formats.readers import read_articles
    from parley.inference.evaluate import run_split_articles

    sets = {"seeds": read_articles([str(SEEDS)], schema).articles}
    if run_dir:
        here = os.getcwd()
        os.chdir(REPO)  # a run config's data paths are relative to where training ran: the repository root
        try:
            sets["test"] = run_split_articles(Path(here, run_dir), schema)["test"]
        finally:
            os.chdir(here)
    return sets


def accuracy(paths: dict, sets: dict) -> dict:
    """Per path and set, trigger and argument classification F1."""
    from parley.inference.evaluate import score_extractor

    found = {}
    for name, extractor in paths.items():
        for set_name, gold in sets.items():
            scores = score_extractor(extractor, gold, progress=False).to_dict()
            found[name, set_name] = {key: scores[key]["f1"] for key in F1_KEYS}
    return found


def speed(paths: dict, articles: list[dict], repeats: int) -> dict:
    """Best articles/s of each path over `repeats` rounds; the paths take turns within a round."""
    for extractor in paths.values():
        extractor.extract(articles[:2])  # warm-up: first-call allocations and ORT's lazy init
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(repeats):
        for name, extractor in paths.items():
            started = time.perf_counter()
            extractor.extract(articles, batch_size=32)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: len(articles) / seconds for name, seconds in best.items()}


@contextlib.contextmanager
def held(lock: str | None):
    if lock is None:
        yield
        return
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def winner(rates: dict, f1: dict, sets: dict) -> str:
    """The last line: the fastest path within the rule, or none, with why the others missed."""
    fits, misses = [], []
    for name in rates[next(iter(rates))]:
        if name == "torch-fp32":
            continue
        ratios = [by_threads[name] / by_threads["torch-fp32"] for by_threads in rates.values()]
        loss = max(f1["torch-fp32", s][k] - f1[name, s][k] for s in sets for k in F1_KEYS)
        ok = min(ratios) >= MIN_SPEEDUP and loss <= MAX_F1_LOSS + 1e-9
        (fits if ok else misses).append((min(ratios), loss, name))
    if not fits:
        shown = "; ".join(f"{n}: {r:.2f}x, F1 loss {loss:.3f}" for r, loss, n in misses)
        return f"winner: none qualifies (>= {MIN_SPEEDUP}x and <= {MAX_F1_LOSS} F1 loss): {shown}"
    ratio, loss, name = max(fits)
    return f"winner: {name}: {ratio:.2f}x torch fp32 at every thread count, largest F1 loss {loss:.3f}"


def print_accuracy(f1: dict, names: list[str], sets: dict) -> None:
    heads = [f"{s} {short}" for s in sets for short in F1_KEYS.values()]
    print(f"{'F1 (change vs torch-fp32)':<38}" + "".join(f"{h:>17}" for h in heads))
    for name in names:
        cells = []
        for s in sets:
            for key in F1_KEYS:
                value, change = f1[name, s][key], f1[name, s][key] - f1["torch-fp32", s][key]
                cells.append(f"{value:.3f} ({change:+.3f})")
        print(f"{name:<38}" + "".join(f"{c:>17}" for c in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a folder written by parley train")
    parser.add_argument("--run", default=None, help="its run folder, for the test split (default: the model's parent)")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--lock", default=None, help="hold this file's flock while timing (e.g. /work/timing.lock)")
    parser.add_argument("--work", default=None, help="folder for the dump and the ONNX exports (default: a temp one)")
    args = parser.parse_args()
    import torch

    run = args.run or str(Path(args.model).resolve().parent)
    run = run if (Path(run) / "splits.json").is_file() else None
    work = Path(args.work or tempfile.mkdtemp(prefix="cpu-paths-"))
    work.mkdir(parents=True, exist_ok=True)
    dump = work / f"dump-{args.articles}.jsonl"
    make_dump(dump, args.articles)
    articles = [__import__("json").loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]

    torch.set_num_threads(1)
    paths = build_paths(args.model, 1, work / "onnx")
    sets = gold_sets(run, paths["torch-fp32"].schema)
    f1 = accuracy(paths, sets)
    rates = {}
    with held(args.lock):
        for threads in args.threads:
            torch.set_num_threads(threads)
            rates[threads] = speed(build_paths(args.model, threads, work / "onnx"), articles, args.repeats)
    sizes = ", ".join(f"{name} {len(gold)} articles" for name, gold in sets.items())
    print(f"{args.articles} articles, batch size 32, best of {args.repeats}; F1 on {sizes}")
    print(f"{'articles/s (x torch-fp32)':<38}" + "".join(f"{f'{t} thread(s)':>17}" for t in args.threads))
    for name in paths:
        cells = [f"{rates[t][name]:.2f} ({rates[t][name] / rates[t]['torch-fp32']:.2f}x)" for t in args.threads]
        print(f"{name:<38}" + "".join(f"{c:>17}" for c in cells))
    print_accuracy(f1, list(paths), sets)
    print(winner(rates, f1, sets))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
