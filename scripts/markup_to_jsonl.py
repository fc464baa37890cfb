"""Convert hand-written markup passages (see parley.formats.markup) to labeled JSONL.

python scripts/markup_to_jsonl.py data/markup/seeds.txt --output data/seeds.jsonl
"""

from __future__ import annotations

import argparse
import sys

from parley.documents import Article
from parley.formats.jsonl import write_jsonl
from parley.formats.markup import read_markup
from parley.schema import load_schema


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="markup files")
    parser.add_argument("--output", required=True, help="JSONL file to write")
    parser.add_argument("--schema", default=None, help="schema YAML (default: the shipped one)")
    args = parser.parse_args()

    schema = load_schema(args.schema)
    articles: list[Article] = []
    errors = 0
    for path in args.inputs:
        for item in read_markup(path, schema):
            if isinstance(item, Article):
                articles.append(item)
            else:
                errors += 1
                print(f"error: {item}", file=sys.stderr)
    if errors:
        print(f"{errors} error(s); {args.output} not written", file=sys.stderr)
        return 1
    write_jsonl(articles, args.output)
    print(f"wrote {len(articles)} article(s), {sum(len(a.events) for a in articles)} event(s) to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
