"""Print the events a trained model finds in a few articles, one line per event.

python scripts/show_events.py runs/main/model examples/new_articles.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys

from parley import EventExtractor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="model folder written by parley train")
    parser.add_argument("articles", help="JSONL file with id, text and optional date per line")
    args = parser.parse_args()

    with open(args.articles, encoding="utf-8") as handle:
        articles = [json.loads(line) for line in handle if line.strip()]
    extractor = EventExtractor.from_pretrained(args.model)
    for article, events in zip(articles, extractor.predict(articles), strict=True):
        print(f"\n{article['id']}: {article['text'][:90]}...")
        if not events:
            print("  (no events)")
        for event in events:
            roles = "  ".join(
                f"{a.role}={a.mention.text}" + (f" [{a.mention.resolved}]" if a.mention.resolved else "")
                for a in event.arguments
            )
            print(f"  {event.type:<8} {event.status:<12} '{event.trigger.text}' ({event.score:.2f})  {roles}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
