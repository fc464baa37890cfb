"""Actor coding against the labeled mentions of data/actors/actor_mentions.tsv: country accuracy, sector
accuracy and coverage, on the part the rules were tuned on and on the held-out part.

The coder runs on the gold mentions and events of each article (read as extractions), so the figures
measure the coding alone, not the extractor. Definitions (docs/event_table.md):

- coverage: of the mentions with a gold country or sector, the share given a country or a sector;
- country accuracy: of the mentions with a gold country that were given one, the share given the right one;
- sector accuracy: of the mentions with a gold sector that were given one, the share given the right one;
- false countries: of the mentions with no gold country, the share given one anyway.

The last line is the unseen parts' (heldout and fresh): `actor_country_acc=X actor_sector_acc=Y coverage=Z`.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

from parley.inference.actors import ActorCoder
from parley.inference.extraction_records import extraction_from_record

ROOT = Path(__file__).resolve().parent.parent
# The labeled set's parts: "tune" was read while writing the rules; "heldout" was labeled before any rule and
# never read for tuning; "fresh" was labeled after the shipped people list was written, before the coder ran on it.
PARTS = {
    "tune": {"tune"},
    "heldout": {"heldout"},
    "fresh": {"fresh"},
    "unseen": {"heldout", "fresh"},
    "all": {"tune", "heldout", "fresh"},
}


def load_labels(path: Path) -> list[dict]:
    """The labeled mentions (TSV: split, article, entity, start, end, country, sector, file, text; empty = none)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        row.update(start=int(row["start"]), end=int(row["end"]), country=row["country"] or None)
        row["sector"] = row["sector"] or None
    return rows


def code_labeled(labels: list[dict], coder: ActorCoder) -> list[tuple[dict, object]]:
    """(label, predicted ActorCode or None) for every labeled mention."""
    records: dict[str, dict] = {}
    for file in sorted({label["file"] for label in labels}):
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            records[record["id"]] = record
    codes = {}
    for article in sorted({label["article"] for label in labels}):
        codes[article] = coder.code_extraction(extraction_from_record(records[article], article))
    return [(label, codes[label["article"]].get((label["start"], label["end"]))) for label in labels]


def scores(pairs: list[tuple[dict, object]]) -> dict[str, float]:
    counts: dict[str, int] = defaultdict(int)
    for gold, code in pairs:
        country, sector = (code.country, code.sector) if code else (None, None)
        if gold["country"] or gold["sector"]:
            counts["codable"] += 1
            counts["covered"] += bool(country or sector)
        if gold["country"] and country:
            counts["country_given"] += 1
            counts["country_right"] += country == gold["country"]
        counts["country_gold"] += bool(gold["country"])
        if not gold["country"]:
            counts["no_country"] += 1
            counts["false_country"] += bool(country)
        if gold["sector"] and sector:
            counts["sector_given"] += 1
            counts["sector_right"] += sector == gold["sector"]

    def ratio(a: str, b: str) -> float:
        return counts[a] / counts[b] if counts[b] else 0.0

    return {
        "mentions": len(pairs),
        "country_acc": ratio("country_right", "country_given"),
        "country_recall": ratio("country_right", "country_gold"),
        "sector_acc": ratio("sector_right", "sector_given"),
        "coverage": ratio("covered", "codable"),
        "false_country": ratio("false_country", "no_country"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", default=str(ROOT / "data/actors/actor_mentions.tsv"))
    parser.add_argument("--errors", action="store_true", help="list the tuning part's wrong codes")
    args = parser.parse_args(argv)
    labels = load_labels(Path(args.labels))
    started = time.perf_counter()
    pairs = code_labeled(labels, ActorCoder())
    seconds = time.perf_counter() - started
    if args.errors:
        for gold, code in pairs:
            got = (code.country, code.sector) if code else (None, None)
            if gold["split"] == "tune" and got != (gold["country"], gold["sector"]):
                wanted = f"{gold['country']}/{gold['sector']}"
                print(f"{gold['article']} {gold['entity']} {gold['text']!r}: gold {wanted} got {got[0]}/{got[1]}")
    print(
        f"{'part':<10}{'mentions':>9}{'country_acc':>13}{'country_recall':>16}{'sector_acc':>12}{'coverage':>10}{'false_country':>15}"
    )
    results = {}
    for part, splits in PARTS.items():
        results[part] = scores([p for p in pairs if p[0]["split"] in splits])
        r = results[part]
        print(
            f"{part:<10}{r['mentions']:>9}{r['country_acc']:>13.3f}{r['country_recall']:>16.3f}"
            f"{r['sector_acc']:>12.3f}{r['coverage']:>10.3f}{r['false_country']:>15.3f}"
        )
    print(f"coded {len(pairs)} mentions in {seconds:.2f}s (facts loaded on first use)")
    held = results["unseen"]
    print(f"actor_country_acc={held['country_acc']:.3f} ", end="")
    print(f"actor_sector_acc={held['sector_acc']:.3f} coverage={held['coverage']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
