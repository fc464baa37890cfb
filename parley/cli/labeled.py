"""`parley validate`, `parley convert` and `parley labelstudio-config`: commands over labeled articles."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_validate(args: argparse.Namespace) -> int:
    from parley.formats.readers import read_articles
    from parley.schema import load_schema

    schema = load_schema(args.schema)
    # A validator reports every bad article, not just the first.
    result = read_articles(args.paths, schema, lenient=True)
    _report(result.errors)
    print(f"{len(result.articles)} valid article(s), {_labels(result.articles)}; {len(result.errors)} rejected")
    return 1 if result.errors else 0


def _cmd_convert(args: argparse.Namespace) -> int:
    from parley.formats.readers import labeled_files, read_articles
    from parley.formats.writers import check_output, output_format, write_articles
    from parley.schema import load_schema

    schema = load_schema(args.schema)
    fmt = output_format(args.output, args.to)
    check_output(args.output, folder=fmt == "brat", overwrite=args.overwrite)
    for path in args.inputs:
        if Path(path).is_dir() and not labeled_files(path):
            raise ValueError(
                f"{path}: no labeled-article files (.jsonl, .jsonl.gz, .ann, .json) in this folder; "
                "markup .txt files are read only when named one by one"
            )
    # Every bad article is named and none is dropped: a conversion writes all the articles or nothing.
    result = read_articles(args.inputs, schema, lenient=True)
    _report(result.errors)
    if result.errors:
        print(f"error: {len(result.errors)} article(s) rejected; {args.output} not written", file=sys.stderr)
        return 1
    unwritable = write_articles(result.articles, args.output, fmt, schema)
    _report(unwritable)
    if unwritable:
        print(
            f"error: {len(unwritable)} article(s) cannot be written as {fmt}; {args.output} not written",
            file=sys.stderr,
        )
        return 1
    print(f"wrote {len(result.articles)} article(s), {_labels(result.articles)} as {fmt} to {args.output}")
    return 0


def _cmd_labelstudio_config(args: argparse.Namespace) -> int:
    from parley.formats.labelstudio import labelstudio_config
    from parley.formats.writers import check_output
    from parley.schema import load_schema

    config = labelstudio_config(load_schema(args.schema))
    if args.output is None:
        sys.stdout.write(config)
        return 0
    check_output(args.output, folder=False, overwrite=args.overwrite)
    Path(args.output).write_text(config, encoding="utf-8")
    print(f"wrote the Label Studio labeling config to {args.output}")
    return 0


def _labels(articles: list) -> str:
    return f"{sum(len(a.events) for a in articles)} event(s), {sum(len(a.entities) for a in articles)} mention(s)"


def _report(errors: list) -> None:
    for error in errors:
        print(f"error: {error}", file=sys.stderr)


def add_commands(commands: argparse._SubParsersAction, debug: argparse.ArgumentParser) -> None:
    validate = commands.add_parser(
        "validate", parents=[debug], help="check labeled-article files or folders against the schema"
    )
    validate.add_argument("paths", nargs="+", help="files (.jsonl, .jsonl.gz, .ann, .json, markup .txt) or folders")
    validate.add_argument("--schema", default=None, help="schema YAML (default: the shipped configs/schema.yaml)")
    validate.set_defaults(run=_cmd_validate)

    convert = commands.add_parser(
        "convert",
        parents=[debug],
        help="convert labeled articles between JSONL, brat, Label Studio (and from markup)",
        description="Convert labeled articles: JSONL, brat folders and Label Studio exports either way, markup "
        "passages (.txt) to any of them. Nothing is written if any article is rejected.",
    )
    convert.add_argument(
        "inputs", nargs="+", metavar="IN", help="files (.jsonl, .jsonl.gz, .ann, .json, markup .txt) or folders"
    )
    convert.add_argument(
        "output",
        metavar="OUT",
        help="a .jsonl or .jsonl.gz file, a .json Label Studio export, or a folder for brat .txt/.ann pairs",
    )
    convert.add_argument("--to", choices=("jsonl", "brat", "labelstudio"), help="output format (default: from OUT)")
    convert.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing OUT file, or write into a non-empty folder (files not rewritten stay)",
    )
    convert.add_argument("--schema", default=None, help="schema YAML (default: the shipped configs/schema.yaml)")
    convert.set_defaults(run=_cmd_convert)

    config = commands.add_parser(
        "labelstudio-config",
        parents=[debug],
        help="write the Label Studio labeling config (XML) for the schema",
        description="Write the Label Studio labeling config whose exports `parley convert` and every reader take.",
    )
    config.add_argument("output", nargs="?", default=None, metavar="OUT", help="XML file to write (default: stdout)")
    config.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    config.add_argument("--schema", default=None, help="schema YAML (default: the shipped configs/schema.yaml)")
    config.set_defaults(run=_cmd_labelstudio_config)
