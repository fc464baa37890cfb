"""What a dataset build produced: counts per split, label, role and status, and every issue met."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from parley.model.labels import LabelSpace

# What the summary reports beyond plain counts; every item here is kept or explained, never silently lost.
ISSUES = {
    "nested_mentions": "mentions inside another mention: relation candidates, not in the BIO tags",
    "crossing_mentions": "mentions partly overlapping another: relation candidates, not in the BIO tags",
    "overlapping_triggers": "triggers overlapping another trigger: in `triggers`, not in the BIO tags",
    "cross_sentence_arguments": "arguments in another sentence than their trigger: the sentences are joined",
    "spans_across_sentences": "mentions or triggers crossing a sentence boundary: the sentences are joined",
    "joined_units": "sentence units made of several joined sentences",
    "windowed_units": "sentence units longer than max_length, split into overlapping windows",
    "unfit_events": "events whose trigger and arguments fit no single window (their pairs are still placed)",
    "unfit_pairs": "relation pairs that fit no window (lost; by role below)",
    "unfit_spans": "mentions or triggers longer than a window (lost)",
    "multi_role_pairs": "mentions with two roles in one event (first role kept)",
    "split_words": "words cut at a span edge inside them",
    "dropped_words": "words the tokenizer maps to no subword (left out)",
    "spans_without_words": "spans holding no word (left out)",
    "truncated_words": "single words longer than a window (truncated)",
}


@dataclass
class SplitCounts:
    """What one split (or one article) holds; gold items counted once, windows and tokens per row."""

    articles: int = 0
    sentences: int = 0
    windows: int = 0
    tokens: int = 0
    mentions: Counter = field(default_factory=Counter)
    triggers: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    pairs: Counter = field(default_factory=Counter)
    unfit_pairs: Counter = field(default_factory=Counter)
    issues: Counter = field(default_factory=Counter)

    def add(self, other: SplitCounts) -> None:
        """Add another count into this one."""
        for name in ("articles", "sentences", "windows", "tokens"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("mentions", "triggers", "statuses", "pairs", "unfit_pairs", "issues"):
            getattr(self, name).update(getattr(other, name))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready counts."""
        return {name: dict(value) if isinstance(value, Counter) else value for name, value in vars(self).items()}


@dataclass
class BuildSummary:
    """Counts per split, the skipped articles and notes on how the data was split."""

    splits: dict[str, SplitCounts]
    label_space: LabelSpace
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    article_groups: int = 0

    def total(self) -> SplitCounts:
        """The counts of all splits together."""
        total = SplitCounts()
        for counts in self.splits.values():
            total.add(counts)
        return total

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary."""
        return {
            "splits": {name: counts.to_dict() for name, counts in self.splits.items()},
            "total": self.total().to_dict(),
            "skipped": list(self.skipped),
            "notes": list(self.notes),
            "article_groups": self.article_groups,
        }

    def format(self) -> str:
        """A printable table: counts per split, label, role and status, then issues and notes."""
        columns = [*self.splits.values(), self.total()]
        labels = self.label_space
        rows: list[tuple[str, list[int]]] = []
        for name in ("articles", "sentences", "windows", "tokens"):
            rows.append((name, [getattr(c, name) for c in columns]))
        rows.append(("mentions", [sum(c.mentions.values()) for c in columns]))
        rows += [(f"  {label}", [c.mentions[label] for c in columns]) for label in labels.mention_labels]
        rows.append(("triggers", [sum(c.triggers.values()) for c in columns]))
        rows += [(f"  {etype}", [c.triggers[etype] for c in columns]) for etype in labels.event_types]
        rows.append(("status", [sum(c.statuses.values()) for c in columns]))
        rows += [(f"  {status}", [c.statuses[status] for c in columns]) for status in labels.statuses]
        rows.append(("relation pairs", [sum(c.pairs.values()) for c in columns]))
        rows += [(f"  {role}", [c.pairs[role] for c in columns]) for role in labels.roles]
        width = max(len(name) for name, _ in rows) + 2
        lines = [" " * width + "".join(f"{name:>9}" for name in [*self.splits, "total"])]
        lines += [f"{name:<{width}}" + "".join(f"{value:>9}" for value in values) for name, values in rows]
        total = columns[-1]
        issues = [(key, total.issues[key]) for key in ISSUES if total.issues[key]]
        if issues:
            lines.append("issues (all splits):")
            for key, count in issues:
                lines.append(f"  {count:>6}  {ISSUES[key]}")
                if key == "unfit_pairs":
                    lines += [f"          {role}: {n}" for role, n in sorted(total.unfit_pairs.items())]
        lines.append(f"{self.article_groups} article group(s); {len(self.skipped)} article(s) skipped")
        lines += [f"skipped: {message}" for message in self.skipped]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)
