"""Sentence units of an article: its sentences, joined where a span or an argument crosses them."""

from __future__ import annotations

import bisect

from parley.documents import Article
from parley.text import split_sentences
from parley.training.build_summary import SplitCounts
from parley.training.splits import normalise_sentence

Span = tuple[int, int]


def sentence_units(article: Article, counts: SplitCounts) -> tuple[list[Span], list[str]]:
    """Unit char spans and the article's normalised sentence texts; counts the joins in `counts`."""
    sentences = split_sentences(article.text)
    join = [False] * len(sentences)  # join[i]: sentence i and i + 1 are one unit
    for first, last in _crossings(article, sentences, counts):
        for i in range(first, last):
            join[i] = True
    units: list[Span] = []
    first = 0
    for i, (_, end) in enumerate(sentences):
        if not join[i]:
            if i > first:
                counts.issues["joined_units"] += 1
            units.append((sentences[first][0], end))
            first = i + 1
    texts = [normalise_sentence(article.text[start:end]) for start, end in sentences]
    return units, texts


def _crossings(article: Article, sentences: list[Span], counts: SplitCounts) -> list[Span]:
    """Ranges `[first, last]` of sentences that must be one unit: spans and arguments that cross them."""

    def covered(start: int, end: int) -> Span | None:
        hit = overlapping(sentences, start, end)
        return None if hit is None else (hit[0], hit[1] - 1)

    ranges = []
    spans = [(e.start, e.end) for e in article.entities] + [(ev.trigger.start, ev.trigger.end) for ev in article.events]
    for start, end in spans:
        hit = covered(start, end)
        if hit and hit[0] != hit[1]:
            counts.issues["spans_across_sentences"] += 1
            ranges.append(hit)
    for event in article.events:
        trigger = covered(event.trigger.start, event.trigger.end)
        for argument in event.arguments:
            entity = article.entity(argument.entity)
            mention = covered(entity.start, entity.end)
            if trigger and mention and mention != trigger:
                counts.issues["cross_sentence_arguments"] += 1
                ranges.append((min(trigger[0], mention[0]), max(trigger[1], mention[1])))
    return ranges


def overlapping(spans: list[Span], start: int, end: int) -> Span | None:
    """Indices `[first, last + 1)` of the sorted, disjoint `spans` that overlap `[start, end)`, or None."""
    first = max(bisect.bisect_right(spans, (start, float("inf"))) - 1, 0)
    while first < len(spans) and spans[first][1] <= start:
        first += 1
    last = first
    while last < len(spans) and spans[last][0] < end:
        last += 1
    return (first, last) if last > first else None


def unit_of(units: list[Span], start: int, end: int) -> int | None:
    """Index of the first unit that overlaps `[start, end)`, or None."""
    for index, (u_start, u_end) in enumerate(units):
        if u_start < end and start < u_end:
            return index
    return None
