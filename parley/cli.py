"""The `parley` command: thin argument parsing around the library's functions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _cmd_validate(args: argparse.Namespace) -> int:
    from parley.schema import load_schema
    from parley.training.readers import read_articles

    schema = load_schema(args.schema)
    try:
        # A validator reports every bad article, not just the first.
        result = read_articles(args.paths, schema, lenient=True)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    n_events = sum(len(a.events) for a in result.articles)
    n_mentions = sum(len(a.entities) for a in result.articles)
    print(
        f"{len(result.articles)} valid article(s), {n_events} event(s), {n_mentions} mention(s); "
        f"{len(result.errors)} rejected"
    )
    return 1 if result.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Extract diplomatic events from news.")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check labeled-article files or folders against the schema")
    validate.add_argument("paths", nargs="+", help="files (.jsonl, .jsonl.gz, .ann, .json) or folders")
    validate.add_argument("--schema", default=None, help="schema YAML (default: the shipped configs/schema.yaml)")
    validate.set_defaults(run=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
