"""Does labeling what the model is unsure of pay? Simulated labeling rounds on the labeled corpus.

    OMP_NUM_THREADS=1 python benchmarks/active_learning.py [--epochs 4] [--max-length 128] [--pool-size 0]
        [--start 50] [--step 50] [--rounds 5] [--seeds 0 1] [--strategies uncertainty random]
        [--json rows.json] [key=value ...]
    python benchmarks/active_learning.py --summarize rows-seed0.json rows-seed1.json

The synthetic passages are split once (articles sharing a sentence kept together) into a synthetic eval set,
a small dev set (the trainer picks its epoch and thresholds there) and the pool. Per seed: `--start` random
passages are labeled; each round trains a model from the encoder on the labeled passages (same config and
epochs for every round and strategy), scores it on the five held-out seed articles (data/seeds.jsonl) and
the synthetic eval set, then adds `--step` passages from the pool, chosen either by the model's
uncertainty (`parley suggest`'s ranking: parley.inference.suggest.choose_uncertain) or at random. Both
strategies share the start set and its model. Prints one line per trained model as it goes, then the two
curves (means over seeds), and how many labeled passages uncertainty needed to reach random's final score.
A process per seed and strategy (`--seeds 1 --strategies random --json ...`) spreads the work over cores;
`--summarize` joins their files.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

from parley.config import load_config
from parley.formats.jsonl import write_jsonl
from parley.formats.readers import read_articles
from parley.inference.evaluate import score_extractor
from parley.inference.extractor import EventExtractor
from parley.inference.suggest import choose_uncertain
from parley.schema import load_schema
from parley.text import split_sentences
from parley.training.splits import group_articles, normalise_sentence
from parley.training.trainer import train

STRATEGIES = ("uncertainty", "random")
MEASURES = ("seeds_trigger_cls", "seeds_argument_cls", "eval_trigger_cls", "eval_argument_cls")


def split_corpus(articles: list, eval_size: int, dev_size: int, pool_size: int) -> tuple[list, list, list]:
    """Eval, dev and pool, by groups of articles that share a sentence, so no copy of an eval story is in the pool."""
    by_id = {a.id: a for a in articles}
    sentences = {a.id: [normalise_sentence(a.text[s:e]) for s, e in split_sentences(a.text)] for a in articles}
    groups = group_articles(sentences)
    random.Random(0).shuffle(groups)
    held: list[list] = [[], []]
    pool = []
    for group in groups:
        target = held[0] if len(held[0]) < eval_size else held[1] if len(held[1]) < dev_size else pool
        target.extend(by_id[i] for i in group)
    if pool_size:
        pool = random.Random(1).sample(pool, min(pool_size, len(pool)))
    return held[0], held[1], pool


def train_round(args, work: Path, name: str, labeled: list, files: dict[str, Path]) -> EventExtractor:
    """A model trained from the encoder on the labeled passages, with the round's fixed budget."""
    train_file = work / f"{name}.jsonl"
    write_jsonl(labeled, train_file)
    overrides = [
        f"data.train_paths=[{train_file}]",
        f"data.dev_paths=[{files['dev']}]",
        f"data.max_length={args.max_length}",
        f"train.epochs={args.epochs}",
        f"train.output_dir={work / name}",
        f"train.seed={args.current_seed}",
        "device=cpu",
        *args.overrides,
    ]
    model_dir = train(load_config(args.config, overrides), quiet=True, force=True)
    extractor = EventExtractor.from_pretrained(str(model_dir), device="cpu", runtime="torch")
    shutil.rmtree(work / name)  # models are large; the scores and choices are what is kept
    return extractor


def scores_of(extractor: EventExtractor, seeds: list, held_out: list) -> dict[str, float]:
    seeds_scores = score_extractor(extractor, seeds, progress=False)
    eval_scores = score_extractor(extractor, held_out, progress=False)
    return {
        "seeds_trigger_cls": seeds_scores.trigger_cls.f1,
        "seeds_argument_cls": seeds_scores.argument_cls.f1,
        "eval_trigger_cls": eval_scores.trigger_cls.f1,
        "eval_argument_cls": eval_scores.argument_cls.f1,
    }


