"""Which relation representation wins: train the same config once per choice and compare argument F1.

    python benchmarks/relation_representation.py [--config configs/train/default.yaml] [key=value ...]

span_pool: mean of each span's token states; span_endpoints: first and last token state of
each span. Both add event-type, mention-label and distance embeddings. Scores are end to end
on the run's dev and test articles, same seed and data for both.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from parley.inference.evaluate import evaluate_run
from parley.training.config import load_config
from parley.training.trainer import train

CHOICES = ("span_pool", "span_endpoints")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/default.yaml")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()

    results = {}
    for choice in CHOICES:
        work = Path(tempfile.mkdtemp(prefix=f"parley-{choice}-"))
        config = load_config(
            args.config, [*args.overrides, f"model.relation_representation={choice}", f"train.output_dir={work}"]
        )
        started = time.perf_counter()
        model_dir = train(config, quiet=True)
        elapsed = time.perf_counter() - started
        scores = {split: s.to_dict() for split, s in evaluate_run(model_dir.parent).items()}
        results[choice] = (scores, elapsed)
        print(f"{choice}: trained in {elapsed:.0f} s", flush=True)

    print(f"config: {args.config} {' '.join(args.overrides)}")
    print(f"{'representation':<16}{'split':>6}{'arg id F1':>11}{'arg cls F1':>12}{'status acc':>12}")
    for choice, (scores, _) in results.items():
        for split, s in scores.items():
            print(
                f"{choice:<16}{split:>6}{s['argument_id']['f1']:>11.3f}{s['argument_cls']['f1']:>12.3f}"
                f"{s['status']['value']:>12.3f}"
            )
    a, b = (results[c][0] for c in CHOICES)
    for split in a:
        diff = a[split]["argument_cls"]["f1"] - b[split]["argument_cls"]["f1"]
        print(f"{split}: span_pool - span_endpoints argument cls F1 = {diff:+.3f}")
    print(json.dumps({c: {s: r[s]["argument_cls"]["f1"] for s in r} for c, (r, _) in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
