"""`parley events table|dedupe|aggregate`: event tables for analysts, from parley predict's output."""

from __future__ import annotations

import argparse
from pathlib import Path


def _output_path(output: str | None, source: str, tag: str, overwrite: bool) -> Path:
    """Where a command writes: --output, else beside the input with `tag` before its suffix; never the input."""
    source_path = Path(source)
    path = Path(output) if output else source_path.with_name(f"{source_path.stem}.{tag}{source_path.suffix}")
    if path.resolve() == source_path.resolve():
        raise ValueError(f"--output {path}: is the input; name another file")
    if path.exists() and not overwrite:
        raise ValueError(f"{path}: exists; add --overwrite to replace it")
    return path


def _cmd_table(args: argparse.Namespace) -> int:
    from parley.inference.actors import ActorCoder
    from parley.inference.event_table import EventTable, model_version
    from parley.inference.event_table_io import table_format, write_event_table
    from parley.inference.extraction_records import read_extractions
    from parley.schema import load_schema

    output = Path(args.output)
    table_format(output)
    if output.exists() and not args.overwrite:
        raise ValueError(f"{output}: exists; add --overwrite to replace it")
    version = model_version(args.model) if args.model else ""
    schema = load_schema(args.schema)
    table = EventTable(schema, ActorCoder(args.actors, schema=schema), version)
    rows = write_event_table(read_extractions(args.extractions), output, table=table)
    print(f"{rows} event row(s) written to {output}")
    return 0


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from parley.inference.event_summaries import DEDUPE_COLUMNS, dedupe_events, parse_window
    from parley.inference.event_table_io import read_event_table, table_format, write_rows

    window = parse_window(args.window)
    output = _output_path(args.output, args.events, "dedup", args.overwrite)
    table_format(output)
    rows = read_event_table(args.events)
    merged = dedupe_events(rows, window)
    write_rows(merged, output, DEDUPE_COLUMNS)
    print(f"{len(rows)} row(s) -> {len(merged)} event(s) written to {output}")
    return 0


def _cmd_aggregate(args: argparse.Namespace) -> int:
    from parley.inference.event_summaries import aggregate_events
    from parley.inference.event_table_io import read_event_table, table_format, table_text, write_rows

    if args.output:
        table_format(args.output)
    by = [name.strip() for name in args.by.split(",") if name.strip()]
    table, columns = aggregate_events(read_event_table(args.events), by)
    if args.output:
        output = _output_path(args.output, args.events, "counts", args.overwrite)
        write_rows(table, output, columns)
        print(f"{len(table)} count row(s) written to {output}")
    else:
        print(table_text(table, columns), end="")
    return 0


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    events = commands.add_parser("events", parents=[debug], help="event tables: build, de-duplicate, count")
    actions = events.add_subparsers(dest="action", required=True)
    formats = ".csv, .tsv, .parquet or .jsonl (docs/event_table.md)"

    table = actions.add_parser("table", parents=[debug], help="event table from parley predict's JSONL output")
    table.add_argument("extractions", help="JSONL written by parley predict (full extractions, not --dyads)")
    table.add_argument("--output", required=True, help=f"the event table: {formats}")
    table.add_argument("--actors", default=None, help="your actor dictionary (YAML or CSV); overrides parley's")
    table.add_argument("--model", default=None, help="the model folder, for the model_version column")
    table.add_argument("--schema", default=None, help="schema file (default: the shipped one)")
    table.add_argument("--overwrite", action="store_true", help="replace an existing output")
    table.set_defaults(run=_cmd_table)

    dedupe = actions.add_parser(
        "dedupe", parents=[debug], help="one row per event reported by many stories (the one-a-day filter)"
    )
    dedupe.add_argument("events", help=f"an event table: {formats}")
    dedupe.add_argument("--window", default="1d", help="date window in days or weeks: 1d (default), 3d, 1w")
    dedupe.add_argument("--output", default=None, help="default: EVENTS with .dedup before its suffix")
    dedupe.add_argument("--overwrite", action="store_true", help="replace an existing output")
    dedupe.set_defaults(run=_cmd_dedupe)

    aggregate = actions.add_parser("aggregate", parents=[debug], help="count events by period and columns")
    aggregate.add_argument("events", help=f"an event table: {formats}")
    aggregate.add_argument(
        "--by", required=True, help="day, week, month or year and columns, e.g. month,source_country,event_type"
    )
    aggregate.add_argument("--output", default=None, help=f"write the counts here ({formats}) instead of printing")
    aggregate.add_argument("--overwrite", action="store_true", help="replace an existing output")
    aggregate.set_defaults(run=_cmd_aggregate)
