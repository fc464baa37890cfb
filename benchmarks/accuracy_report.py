"""Does a model trained on parley's data generalise to real articles it never saw, and beat keyword rules?

    python benchmarks/accuracy_report.py [--epochs 3] [--seed-epochs 12] [--json PATH] [--markdown PATH]
                                         [--work-dir DIR] [--keep-models] [--folds N] [--quick] [key=value ...]
    python benchmarks/accuracy_report.py --compare NAME=RUN_DIR [NAME=RUN_DIR ...] [--seeds PATH]
                                         [--json PATH] [--markdown PATH]

--compare trains nothing: it puts the keyword rules and the models of finished held-out runs (e.g. the
previous and the new default, each trained by configs/train/heldout_seeds.yaml on its own corpus) side by
side on the same held-out seeds, synthetic dev passages none of them trained on, and the capability suite,
overall, per event type and per status (benchmarks/compare_models.py).

Run it from the repository root (the config's data paths are relative). With the defaults it trains 13
models, about 40 minutes on 2 free CPU cores; --quick is a smoke run of seconds for the tests.

Every setting is scored on the same held-out real articles, the seed articles (`data.test_paths` of
configs/train/heldout_seeds.yaml), and no seed is ever scored by a model that trained on it:

(a) seeds only: leave one seed article out, train on the others, predict it; the predictions of all folds
    are scored together. No dev split (too few articles): the last epoch's model is used.
(b) synthetic only: configs/train/heldout_seeds.yaml (data.paths split 90/10 into train/dev, dev picks the
    checkpoint).
(c) synthetic + seeds: like (a), with the synthetic train split added to each fold's training articles and
    the synthetic dev split of (b) picking the checkpoint.
(d) learning curve: (b) on 25% and 50% of (b)'s synthetic train articles (sampled with a fixed seed, the
    25% inside the 50%); 100% is (b).
(e) the keyword baseline of benchmarks/keyword_baseline.py (no training).

All runs take model and train settings from the config (those of configs/train/default.yaml) except
train.epochs (--epochs, --seed-epochs for (a)); `key=value` overrides apply to every run. Scores follow
docs/schema.md section 7 (parley.scoring). Runs go to --work-dir (a temporary folder by default); their
predictions stay there as JSONL, model folders are deleted unless --keep-models.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Never reach the network for the encoder or tokenizer.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from keyword_baseline import KeywordBaseline  # noqa: E402  (benchmarks/ is on sys.path when run as a script)
from transformers.utils import logging as transformers_logging  # noqa: E402

from parley.config import RunConfig, config_from_dict, load_config  # noqa: E402
from parley.documents import Article  # noqa: E402
from parley.formats.jsonl import write_jsonl  # noqa: E402
from parley.formats.readers import read_articles  # noqa: E402
from parley.inference.extractor import EventExtractor  # noqa: E402
from parley.schema import load_schema  # noqa: E402

# The scorer's own one-to-one matching, so the confusions count the very pairs the scores count.
from parley.scoring import Scores, greedy_match, score_articles  # noqa: E402
from parley.training.trainer import train  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO / "configs" / "train" / "heldout_seeds.yaml"
# The whole report in about 40 minutes on 2 free CPU cores. One epoch of every run of (b)-(d) together is
# about 8 epochs' worth of (b) (~75 s each: 1,121 training windows), ~580 s; one epoch of the five (a) runs
# is ~27 s; loading, building and predicting add ~20 s a run: 3 * 580 + 12 * 27 + 13 * 20 = ~2,330 s.
DEFAULT_EPOCHS = 3
# Four seed articles make ~5 optimiser steps an epoch; these runs are cheap, so they get more epochs.
DEFAULT_SEED_EPOCHS = 12
CURVE_FRACTIONS = (0.25, 0.5)
CURVE_SEED = 13
TOP_CONFUSIONS = 8
TABLE_COLUMNS = (
    ("trigger id F1", lambda s: s.trigger_id.f1),
    ("trigger cls F1", lambda s: s.trigger_cls.f1),
    ("argument id F1", lambda s: s.argument_id.f1),
    ("argument cls F1", lambda s: s.argument_cls.f1),
    ("mention F1", lambda s: s.mentions.f1),
    ("status acc", lambda s: s.status.value),
)


@dataclass
class Setting:
    """One line of the report: how its models were trained, its held-out predictions and their scores."""

    key: str
    title: str
    predictions: list[Article] = field(default_factory=list)
    scores: Scores | None = None
    train_seconds: float = 0.0
    runs: int = 0
    trained: bool = True
    # Training articles of each run (a fold's count for (a) and (c)); points of the learning curve are marked.
    train_articles: int = 0
    curve: bool = False


def main(argv: list[str] | None = None) -> int:
    """Run every setting, print the report, write it as JSON and markdown when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="held-out config (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="epochs of runs (b)-(d)")
    parser.add_argument("--seed-epochs", type=int, default=DEFAULT_SEED_EPOCHS, help="epochs of runs (a)")
    parser.add_argument("--folds", type=int, default=None, help="leave out only the first N seeds (default: all)")
    parser.add_argument("--work-dir", default=None, help="where runs go (default: a new temporary folder)")
    parser.add_argument("--keep-models", action="store_true", help="keep each run's model folder")
    parser.add_argument("--json", default=None, help="write the report as JSON here")
    parser.add_argument("--markdown", default=None, help="write the report as markdown here")
    parser.add_argument("--quick", action="store_true", help="a tiny version for tests: 2 folds, 2 steps a run")
    parser.add_argument("--compare", nargs="+", metavar="NAME=RUN_DIR", help="compare finished runs, train nothing")
    parser.add_argument("--seeds", default="data/seeds.jsonl", help="held-out articles for --compare")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides for every run")
    args = parser.parse_args(argv)
    if args.compare:
        return _compare(parser, args)
    # One bar per model load and save would bury the progress lines.
    transformers_logging.disable_progress_bar()
    try:
        return _report(parser, args)
    finally:
        transformers_logging.enable_progress_bar()


