"""Convert hand-written markup passages (see parley.formats.markup) to labeled JSONL, replacing OUTPUT.

A shortcut kept for old notes: `parley convert MARKUP.txt ... OUTPUT.jsonl --overwrite` does the same.

python scripts/markup_to_jsonl.py data/markup/seeds.txt --output data/seeds.jsonl
"""

from __future__ import annotations

import argparse
import sys

from parley.cli import main as parley


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="markup files")
    parser.add_argument("--output", required=True, help="JSONL file to write")
    parser.add_argument("--schema", default=None, help="schema YAML (default: the shipped one)")
    args = parser.parse_args()
    schema = [] if args.schema is None else ["--schema", args.schema]
    return parley(["convert", *args.inputs, args.output, "--to", "jsonl", "--overwrite", *schema])


if __name__ == "__main__":
    sys.exit(main())
