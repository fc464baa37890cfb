"""Train a config and print its figures: dev/test scores, seconds per epoch, training tokens/s.

    python benchmarks/train_figures.py [--config configs/train/default.yaml] [key=value ...]

Scores are end to end (docs/schema.md section 7) on the run's own dev and test articles.
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

from parley.config import load_config
from parley.inference.evaluate import evaluate_run
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
    return [*cells, f"{scores['status']['accuracy']:.3f}"]


def device_name() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def run_figures(config_path: str, overrides: list[str]) -> dict:
    """Train one config in a fresh folder and measure it: time, tokens/s, end-to-end dev/test scores."""
    work = Path(tempfile.mkdtemp(prefix="parley-figures-"))
    config = load_config(config_path, [*overrides, f"train.output_dir={work}"])
    started = time.perf_counter()
    model_dir = train(config, quiet=True)
    wall = time.perf_counter() - started
    history = [json.loads(line) for line in (work / "metrics.jsonl").read_text().splitlines()]
    seconds = sum(h.get("train_seconds", 0.0) for h in history)
    epochs = history[-1]["epoch"] if history else 0
    return {
        "config": config_path,
        "overrides": overrides,
        "run_dir": str(work),
        "device": device_name(),
        "mixed_precision": config.train.mixed_precision,
        "epochs": epochs,
        "wall_seconds": wall,
        "seconds_per_epoch": seconds / max(epochs, 1),
        "tokens_per_second": sum(h.get("train_tokens", 0) for h in history) / max(seconds, 1e-9),
        "dev_history": history,
        "scores": {split: s.to_dict() for split, s in evaluate_run(model_dir.parent).items()},
    }


def format_figures(figures: dict) -> str:
    """The printable form of `run_figures`' result."""
    lines = [
        f"config: {figures['config']} {' '.join(figures['overrides'])}",
        f"device: {figures['device']}; mixed precision: {figures['mixed_precision']}",
        f"epochs run: {figures['epochs']}; wall time incl. evaluation: {figures['wall_seconds']:.0f} s",
        f"train seconds/epoch: {figures['seconds_per_epoch']:.1f}; "
        f"training tokens/s: {figures['tokens_per_second']:.0f}",
        "  ".join(f"{h:>14}" for h in ["split", *(name for name, _ in SCORE_COLUMNS), "status acc"]),
    ]
    for split, result in figures["scores"].items():
        lines.append("  ".join(f"{c:>14}" for c in [split, *score_row(result)]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/default.yaml")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()

    figures = run_figures(args.config, args.overrides)
    print(format_figures(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
