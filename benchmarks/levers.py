"""Training levers side by side: each setting trained on the same data and judged on the same held-out text.

    python benchmarks/levers.py --work-dir runs/levers [--jobs 2] [--data-dir DIR] [--config CFG]
                                [--thresholds] SETTING ...

SETTING is `name` (the config as it is) or `name:key=value,key=value` (config overrides), e.g.
`baseline trigger3:train.trigger_tag_weight=3 swap:data.augment_names=1`. Every setting trains
configs/train/heldout_seeds.yaml (synthetic passages split train/dev, the five real seed articles
held out as test) in its own process, `--jobs` at a time with one thread each; a setting whose model
folder already exists under --work-dir is scored again, not retrained. --data-dir points the config
at another copy of data/ (its synthetic/ folder and seeds.jsonl), e.g. the corpus before a change.

For each setting it prints, on the held-out seeds: trigger and argument classification F1, status
accuracy, recall of MEET / ATTEND / BOYCOTT, false events per 100 sentences that hold no gold event;
on the synthetic dev split: trigger and argument classification F1; and the capability suite's pass
rate and worst capability (benchmarks/capabilities.py). --thresholds also picks, per setting, the
trigger and argument score thresholds that maximise dev trigger + argument classification F1
(parley.inference.thresholds) and reports everything again at those thresholds (a `name+thr` row).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from capabilities import extractor_predictor, run_suite  # noqa: E402

from parley.documents import Article  # noqa: E402
from parley.inference.evaluate import run_split_articles  # noqa: E402
from parley.inference.extractor import EventExtractor  # noqa: E402
from parley.inference.thresholds import tune_thresholds  # noqa: E402
from parley.scoring import score_articles  # noqa: E402
from parley.text import split_sentences  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO / "configs" / "train" / "heldout_seeds.yaml"
RECALL_TYPES = ("MEET", "ATTEND", "BOYCOTT")


def parse_setting(text: str) -> tuple[str, list[str]]:
    name, _, overrides = text.partition(":")
    return name, [o for o in overrides.split(",") if o]


def train_setting(config: str, work: Path, name: str, overrides: list[str], data_dir: str | None) -> Path:
    """Train one setting in its own process (one thread) unless its model is already there."""
    out = work / name
    if (out / "model" / "config.json").exists():
        return out
    data = [f"data.paths=[{data_dir}/synthetic/]", f"data.test_paths=[{data_dir}/seeds.jsonl]"] if data_dir else []
    command = ["parley", "train", config, f"train.output_dir={out}", *data, *overrides]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".log"), "w") as log:
        subprocess.run(command, check=True, env=env, stdout=log, stderr=subprocess.STDOUT)
    return out


def false_events_per_100(gold: list[Article], predicted: list[Article]) -> float:
    """Predicted events in sentences that hold no gold trigger, per 100 such sentences."""
    sentences = false = 0
    by_id = {a.id: a for a in predicted}
    for article in gold:
        gold_triggers = [(e.trigger.start, e.trigger.end) for e in article.events]
        found = [(e.trigger.start, e.trigger.end) for e in by_id[article.id].events]
        for start, end in split_sentences(article.text):
            if any(start <= s < end for s, _ in gold_triggers):
                continue
            sentences += 1
            false += sum(start <= s < end for s, _ in found)
    return 100.0 * false / max(1, sentences)


def score(extractor: EventExtractor, seeds: list[Article], dev: list[Article]) -> dict:
    """The figures of one model (at the extractor's thresholds)."""
    predicted = [x.to_article() for x in extractor.extract(seeds)]
    held = score_articles(seeds, predicted, extractor.schema)
    on_dev = score_articles(dev, [x.to_article() for x in extractor.extract(dev)], extractor.schema)
    return {
        "seeds_trigger_cls_f1": held.trigger_cls.f1,
        "seeds_argument_cls_f1": held.argument_cls.f1,
        "seeds_status_accuracy": held.status.value,
        **{f"seeds_recall_{t}": held.per_type[t].triggers.recall for t in RECALL_TYPES if t in held.per_type},
        "seeds_false_events_per_100": false_events_per_100(seeds, predicted),
        "dev_trigger_cls_f1": on_dev.trigger_cls.f1,
        "dev_argument_cls_f1": on_dev.argument_cls.f1,
    }


def capability_figures(extractor: EventExtractor) -> dict:
    suite = run_suite(extractor_predictor(extractor))
    return {
        "capabilities_passed": suite["passed"],
        "capabilities_worst": f"{suite['worst']}:{suite['rates'][suite['worst']]:.2f}",
    }


def evaluate_setting(out: Path, thresholds: bool) -> list[tuple[str, dict]]:
    extractor = EventExtractor.from_pretrained(str(out / "model"), device="cpu", runtime="torch")
    articles = run_split_articles(out, extractor.schema)
    seeds, dev = articles["test"], articles["dev"]
    rows = [(out.name, {**score(extractor, seeds, dev), **capability_figures(extractor)})]
    if thresholds:
        tune_thresholds(extractor, dev)
        figures = {**score(extractor, seeds, dev), **capability_figures(extractor)}
        figures["thresholds"] = f"t={extractor.thresholds.trigger},a={extractor.thresholds.argument}"
        rows.append((f"{out.name}+thr", figures))
    return rows


COLUMNS = [
    ("seeds trig", "seeds_trigger_cls_f1"),
    ("seeds arg", "seeds_argument_cls_f1"),
    ("seeds status", "seeds_status_accuracy"),
    ("MEET R", "seeds_recall_MEET"),
    ("ATTEND R", "seeds_recall_ATTEND"),
    ("BOYCOTT R", "seeds_recall_BOYCOTT"),
    ("false/100", "seeds_false_events_per_100"),
    ("dev trig", "dev_trigger_cls_f1"),
    ("dev arg", "dev_argument_cls_f1"),
    ("caps", "capabilities_passed"),
]


def format_table(rows: list[tuple[str, dict]]) -> str:
    lines = ["| setting | " + " | ".join(c for c, _ in COLUMNS) + " | caps worst |", "|---" * (len(COLUMNS) + 2) + "|"]
    for name, figures in rows:
        cells = [f"{figures[key]:.3f}" if key in figures else "-" for _, key in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {figures['capabilities_worst']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="+", metavar="SETTING")
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--data-dir", default=None, help="a copy of data/ to train and judge on (default: data/)")
    parser.add_argument("--jobs", type=int, default=1, help="settings trained at once, one thread each")
    parser.add_argument("--thresholds", action="store_true", help="also tune score thresholds on dev")
    parser.add_argument("--json", default=None, help="write every figure here")
    args = parser.parse_args(argv)
    work = Path(args.work_dir)
    settings = [parse_setting(s) for s in args.settings]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outs = list(pool.map(lambda s: train_setting(args.config, work, s[0], s[1], args.data_dir), settings))
    rows = [row for out in outs for row in evaluate_setting(out, args.thresholds)]
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(dict(rows), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