def run_seed(args, seed: int, pool: list, seeds: list, held_out: list, files: dict[str, Path]) -> list[dict]:
    """Every round of the strategies (`--strategies`) for one seed: one row per trained model."""
    args.current_seed = seed
    rng = random.Random(seed)
    start = rng.sample(range(len(pool)), args.start)
    t0 = time.perf_counter()
    first = train_round(args, args.work, f"s{seed}-r0", [pool[i] for i in start], files)
    base = {"seed": seed, "round": 0, "passages": args.start, **_labels_in([pool[i] for i in start])}
    rows = [{**base, "strategy": s, **scores_of(first, seeds, held_out), "seconds": 0.0} for s in args.strategies]
    _print_row(rows[0] | {"strategy": "start", "seconds": time.perf_counter() - t0})
    _save(args, rows)
    for strategy in args.strategies:
        labeled, extractor, pick = list(start), first, random.Random(seed + 1000)
        for round_number in range(1, args.rounds + 1):
            t0 = time.perf_counter()
            taken = set(labeled)
            rest = [i for i in range(len(pool)) if i not in taken]
            if strategy == "uncertainty":
                chosen, _ = choose_uncertain(extractor, [pool[i] for i in rest], args.step)
                labeled += [rest[j] for j in chosen]
            else:
                labeled += pick.sample(rest, args.step)
            articles = [pool[i] for i in labeled]
            extractor = train_round(args, args.work, f"s{seed}-{strategy}-r{round_number}", articles, files)
            row = {"seed": seed, "round": round_number, "strategy": strategy, "passages": len(labeled)}
            row |= _labels_in(articles) | scores_of(extractor, seeds, held_out)
            rows.append(row | {"seconds": time.perf_counter() - t0})
            _print_row(rows[-1])
            _save(args, rows)
    return rows


def _save(args, rows: list[dict]) -> None:
    """Every row so far into `--json` (with the seeds run before), so a run stopped midway keeps its models' scores."""
    if args.json:
        args.json.write_text(json.dumps(args.done_rows + rows, indent=2))


def _labels_in(articles: list) -> dict[str, int]:
    """What labeling the passages costs: events and words (sums over the labeled set)."""
    return {"events": sum(len(a.events) for a in articles), "words": sum(len(a.text.split()) for a in articles)}


def _print_row(row: dict) -> None:
    scores = " ".join(f"{m}={row[m]:.3f}" for m in MEASURES)
    print(
        f"seed={row['seed']} round={row['round']} {row['strategy']:<11} passages={row['passages']} "
        f"events={row['events']} words={row['words']} {scores} ({row['seconds']:.0f} s)",
        flush=True,
    )


def rows_from_log(text: str, strategies: tuple[str, ...] = STRATEGIES) -> list[dict]:
    """The rows a run printed (`_print_row`'s lines), for a run stopped before it wrote `--json`: its start row
    counts for each strategy, like run_seed's."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("seed="):
            continue
        fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
        strategy = line.split()[2]
        row = {k: int(fields[k]) for k in ("seed", "round", "passages", "events", "words")}
        row |= {m: float(fields[m]) for m in MEASURES}
        rows += [row | {"strategy": s} for s in (strategies if strategy == "start" else (strategy,))]
    return rows


def read_rows(path: Path) -> list[dict]:
    """Rows from a `--json` file, or from a run's printed output (any other file)."""
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else rows_from_log(text)


def curves(rows: list[dict]) -> dict[str, list[dict]]:
    """Per strategy and round: the mean over seeds of every measure and of the labeled events and words."""
    out: dict[str, list[dict]] = {}
    for strategy in STRATEGIES:
        rounds = sorted({r["round"] for r in rows if r["strategy"] == strategy})
        out[strategy] = []
        for n in rounds:
            same = [r for r in rows if r["strategy"] == strategy and r["round"] == n]
            keys = ("passages", "events", "words", *MEASURES)
            out[strategy].append({k: sum(r[k] for r in same) / len(same) for k in keys} | {"seeds": len(same)})
    return out


