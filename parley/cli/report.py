"""`parley report`: an HTML page of parley predict's output, or of a training run (`--run`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _cmd_report(args: argparse.Namespace) -> int:
    if (args.input is None) == (args.run_dir is None):
        raise ValueError("give either INPUT (parley predict's output) or --run RUN_DIR, not both or neither")
    output = Path(args.output)
    if output.is_dir():
        raise ValueError(f"-o {output}: is a folder; name a file")
    if output.exists() and not args.overwrite:
        raise ValueError(f"{output}: exists; add --overwrite to replace it")
    try:
        from parley.reports import write_events_report, write_run_report
    except ModuleNotFoundError as err:
        raise ValueError(f"parley report needs {err.name}: pip install 'parley-events[report]'") from err
    if args.run_dir is not None:
        summary = write_run_report(args.run_dir, output, confusion=not args.no_confusion, device=args.device)
        print(f"run report of {args.run_dir} written to {output} ({summary.bytes / 1e6:.1f} MB)")
        for note in summary.notes:
            print(f"note: {note}")
        return 0
    from parley.schema import load_schema

    if args.max_mb <= 1:
        raise ValueError(f"--max-mb {args.max_mb}: the page's scripts alone take about 1 MB; give more")
    summary = write_events_report(
        args.input, output, schema=load_schema(args.schema), actors=args.actors, max_bytes=int(args.max_mb * 1e6)
    )
    shown = "" if summary.articles_shown == summary.articles else f", {summary.articles_shown} shown"
    print(
        f"report of {summary.events} event(s) in {summary.articles} article(s){shown} written to {output} "
        f"({summary.bytes / 1e6:.1f} MB)"
    )
    return 0


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report", parents=[debug], help="a self-contained HTML report of predictions or of a training run"
    )
    report.add_argument(
        "input", nargs="?", default=None, help="parley predict's output: JSONL, or an event table (.csv .tsv .parquet)"
    )
    report.add_argument(
        "--run", dest="run_dir", default=None, metavar="RUN_DIR", help="report on this training run instead"
    )
    report.add_argument("-o", "--output", required=True, help="the HTML file to write")
    report.add_argument("--overwrite", action="store_true", help="replace an existing output")
    report.add_argument("--actors", default=None, help="with JSONL input: your actor dictionary (YAML or CSV)")
    report.add_argument("--schema", default=None, help="schema file (default: the shipped one)")
    report.add_argument(
        "--max-mb", type=float, default=5.0, help="past this size the article browser is sampled (default 5)"
    )
    report.add_argument(
        "--no-confusion",
        action="store_true",
        help="with --run: leave out the status confusion matrix (it runs the test split through the run's model)",
    )
    report.add_argument("--device", default=None, help="with --run: cpu, cuda, ... for the confusion matrix")
    report.set_defaults(run=_cmd_report)
