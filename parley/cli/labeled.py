"""`parley validate`: commands over labeled articles."""

from __future__ import annotations

import argparse
import sys


def _cmd_validate(args: argparse.Namespace) -> int:
    from parley.formats.readers import read_articles
    from parley.schema import load_schema

    schema = load_schema(args.schema)
    # A validator reports every bad article, not just the first.
    result = read_articles(args.paths, schema, lenient=True)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    n_events = sum(len(a.events) for a in result.articles)
    n_mentions = sum(len(a.entities) for a in result.articles)
    print(
        f"{len(result.articles)} valid article(s), {n_events} event(s), {n_mentions} mention(s); "
        f"{len(result.errors)} rejected"
    )
    return 1 if result.errors else 0


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    validate = commands.add_parser(
        "validate", parents=[debug], help="check labeled-article files or folders against the schema"
    )
    validate.add_argument("paths", nargs="+", help="files (.jsonl, .jsonl.gz, .ann, .json) or folders")
    validate.add_argument("--schema", default=None, help="schema YAML (default: the shipped configs/schema.yaml)")
    validate.set_defaults(run=_cmd_validate)