def passages_to_match(curve: list[dict], target: float, measure: str) -> str:
    """The first labeled-set size at which a curve reaches `target`, or that it never does."""
    for point in curve:
        if point[measure] >= target - 1e-9:
            return f"reaches it at {point['passages']:.0f} passages"
    return f"does not reach it within {curve[-1]['passages']:.0f} passages"


def print_summary(rows: list[dict]) -> None:
    by_strategy = curves(rows)
    print("\nMeans over seeds (F1; events and words: the labeled set's size)")
    header = f"{'strategy':<12}{'passages':>9}{'events':>8}{'words':>8}" + "".join(f"{m:>20}" for m in MEASURES)
    print(header)
    for strategy, points in by_strategy.items():
        for p in points:
            cells = "".join(f"{p[m]:>20.3f}" for m in MEASURES)
            print(f"{strategy:<12}{p['passages']:>9.0f}{p['events']:>8.0f}{p['words']:>8.0f}{cells}")
    final = by_strategy["random"][-1]
    print(f"\nLabels uncertainty needs to match random's final score (random at {final['passages']:.0f} passages):")
    for measure in MEASURES:
        reached = passages_to_match(by_strategy["uncertainty"], final[measure], measure)
        print(f"  {measure}: random {final[measure]:.3f}; uncertainty {reached}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/default.yaml")
    parser.add_argument("--epochs", type=int, default=4, help="training epochs per round (the same every round)")
    parser.add_argument("--max-length", type=int, default=128, help="subword tokens per model input")
    parser.add_argument("--pool-size", type=int, default=0, help="passages in the pool (0: all not held out)")
    parser.add_argument("--eval-size", type=int, default=60, help="synthetic passages held out for scoring")
    parser.add_argument("--dev-size", type=int, default=20, help="synthetic passages the trainer selects on")
    parser.add_argument("--start", type=int, default=50)
    parser.add_argument("--step", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument(
        "--strategies",
        nargs="+",
        choices=STRATEGIES,
        default=list(STRATEGIES),
        help="run only these (a process per strategy and seed uses more cores; the start model is retrained alike)",
    )
    parser.add_argument("--work", type=Path, default=Path("runs/active_learning"))
    parser.add_argument("--json", type=Path, default=None, help="also write every row to this JSON file")
    parser.add_argument(
        "--summarize", type=Path, nargs="+", default=None, help="only print the curves of --json files (or run logs)"
    )
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="further config overrides")
    args = parser.parse_args()
    if args.summarize:
        # Seeds run as separate processes (one per core) each write their rows; this joins them.
        rows = [row for path in args.summarize for row in read_rows(path)]
        # A start row comes from every process that trained the start model: keep one per seed and strategy.
        unique = {(r["seed"], r["round"], r["strategy"]): r for r in rows}
        print_summary(list(unique.values()))
        return 0

    schema = load_schema()
    corpus = read_articles(["data/synthetic/"], schema).articles
    seeds = read_articles(["data/seeds.jsonl"], schema).articles
    held_out, dev, pool = split_corpus(corpus, args.eval_size, args.dev_size, args.pool_size)
    args.work.mkdir(parents=True, exist_ok=True)
    files = {"dev": args.work / "dev.jsonl"}
    write_jsonl(dev, files["dev"])
    print(
        f"run: config={args.config} epochs={args.epochs} max_length={args.max_length} overrides={args.overrides}\n"
        f"data: pool={len(pool)} eval={len(held_out)} dev={len(dev)} seeds={len(seeds)} articles; start={args.start} "
        f"step={args.step} rounds={args.rounds} seeds={args.seeds}",
        flush=True,
    )
    args.done_rows = []
    for seed in args.seeds:
        args.done_rows += run_seed(args, seed, pool, seeds, held_out, files)
    if set(args.strategies) == set(STRATEGIES):
        print_summary(args.done_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