def _report(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    base = load_config(args.config, args.overrides)
    if base.data.test_paths is None or base.data.train_paths is not None:
        parser.error(f"{args.config}: expected data.paths (synthetic) and data.test_paths (seeds), no train_paths")
    epochs, seed_epochs, folds = args.epochs, args.seed_epochs, args.folds
    if args.quick:
        epochs, seed_epochs, folds = 1, 1, min(folds or 2, 2)
        base.train.max_steps = 2
    base.train.epochs = epochs
    schema = load_schema(base.data.schema)
    seeds = sorted(read_articles(base.data.test_paths, schema, lenient=base.data.lenient).articles, key=_id)
    if len(seeds) < 2:
        parser.error(f"{base.data.test_paths}: leave-one-out needs at least 2 seed articles, found {len(seeds)}")
    held_out = seeds[: folds or len(seeds)]
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="parley-accuracy-"))
    data_dir = work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = _Progress(1 + len(CURVE_FRACTIONS) + 2 * len(held_out))
    runner = _Runner(args.keep_models, log)

    # (b) first: its splits.json fixes the synthetic train/dev split every later run reuses.
    synthetic = Setting("synthetic", "(b) synthetic only", curve=True)
    config = copy.deepcopy(base)
    config.data.test_paths = [str(_write(data_dir / "held-out-seeds.jsonl", held_out))]
    config.train.output_dir = str(work / "runs" / synthetic.key)
    synthetic_run = runner.run(synthetic, config, held_out)
    splits = json.loads((synthetic_run / "splits.json").read_text(encoding="utf-8"))
    by_id = {a.id: a for a in read_articles(base.data.paths, schema, lenient=base.data.lenient).articles}
    synthetic_train = [by_id[i] for i in splits["train"]]
    synthetic_dev = [by_id[i] for i in splits["dev"]]
    synthetic.train_articles = len(synthetic_train)
    train_file = _write(data_dir / "synthetic-train.jsonl", synthetic_train)
    dev_paths = [str(_write(data_dir / "synthetic-dev.jsonl", synthetic_dev))] if synthetic_dev else None

    # (d) learning curve: nested samples of (b)'s training articles.
    order = sorted(synthetic_train, key=_id)
    random.Random(CURVE_SEED).shuffle(order)
    curve = []
    for fraction in CURVE_FRACTIONS:
        sample = order[: max(1, round(fraction * len(order)))]
        percent = round(100 * fraction)
        setting = Setting(f"synthetic_{percent}", f"(d) synthetic {percent}%", train_articles=len(sample), curve=True)
        part = _write(data_dir / f"synthetic-{percent}.jsonl", sample)
        runner.run(setting, _explicit(base, [part], dev_paths, held_out, data_dir, setting.key), held_out)
        curve.append(setting)

    # (c) and (a): leave one seed out; the other seeds (all of them, also in --quick) train.
    mixed = Setting("synthetic_plus_seeds", "(c) synthetic + seeds (leave one seed out)")
    mixed.train_articles = len(synthetic_train) + len(seeds) - 1
    seeds_only = Setting("seeds_only", "(a) seeds only (leave one seed out)", train_articles=len(seeds) - 1)
    for seed in held_out:
        rest = _write(data_dir / f"seeds-without-{seed.id}.jsonl", [a for a in seeds if a.id != seed.id])
        name = f"{mixed.key}-{seed.id}"
        runner.run(mixed, _explicit(base, [train_file, rest], dev_paths, [seed], data_dir, name), [seed])
        config = _explicit(base, [rest], None, [seed], data_dir, f"{seeds_only.key}-{seed.id}")
        config.train.epochs = seed_epochs
        runner.run(seeds_only, config, [seed])

    baseline = Setting("keyword_baseline", "(e) keyword baseline", trained=False)
    rules = KeywordBaseline(schema)
    baseline.predictions = [rules.predict(article) for article in held_out]

    settings = [seeds_only, synthetic, mixed, *curve, baseline]
    for setting in settings:
        setting.scores = score_articles(held_out, setting.predictions, schema)
        _write(work / "predictions" / f"{setting.key}.jsonl", setting.predictions)
    meta = {
        "config": str(args.config),
        "overrides": list(args.overrides),
        "encoder": base.model.encoder,
        "epochs": epochs,
        "seed_epochs": seed_epochs,
        "max_steps": base.train.max_steps,
        "quick": args.quick,
        "held_out_articles": [a.id for a in held_out],
        "synthetic_train_articles": len(synthetic_train),
        "synthetic_dev_articles": len(synthetic_dev),
        "work_dir": str(work),
        "seconds": round(time.perf_counter() - started, 1),
    }
    report = build_report(settings, held_out, meta)
    print(format_text(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(format_markdown(report), encoding="utf-8")
    return 0


def _compare(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import compare_models

    runs = {}
    for item in args.compare:
        name, _, run = item.partition("=")
        if not run or not (Path(run) / "model").is_dir():
            parser.error(f"--compare {item!r}: expected NAME=RUN_DIR of a finished parley train run")
        runs[name] = Path(run)
    transformers_logging.disable_progress_bar()
    report = compare_models.compare(runs, args.seeds, load_schema())
    markdown = compare_models.format_markdown(report)
    print(markdown)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown, encoding="utf-8")
    return 0


class _Progress:
    def __init__(self, total: int):
        self.total, self.done = total, 0

    def __call__(self, message: str) -> None:
        self.done += 1
        print(f"[{self.done}/{self.total}] {message}", file=sys.stderr, flush=True)


class _Runner:
    """Trains one run, predicts its held-out seeds and adds them to a setting."""

    def __init__(self, keep_models: bool, log: _Progress):
        self.keep_models, self.log = keep_models, log

    def run(self, setting: Setting, config: RunConfig, gold: list[Article]) -> Path:
        out = Path(config.train.output_dir)
        config = config_from_dict(config.to_dict())  # the same loud validation as a config file
        began = time.perf_counter()
        model_dir = train(config, quiet=True)
        seconds = time.perf_counter() - began
        extractor = EventExtractor.from_pretrained(str(model_dir), runtime="torch")
        setting.predictions += [x.to_article() for x in extractor.extract(gold)]
        setting.train_seconds += seconds
        setting.runs += 1
        shutil.rmtree(out / "checkpoints", ignore_errors=True)  # optimiser states: hundreds of MB a run
        if not self.keep_models:
            shutil.rmtree(model_dir, ignore_errors=True)
        scored = gold[0].id if len(gold) == 1 else "all held-out seeds"
        self.log(f"{setting.title}, predicting {scored}: trained in {seconds:.0f} s")
        return out


def _explicit(
    base: RunConfig,
    train_paths: list[Path],
    dev_paths: list[str] | None,
    test: list[Article],
    data_dir: Path,
    name: str,
) -> RunConfig:
    """The base config with explicit train/dev/test files and its own output folder."""
    config = copy.deepcopy(base)
    config.data.train_paths = [str(p) for p in train_paths]
    config.data.dev_paths = dev_paths
    config.data.test_paths = [str(_write(data_dir / f"test-{name}.jsonl", test))]
    config.train.output_dir = str(data_dir.parent / "runs" / name)
    return config


def _write(path: Path, articles: list[Article]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(articles, path)
    return path


def _id(article: Article) -> str:
    return article.id


def confusions(gold: list[Article], predicted: list[Article]) -> dict[str, Counter]:
    """Counts of (gold, predicted) event types on overlapping triggers, roles and statuses that differ."""
    found = {"types": Counter(), "roles": Counter(), "statuses": Counter()}
    pred_by_id = {a.id: a for a in predicted}
    for g_article in gold:
        p_article = pred_by_id[g_article.id]
        g_items = [(e.trigger.start, e.trigger.end, e.type) for e in g_article.events]
        p_items = [(e.trigger.start, e.trigger.end, e.type) for e in p_article.events]
        for g, p in greedy_match(g_items, p_items, same_key=False):
            if g_items[g][2] != p_items[p][2]:
                found["types"][g_items[g][2], p_items[p][2]] += 1
        for g, p in greedy_match(g_items, p_items, same_key=True):
            g_event, p_event = g_article.events[g], p_article.events[p]
            if g_event.status != p_event.status:
                found["statuses"][g_event.status, p_event.status] += 1
            g_args, p_args = _argument_items(g_article, g_event), _argument_items(p_article, p_event)
            for a, b in greedy_match(g_args, p_args, same_key=False):
                if g_args[a][2] != p_args[b][2]:
                    found["roles"][g_args[a][2], p_args[b][2]] += 1
    return found


def _argument_items(article: Article, event: Any) -> list[tuple[int, int, str]]:
    items = []
    for argument in event.arguments:
        entity = article.entity(argument.entity)
        items.append((entity.start, entity.end, argument.role))
    return items


def build_report(settings: list[Setting], gold: list[Article], meta: dict[str, Any]) -> dict[str, Any]:
    """The report as JSON-ready data: scores per setting, per-type scores, confusions and the final table."""
    trained = [s for s in settings if s.trained]
    best = max(trained, key=lambda s: (s.scores.argument_cls.f1, s.scores.trigger_cls.f1))
    baseline = next(s for s in settings if not s.trained)
    per_type = {}
    found = {}
    for setting in (best, baseline):
        per_type[setting.key] = {
            name: {
                "trigger_f1": t.triggers.f1,
                "argument_f1": t.argument_cls.f1,
                "gold_triggers": t.triggers.tp + t.triggers.fn,
                "predicted_triggers": t.triggers.tp + t.triggers.fp,
            }
            for name, t in setting.scores.per_type.items()
        }
        counts = confusions(gold, setting.predictions)
        found[setting.key] = {
            kind: [{"gold": g, "predicted": p, "count": n} for (g, p), n in counter.most_common(TOP_CONFUSIONS)]
            for kind, counter in counts.items()
        }
    return {
        "meta": meta,
        "settings": {
            s.key: {
                "title": s.title,
                "runs": s.runs,
                "train_seconds": round(s.train_seconds, 1),
                "train_articles": s.train_articles,
                "scores": s.scores.to_dict(),
            }
            for s in settings
        },
        "learning_curve": [
            {
                "setting": s.key,
                "articles": s.train_articles,
                "argument_cls_f1": s.scores.argument_cls.f1,
                "trigger_cls_f1": s.scores.trigger_cls.f1,
            }
            for s in sorted((s for s in settings if s.curve), key=lambda s: s.train_articles)
        ],
        "best_model": best.key,
        "baseline": baseline.key,
        "per_type": per_type,
        "confusions": found,
        "table": [{"setting": s.title, **{name: value(s.scores) for name, value in TABLE_COLUMNS}} for s in settings],
    }


def _title(report: dict[str, Any], key: str) -> str:
    return report["settings"][key]["title"]


def _header(report: dict[str, Any]) -> list[str]:
    meta = report["meta"]
    held = meta["held_out_articles"]
    return [
        f"Held-out scores on {len(held)} real (seed) article(s): {', '.join(held)}",
        f"encoder {meta['encoder']}; epochs {meta['epochs']} ((a): {meta['seed_epochs']})"
        + (f", max_steps {meta['max_steps']}" if meta["max_steps"] else "")
        + f"; synthetic train/dev articles {meta['synthetic_train_articles']}/{meta['synthetic_dev_articles']}"
        + f"; measured in one run of {meta['seconds']:.0f} s",
    ]


def _table_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    columns = ["setting", *(name for name, _ in TABLE_COLUMNS)]
    rows = [[row["setting"], *(f"{row[name]:.3f}" for name, _ in TABLE_COLUMNS)] for row in report["table"]]
    return columns, rows


def _per_type_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    best, baseline = report["best_model"], report["baseline"]
    columns = ["event type", "gold", f"{best} trig F1", f"{best} arg F1", f"{baseline} trig F1", f"{baseline} arg F1"]
    rows = []
    for name, ours in report["per_type"][best].items():
        theirs = report["per_type"][baseline][name]
        rows.append([name, str(ours["gold_triggers"]), *_type_cells(ours), *_type_cells(theirs)])
    return columns, rows


def _type_cells(scores: dict[str, Any]) -> list[str]:
    # A type neither gold nor predicted has F1 1.0 by convention; "-" reads better than a perfect score.
    if scores["gold_triggers"] == 0 and scores["predicted_triggers"] == 0:
        return ["-", "-"]
    return [f"{scores['trigger_f1']:.3f}", f"{scores['argument_f1']:.3f}"]


def _confusion_lines(report: dict[str, Any], key: str) -> list[str]:
    lines = []
    for kind, label in (("types", "event type"), ("roles", "role"), ("statuses", "status")):
        items = report["confusions"][key][kind]
        text = ", ".join(f"{c['gold']}->{c['predicted']} x{c['count']}" for c in items) or "none"
        lines.append(f"  {label} (gold->predicted): {text}")
    return lines


def _plain_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(columns[i]), *(len(r[i]) for r in rows)) for i in range(len(columns))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(columns), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def format_text(report: dict[str, Any]) -> str:
    """The report as plain text for the terminal."""
    lines = _header(report) + [""]
    for setting in report["settings"].values():
        s = setting["scores"]
        cost = f"{setting['runs']} run(s), {setting['train_seconds']:.0f} s training" if setting["runs"] else "rules"
        lines.append(
            f"{setting['title']}: trigger cls F1 {s['trigger_cls']['f1']:.3f}, argument cls F1 "
            f"{s['argument_cls']['f1']:.3f}, status acc {s['status']['accuracy']:.3f} ({cost})"
        )
    lines.append("")
    lines.append("Learning curve (synthetic training articles -> argument cls F1 / trigger cls F1):")
    for point in report["learning_curve"]:
        lines.append(f"  {point['articles']:5d}  {point['argument_cls_f1']:.3f} / {point['trigger_cls_f1']:.3f}")
    lines.append("")
    lines.append(f"Per event type: best model {_title(report, report['best_model'])} vs keyword baseline")
    lines += _plain_table(*_per_type_rows(report))
    for key in (report["best_model"], report["baseline"]):
        lines.append("")
        lines.append(f"Most common confusions, {_title(report, key)}:")
        lines += _confusion_lines(report, key)
    lines.append("")
    lines += _plain_table(*_table_rows(report))
    return "\n".join(lines)


def _markdown_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def format_markdown(report: dict[str, Any]) -> str:
    """The report as markdown, for the notes."""
    lines = ["# Held-out accuracy on the real articles", "", *_header(report), ""]
    lines += ["## All settings", "", *_markdown_table(*_table_rows(report)), ""]
    lines += ["## Learning curve (synthetic only)", ""]
    curve = [
        [str(p["articles"]), f"{p['argument_cls_f1']:.3f}", f"{p['trigger_cls_f1']:.3f}"]
        for p in report["learning_curve"]
    ]
    lines += _markdown_table(["synthetic train articles", "argument cls F1", "trigger cls F1"], curve) + [""]
    lines += [f"## Per event type: {_title(report, report['best_model'])} vs keyword baseline", ""]
    lines += _markdown_table(*_per_type_rows(report)) + [""]
    for key in (report["best_model"], report["baseline"]):
        lines += [f"## Most common confusions: {_title(report, key)}", ""]
        lines += [f"- {line.strip()}" for line in _confusion_lines(report, key)]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
