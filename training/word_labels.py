"""Gold spans on the words of a sentence unit, and the word-level BIO tags and roles drawn from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parley.documents import Entity, LabeledEvent
from parley.model.labels import OUTSIDE
from parley.training.build_summary import SplitCounts

# Word tag of a word that carries no label in a row (ClassLabel's "missing" value).
UNLABELED = -1


@dataclass
class WordSpan:
    """A mention or trigger mapped onto the words of its sentence unit."""

    start: int  # word index in the unit, inclusive
    end: int  # exclusive
    in_tags: bool = True
    entity: Entity | None = None
    event: LabeledEvent | None = None


def choose_outermost(spans: list[WordSpan], counts: SplitCounts, crossing_key: str) -> int:
    """Mark which spans the BIO tags hold (outermost first); return how many sit inside a kept one."""
    nested = 0
    kept: list[WordSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        overlapping = [k for k in kept if k.start < span.end and span.start < k.end]
        if not overlapping:
            kept.append(span)
            continue
        span.in_tags = False
        if any(k.start <= span.start and span.end <= k.end for k in overlapping):
            nested += 1
        else:
            counts.issues[crossing_key] += 1
    return nested


def gold_roles(triggers: list[WordSpan], counts: SplitCounts) -> dict[tuple[str, str], str]:
    """(event id, mention id) -> role; a second role for the same pair is counted and dropped."""
    roles: dict[tuple[str, str], str] = {}
    for t in triggers:
        for argument in t.event.arguments:
            key = (t.event.id, argument.entity)
            if key in roles:
                counts.issues["multi_role_pairs"] += 1
            else:
                roles[key] = argument.role
    return roles


def bio_tags(
    n: int, spans: list[WordSpan], label_of: Callable[[WordSpan], str], tag_id: dict[str, int], exhaustive: bool
) -> list[int]:
    """Word-level BIO tag ids of the spans the tags hold; all UNLABELED when the spans are not exhaustive."""
    if not exhaustive:
        return [UNLABELED] * n
    tags = [tag_id[OUTSIDE]] * n
    for span in spans:
        if span.in_tags:
            label = label_of(span)
            tags[span.start : span.end] = [tag_id[f"B-{label}"]] + [tag_id[f"I-{label}"]] * (span.end - span.start - 1)
    return tags


def continuation_ids(tags: Sequence[str]) -> list[int]:
    """For each tag id, the id used on a word's later subwords (B-X -> I-X, others unchanged)."""
    index = {tag: i for i, tag in enumerate(tags)}
    return [index["I-" + tag[2:]] if tag.startswith("B-") else i for i, tag in enumerate(tags)]


def cut_tags(tags: list[int], spans: list[WordSpan], start: int, end: int) -> list[int]:
    """The window's slice of unit-level tags, with spans cut by the window edge unlabeled."""
    window = tags[start:end]
    for span in spans:
        if span.in_tags and span.start < end and start < span.end and not (start <= span.start and span.end <= end):
            for i in range(max(span.start, start), min(span.end, end)):
                window[i - start] = UNLABELED
    return window


def envelope(spans: list[WordSpan]) -> tuple[int, int]:
    """The smallest word range that holds all `spans`."""
    return min(s.start for s in spans), max(s.end for s in spans)
