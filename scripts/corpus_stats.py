"""Print counts per event type, status, role and mention label for each source (seed / synthetic).

    python scripts/corpus_stats.py [PATH ...]      (default: data/)

Ends with one line: passages=N events=M min_events_per_type=K (N and M over all sources;
K is the smallest per-type event count of the synthetic passages, or of all passages if none is synthetic).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from parley.formats.readers import read_articles
from parley.schema import load_schema


def source_of(article_id: str) -> str:
    """Which part of the corpus an article belongs to, by its id prefix."""
    if article_id.startswith("synth-"):
        return "synthetic"
    if article_id.startswith("seed-"):
        return "seed"
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser(description="Corpus statistics per source.")
    parser.add_argument("paths", nargs="*", default=["data"])
    args = parser.parse_args()

    schema = load_schema()
    result = read_articles(args.paths, schema, lenient=True)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)

    groups: dict[str, list] = {}
    for article in result.articles:
        groups.setdefault(source_of(article.id), []).append(article)

    for source, articles in sorted(groups.items()):
        types, statuses, roles, labels = Counter(), Counter(), Counter(), Counter()
        for article in articles:
            labels.update(e.label for e in article.entities)
            for event in article.events:
                types[event.type] += 1
                statuses[event.status] += 1
                roles.update(a.role for a in event.arguments)
        print(f"== {source}: {len(articles)} passages, {sum(types.values())} events")
        for title, names, counts in (
            ("event type", schema.event_types, types),
            ("status", schema.statuses, statuses),
            ("role", schema.roles, roles),
            ("mention label", schema.mention_labels, labels),
        ):
            print(f"  {title:<14}" + "  ".join(f"{name}={counts[name]}" for name in names))

    basis = groups.get("synthetic") or result.articles
    per_type = Counter(event.type for article in basis for event in article.events)
    n_events = sum(len(a.events) for a in result.articles)
    print(
        f"passages={len(result.articles)} events={n_events} "
        f"min_events_per_type={min(per_type[t] for t in schema.event_types)}"
    )
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
