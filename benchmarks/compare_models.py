"""The keyword rules and trained models side by side on the held-out seeds, synthetic dev and the capability suite.

Used by `python benchmarks/accuracy_report.py --compare NAME=RUN_DIR ...` (see there). Each RUN_DIR is a
finished `parley train` run of a held-out config (its model/, run_config.json and splits.json). All models
are judged on the same text:
- the held-out seeds: data/seeds.jsonl as labeled now (or --seeds), never trained on by any of them;
- synthetic dev: the dev split of the LAST run named, less any article another run trained on, so that no
  model is scored on a passage it saw;
- the capability suite of benchmarks/capabilities.py.
Per event type (trigger and argument classification F1) and per gold status (trigger recall and status
accuracy) on the seeds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from capabilities import run_suite
from keyword_baseline import KeywordBaseline
from levers import false_events_per_100

from parley.documents import Article
from parley.formats.readers import read_articles
from parley.inference.evaluate import run_split_articles
from parley.inference.extractor import EventExtractor
from parley.schema import Schema
from parley.scoring import greedy_match, score_articles

RULES = "keyword rules"
RECALL_TYPES = ("MEET", "ATTEND", "BOYCOTT")


def per_status(gold: list[Article], predicted: list[Article]) -> dict[str, dict[str, float]]:
    """Per gold status: trigger recall (type and overlap) and status accuracy of the matched triggers."""
    counts: dict[str, Counter] = {}
    by_id = {a.id: a for a in predicted}
    for article in gold:
        g = [(e.trigger.start, e.trigger.end, e.type) for e in article.events]
        p_events = by_id[article.id].events
        p = [(e.trigger.start, e.trigger.end, e.type) for e in p_events]
        matched = dict(greedy_match(g, p, same_key=True))
        for i, event in enumerate(article.events):
            c = counts.setdefault(event.status, Counter())
            c["gold"] += 1
            if i in matched:
                c["found"] += 1
                c["right"] += p_events[matched[i]].status == event.status
    return {
        status: {"gold": c["gold"], "recall": c["found"] / c["gold"], "accuracy": c["right"] / max(1, c["found"])}
        for status, c in counts.items()
    }


def _figures(predict, seeds: list[Article], dev: list[Article], schema: Schema) -> dict[str, Any]:
    seeds_predicted, dev_predicted = predict(seeds), predict(dev)
    held = score_articles(seeds, seeds_predicted, schema)
    on_dev = score_articles(dev, dev_predicted, schema)
    suite = run_suite(lambda texts: predict([{"id": str(i), "text": t} for i, t in enumerate(texts)]))
    return {
        "seeds": held.to_dict(),
        "seeds_false_events_per_100": false_events_per_100(seeds, seeds_predicted),
        "seeds_per_status": per_status(seeds, seeds_predicted),
        "dev": on_dev.to_dict(),
        "capabilities": {k: suite[k] for k in ("rates", "passed", "worst")},
    }


def compare(runs: dict[str, Path], seeds_path: str, schema: Schema) -> dict[str, Any]:
    """Every figure of the rules and of each run's model, on the same seeds, dev articles and cases."""
    seeds = read_articles([seeds_path], schema).articles
    loaded = {name: run_split_articles(run, schema) for name, run in runs.items()}
    seen = {a.id for articles in loaded.values() for a in articles["train"]}
    dev = [a for a in list(loaded.values())[-1].get("dev", []) if a.id not in seen]

    rules = KeywordBaseline(schema)
    figures = {RULES: _figures(lambda items: [rules.predict(a) for a in items], seeds, dev, schema)}
    for name, run in runs.items():
        extractor = EventExtractor.from_pretrained(str(run / "model"), device="cpu", runtime="torch")
        figures[name] = _figures(
            lambda items, e=extractor: [x.to_article() for x in e.extract(items)], seeds, dev, schema
        )
    meta = {
        "seeds": seeds_path,
        "seed_articles": len(seeds),
        "dev_articles": len(dev),
        "runs": {k: str(v) for k, v in runs.items()},
    }
    return {"meta": meta, "models": figures}


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def format_markdown(report: dict[str, Any]) -> str:
    meta, models = report["meta"], report["models"]
    lines = [
        "# Keyword rules and models on the same held-out text",
        "",
        f"Held-out seeds: {meta['seed_articles']} real articles ({meta['seeds']}); synthetic dev: "
        f"{meta['dev_articles']} passages no model trained on; capability suite: benchmarks/capabilities.py.",
        "",
    ]
    columns = [
        "model",
        "seeds trig cls F1",
        "seeds arg cls F1",
        "seeds status acc",
        "false ev./100 sent.",
        *(f"{t} recall" for t in RECALL_TYPES),
        "dev trig cls F1",
        "dev arg cls F1",
        "caps pass",
        "caps worst",
    ]
    rows = []
    for name, f in models.items():
        s, d, c = f["seeds"], f["dev"], f["capabilities"]
        recall = [
            f"{s['per_type'][t]['trigger_cls']['recall']:.3f}" if t in s["per_type"] else "-" for t in RECALL_TYPES
        ]
        rows.append(
            [
                name,
                f"{s['trigger_cls']['f1']:.3f}",
                f"{s['argument_cls']['f1']:.3f}",
                f"{s['status']['accuracy']:.3f}",
                f"{f['seeds_false_events_per_100']:.1f}",
                *recall,
                f"{d['trigger_cls']['f1']:.3f}",
                f"{d['argument_cls']['f1']:.3f}",
                f"{c['passed']:.3f}",
                f"{c['worst']}:{c['rates'][c['worst']]:.2f}",
            ]
        )
    lines += ["## Overall", "", *_table(columns, rows), ""]

    names = list(models)
    types = list(next(iter(models.values()))["seeds"]["per_type"])
    rows = []
    for t in types:
        cells = []
        for name in names:
            scores = models[name]["seeds"]["per_type"][t]
            cells.append(f"{scores['trigger_cls']['f1']:.3f} / {scores['argument_cls']['f1']:.3f}")
        gold = models[names[0]]["seeds"]["per_type"][t]["trigger_cls"]
        rows.append([t, str(gold["tp"] + gold["fn"]), *cells])
    lines += [
        "## Seeds per event type (trigger cls F1 / argument cls F1)",
        "",
        *_table(["type", "gold", *names], rows),
        "",
    ]

    statuses = list(next(iter(models.values()))["seeds_per_status"])
    rows = []
    for status in statuses:
        cells = []
        for name in names:
            figure = models[name]["seeds_per_status"].get(status, {"recall": 0.0, "accuracy": 0.0})
            cells.append(f"{figure['recall']:.3f} / {figure['accuracy']:.3f}")
        rows.append([status, str(models[names[0]]["seeds_per_status"][status]["gold"]), *cells])
    lines += [
        "## Seeds per gold status (trigger recall / status accuracy of found triggers)",
        "",
        *_table(["status", "gold", *names], rows),
        "",
    ]

    caps = list(next(iter(models.values()))["capabilities"]["rates"])
    rows = [[cap, *(f"{models[n]['capabilities']['rates'][cap]:.2f}" for n in names)] for cap in caps]
    lines += ["## Capability suite pass rates", "", *_table(["capability", *names], rows), ""]
    return "\n".join(lines)
