"""Turn the model's per-token and per-pair scores into spans, arguments and statuses (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass

from parley.model.labels import NO_ROLE, OUTSIDE
from parley.schema import Schema


@dataclass(frozen=True)
class WordSpan:
    """A labeled span of words [start, end) with the mean probability of its tags."""

    start: int
    end: int
    label: str
    score: float


def decode_bio(tags: list[str], scores: list[float]) -> list[WordSpan]:
    """Spans from one BIO tag per word; a stray I- opens a span, as a careful reader would."""
    spans: list[WordSpan] = []
    start, label, total = None, None, 0.0

    def close(end: int) -> None:
        if start is not None:
            spans.append(WordSpan(start, end, label, total / (end - start)))

    for i, tag in enumerate(tags):
        prefix, _, name = tag.partition("-")
        if tag == OUTSIDE or not name:
            close(i)
            start, label, total = None, None, 0.0
        elif prefix == "B" or name != label:
            close(i)
            start, label, total = i, name, scores[i]
        else:
            total += scores[i]
    close(len(tags))
    return spans


def decode_bio_tagged(tagged: list[tuple[int, str, float]]) -> list[WordSpan]:
    """`decode_bio` from the tagged words alone: (word index, tag, score), ascending, every other word O.

    The same spans and scores as `decode_bio` over the full tag list, in time that grows with the tagged
    words only (most words of news text are outside every span).
    """
    spans: list[WordSpan] = []
    start, label, total, previous = None, None, 0.0, -2
    for i, tag, score in tagged:
        prefix, _, name = tag.partition("-")
        if start is not None and (i != previous + 1 or tag == OUTSIDE or not name or prefix == "B" or name != label):
            spans.append(WordSpan(start, previous + 1, label, total / (previous + 1 - start)))
            start = None
        if tag == OUTSIDE or not name:
            start, label, total = None, None, 0.0
        elif start is None:
            start, label, total = i, name, score
        else:
            total += score
        previous = i
    if start is not None:
        spans.append(WordSpan(start, previous + 1, label, total / (previous + 1 - start)))
    return spans


def choose_role(
    probabilities: list[float], roles: tuple[str, ...], mention_label: str, schema: Schema, threshold: float
) -> tuple[str, float] | None:
    """The most likely role a mention can take under the schema, or None if `none` wins or it is unsure."""
    best, best_p = None, 0.0
    for role, p in zip(roles, probabilities, strict=False):
        if role == NO_ROLE or not schema.allows(role, mention_label):
            continue
        if p > best_p:
            best, best_p = role, p
    none_p = probabilities[roles.index(NO_ROLE)]
    if best is None or best_p < threshold or best_p <= none_p:
        return None
    return best, best_p
