"""Which relation representation wins: train the same config once per choice and compare.

    python benchmarks/relation_representation.py [--config configs/train/default.yaml] [key=value ...]

span_pool: mean of each span's token states; span_endpoints: first and last token state of
each span. Both add event-type, mention-label and distance embeddings. Same seed, data and
budget for both; scores are end to end on the run's dev and test articles. The span_pool
run is the default config, so its block doubles as the default config's figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from train_figures import format_figures, run_figures

CHOICES = ("span_pool", "span_endpoints")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/default.yaml")
    parser.add_argument("--json", default=None, help="also write every figure to this JSON file")
    parser.add_argument("overrides", nargs="*", metavar="key=value")
    args = parser.parse_args()

    results = {}
    for choice in CHOICES:
        results[choice] = run_figures(args.config, [*args.overrides, f"model.relation_representation={choice}"])
        print(f"\n== {choice}\n{format_figures(results[choice])}", flush=True)

    print("\nrepresentation   split  arg id F1  arg cls F1  trigger cls F1  status acc")
    for choice, figures in results.items():
        for split, s in figures["scores"].items():
            print(
                f"{choice:<16} {split:>5} {s['argument_id']['f1']:>10.3f} {s['argument_cls']['f1']:>11.3f}"
                f" {s['trigger_cls']['f1']:>15.3f} {s['status']['accuracy']:>11.3f}"
            )
    first, second = (results[c]["scores"] for c in CHOICES)
    for split in first:
        diff = first[split]["argument_cls"]["f1"] - second[split]["argument_cls"]["f1"]
        print(f"{split}: {CHOICES[0]} - {CHOICES[1]} argument cls F1 = {diff:+.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
