"""The size of `parley report`'s HTML file for N articles, from parley predict's JSONL and from the event table.

The articles are the labeled corpus's texts (the five seeds, the examples and the first 30 passages of each
synthetic file, text only), predicted once by the model and then repeated under new ids up to N. The issue
asks for a file under about 5 MB at 2,000 articles; past the budget the article browser is sampled, so the
table also says how many articles the page shows.

    python benchmarks/report_size.py --model runs/main/model --articles 340 2000

The last line is `report_bytes_2000=X shown_2000=Y` for the largest N.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from parley.cli import main as parley
from parley.inference.event_table_io import write_event_table
from parley.inference.extraction_records import read_extractions
from parley.reports import write_events_report
from parley.reports.page import vega_javascript

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_PER_FILE = 30


def corpus_texts(out: Path) -> Path:
    """The corpus's texts as unlabeled JSONL (id, text, date, source), as a news dump would be."""
    files = [ROOT / "data" / "seeds.jsonl", ROOT / "examples" / "new_articles.jsonl"]
    files += sorted((ROOT / "data" / "synthetic").glob("*.jsonl"))
    with open(out, "w", encoding="utf-8") as handle:
        for path in files:
            lines = path.read_text(encoding="utf-8").splitlines()
            for line in lines[:SYNTHETIC_PER_FILE] if "synthetic" in path.parts else lines:
                record = json.loads(line)
                keep = {key: record[key] for key in ("id", "text", "date", "source") if record.get(key) is not None}
                handle.write(json.dumps(keep) + "\n")
    return out


def repeated(predictions: Path, n: int, out: Path) -> Path:
    """The first `n` records of the predictions cycled, each copy under a new id."""
    records = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(out, "w", encoding="utf-8") as handle:
        for i in range(n):
            record = dict(records[i % len(records)])
            record["id"] = f"{record['id']}-copy{i // len(records)}" if i >= len(records) else record["id"]
            handle.write(json.dumps(record) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "runs" / "main" / "model"), help="a trained model folder")
    parser.add_argument("--predictions", default=None, help="reuse this parley predict JSONL instead of predicting")
    parser.add_argument("--articles", type=int, nargs="+", default=[340, 2000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="report-size-"))
    predictions = Path(args.predictions) if args.predictions else work / "predictions.jsonl"
    if not args.predictions:
        texts = corpus_texts(work / "texts.jsonl")
        parley(["predict", "--model", args.model, "--input", str(texts), "--output", str(predictions), "--quiet"])
    print("| articles | input | file size (bytes) | articles in the browser | events |")
    print("|---:|---|---:|---:|---:|")
    last = None
    for n in args.articles:
        jsonl = repeated(predictions, n, work / f"articles-{n}.jsonl")
        table = work / f"events-{n}.csv"
        write_event_table(read_extractions(jsonl), table)
        for name, source in (("JSONL", jsonl), ("event table (CSV)", table)):
            summary = write_events_report(source, work / f"report-{n}-{source.suffix[1:]}.html")
            print(
                f"| {n} | {name} | {summary.bytes:,} | {summary.articles_shown} of {summary.articles} | "
                f"{summary.events} |"
            )
            if name == "JSONL":
                last = (n, summary)
    print(f"of each file, vega-embed's JavaScript: {len(vega_javascript().encode('utf-8')) / 1e6:.2f} MB")
    n, summary = last
    print(f"report_bytes_{n}={summary.bytes} shown_{n}={summary.articles_shown}")


if __name__ == "__main__":
    main()
