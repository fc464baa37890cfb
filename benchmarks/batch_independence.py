"""Does an article's output depend on the articles batched beside it? Alone vs. in a batch, for each CPU path.

    python benchmarks/batch_independence.py --model runs/main/model [--articles 40] [--work DIR]

Every path scores the same `--articles` dump articles (throughput.py's dump, made from the seed articles) twice:
each article alone (`extract([article])`: its own sentences are the only rows of its batches) and all of them
together (`extract(articles, batch_size=32)`: sentences of different articles share batches, padded to the
longest). Printed per path: the articles whose mentions or events differ (labels, spans, types, statuses, roles)
and the largest difference of any score (mentions, events, statuses, arguments) where both runs found the same
item. The paths: torch fp32, and the encoder on ONNX Runtime in fp32, dynamic int8 and static int8. First printed:
how long each ONNX variant took to export (and quantise) into an empty cache, one after the other (the fp32 graph
is shared: dynamic int8 quantises it, static int8 traces its own).
The last line names the paths that gave the same outputs both ways, scores equal up to float rounding (1e-5).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import make_dump  # noqa: E402

# Float sums in another order (a batch padded wider) move a score by about 1e-7; int8 rounding by far more.
FLOAT_NOISE = 1e-5
ONNX_PATHS = {"onnx-fp32": "fp32", "onnx-int8 (dynamic)": "int8", "onnx-int8-static": "int8-static"}


def outline(extraction) -> tuple[list, list]:
    """What must not change (spans, labels, roles) and the scores that may, in the same order."""
    shape, scores = [], []
    for m in extraction.mentions:
        shape.append(("mention", m.label, m.start, m.end))
        scores.append(m.score)
    for e in extraction.events:
        shape.append(("event", e.type, e.status, e.trigger.start, e.trigger.end))
        scores += [e.score, e.status_score]
        for a in e.arguments:
            shape.append(("argument", a.role, a.mention.start, a.mention.end))
            scores.append(a.score)
    return shape, scores


def batch_dependence(extractor, articles: list[dict], batch_size: int = 32) -> tuple[list[str], float]:
    """Ids of the articles whose output differs alone vs. batched, and the largest score difference."""
    together = extractor.extract(articles, batch_size=batch_size)
    differing, largest = [], 0.0
    for article, batched in zip(articles, together, strict=True):
        alone_shape, alone_scores = outline(extractor.extract([article], batch_size=batch_size)[0])
        batched_shape, batched_scores = outline(batched)
        if alone_shape != batched_shape:
            differing.append(article["id"])
            continue
        largest = max([largest, *(abs(a - b) for a, b in zip(alone_scores, batched_scores, strict=True))])
    return differing, largest


def build_paths(model_dir: str, cache: Path) -> tuple[dict, dict]:
    """Torch fp32 and the ONNX Runtime encoders, each with the fp32 torch heads; seconds each export took."""
    from parley.inference import EventExtractor
    from parley.inference.onnx_runtime import onnx_encoder

    base = EventExtractor.from_pretrained(model_dir, device="cpu", runtime="torch")
    paths, seconds = {"torch-fp32": base}, {}
    for name, variant in ONNX_PATHS.items():
        started = time.perf_counter()
        encoder = onnx_encoder(model_dir, base.model, variant, cache_dir=cache)
        seconds[name] = time.perf_counter() - started
        paths[name] = EventExtractor(base.model, base.tokenizer, device="cpu", encoder=encoder)
    return paths, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a folder written by parley train")
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", default=None, help="folder for the dump and the ONNX exports (default: a temp one)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    work = Path(args.work or tempfile.mkdtemp(prefix="batch-independence-"))
    work.mkdir(parents=True, exist_ok=True)
    dump = work / f"dump-{args.articles}.jsonl"
    make_dump(dump, args.articles)
    articles = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]

    identical = []
    paths, seconds = build_paths(args.model, work / "onnx")
    fresh = "" if args.work else " (fresh cache)"
    print("first-run export" + fresh + ": " + ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items()))
    print(f"{args.articles} articles, each alone vs. all together (batch size 32), {args.threads} thread(s)")
    print(f"{'path':<24}{'articles differing':>52}{'largest score change':>24}")
    for name, extractor in paths.items():
        differing, largest = batch_dependence(extractor, articles)
        shown = f"{len(differing)} ({', '.join(differing[:3])}{', ...' if len(differing) > 3 else ''})"
        print(f"{name:<24}{shown if differing else '0':>52}{largest:>24.2e}")
        if not differing and largest <= FLOAT_NOISE:
            identical.append(name)
    print(f"batch-independent (same outputs, scores within {FLOAT_NOISE:g}): {', '.join(identical) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
