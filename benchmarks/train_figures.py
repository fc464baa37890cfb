"""Train a config and print its figures: dev/test scores, seconds per epoch, training tokens/s.

    python benchmarks/train_figures.py [--config configs/train/default.yaml] [key=value ...]

Scores are end to end (SCHEMA.md section 7) on the run's own dev and test articles.
Training time counts forward, backward and optimiser steps only (not evaluation).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

from parley.inference.evaluate import evaluate_run
from parley.training.config import load_config
from parley.training.trainer import train

SCORE_COLUMNS = [
    ("trigger id F1", "trigger_id"),
    ("trigger cls F1", "trigger_cls"),
    ("arg id F1", "argument_id"),
    ("arg cls F1", "argument_cls"),
    ("mention F1", "mentions"),
]


def score_row(scores: dict) -> list[str]:
    """The headline numbers of one `Scores.to_dict()`."""
    cells = [f"{scores[key]['f1']:.3f}" for _, key in SCORE_COLUMNS]
    return [*cells, f"{scores['status']['value']:.3f}"]


def device_name() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/default.yaml")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="parley-figures-"))
    config = load_config(args.config, [f"train.output_dir={work}", *args.overrides])
    started = time.perf_counter()
    model_dir = train(config, quiet=True)
    wall = time.perf_counter() - started
    history = [json.loads(line) for line in (work / "metrics.jsonl").read_text().splitlines()]
    seconds = sum(h.get("train_seconds", 0.0) for h in history)
    tokens = sum(h.get("train_tokens", 0) for h in history)
    epochs = history[-1]["epoch"] if history else 0
    scores = {split: s.to_dict() for split, s in evaluate_run(model_dir.parent).items()}

    print(f"config: {args.config} {' '.join(args.overrides)}")
    print(f"device: {device_name()}; mixed precision: {config.train.mixed_precision}")
    print(f"epochs run: {epochs}; wall time incl. evaluation: {wall:.0f} s")
    print(f"train seconds/epoch: {seconds / max(epochs, 1):.1f}; training tokens/s: {tokens / max(seconds, 1e-9):.0f}")
    header = ["split", *(name for name, _ in SCORE_COLUMNS), "status acc"]
    print("  ".join(f"{h:>14}" for h in header))
    for split, result in scores.items():
        print("  ".join(f"{c:>14}" for c in [split, *score_row(result)]))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "config": args.config,
                    "overrides": args.overrides,
                    "device": device_name(),
                    "epochs": epochs,
                    "seconds_per_epoch": seconds / max(epochs, 1),
                    "tokens_per_second": tokens / max(seconds, 1e-9),
                    "scores": scores,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
