"""Write the passages that calibrate static int8 (inference/calibration.jsonl) from a run's training split.

    python scripts/calibration_passages.py --run runs/main [--articles 40] [--output inference/calibration.jsonl]

Only articles of the run's "train" split (its splits.json) that were written for parley (`synth-` ids) are taken:
never the seeds or the dev and test splits, which are the held-out measures. Every k-th of them in id order, so
the set spans the regional groups and the same run always gives the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from parley.formats.readers import read_articles
from parley.schema import load_schema

REPO = Path(__file__).resolve().parents[1]


def training_passages(run: Path, count: int) -> list[dict]:
    """`count` synthetic articles of the run's train split, evenly spaced in id order, as {"id", "text"}."""
    splits_file = run / "splits.json"
    if not splits_file.is_file():
        raise SystemExit(f"{splits_file}: missing; --run must name a folder written by parley train")
    splits = json.loads(splits_file.read_text(encoding="utf-8"))
    held_out = set(splits.get("dev", [])) | set(splits.get("test", []))
    train = sorted(i for i in splits.get("train", []) if i.startswith("synth-") and i not in held_out)
    if len(train) < count:
        raise SystemExit(f"{splits_file}: only {len(train)} synthetic training articles, {count} asked for")
    chosen = train[:: len(train) // count][:count]
    texts = {a.id: a.text for a in read_articles([str(REPO / "data" / "synthetic")], load_schema()).articles}
    missing = [i for i in chosen if i not in texts]
    if missing:
        raise SystemExit(f"{splits_file}: train ids not found under data/synthetic: {', '.join(missing[:5])}")
    return [{"id": i, "text": texts[i]} for i in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a run folder written by parley train (holds splits.json)")
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--output", default=str(REPO / "inference" / "calibration.jsonl"))
    args = parser.parse_args()
    passages = training_passages(Path(args.run), args.articles)
    with open(args.output, "w", encoding="utf-8") as out:
        for passage in passages:
            out.write(json.dumps(passage, ensure_ascii=False) + "\n")
    chars = sum(len(p["text"]) for p in passages)
    print(f"wrote {len(passages)} passages ({chars} characters) of {args.run}'s train split to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
