"""Model inputs of the extractor: one `Unit` per sentence or window, and the padded arrays of a batch of them.

Plain data (lists and numpy arrays), so that worker processes can build them and send them to the process
that runs the model (host_pool.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from parley.inference.decoding import WordSpan
from parley.inference.events import Mention


@dataclass
class Unit:
    """One model input: a sentence, or one window of a long sentence."""

    article: int
    words: list[tuple[int, int]]  # character spans in the article
    input_ids: list[int]
    # Per word, its tokens [start, end) in input_ids; empty for a word the tokenizer drops (it gets no tag).
    token_spans: list[tuple[int, int]]
    # Per token, the word whose first subword it is, else -1: the tokens whose tag is the word's tag.
    token_words: list[int] = field(default_factory=list)
    mentions: list[WordSpan] = field(default_factory=list)
    triggers: list[WordSpan] = field(default_factory=list)
    # (trigger, status, status score, [(role, mention span, score)]) per trigger, filled by the model pass.
    decoded: list[tuple] = field(default_factory=list)


def batch_arrays(batch: list[Unit], pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input ids (padded with `pad`), attention mask and token words (padded with -1) of a batch, int64."""
    lengths = np.array([len(unit.input_ids) for unit in batch])
    width = int(lengths.max())
    input_ids = np.full((len(batch), width), pad, dtype=np.int64)
    token_words = np.full((len(batch), width), -1, dtype=np.int64)
    for row, unit in enumerate(batch):
        input_ids[row, : lengths[row]] = unit.input_ids
        token_words[row, : lengths[row]] = unit.token_words
    attention = (np.arange(width) < lengths[:, None]).astype(np.int64)
    return input_ids, attention, token_words


def plan_batches(units: list[Unit], batch_size: int, pad: int) -> list[tuple[list[int], tuple]]:
    """The model pass's batches: unit indices sorted by length in groups of `batch_size`, with their arrays."""
    order = sorted(range(len(units)), key=lambda i: len(units[i].input_ids))
    groups = [order[begin : begin + batch_size] for begin in range(0, len(order), batch_size)]
    return [(group, batch_arrays([units[i] for i in group], pad)) for group in groups]


def to_mention(unit: Unit, text: str, span: WordSpan) -> Mention:
    """A word span of a unit as a mention with character offsets into the article."""
    start, end = unit.words[span.start][0], unit.words[span.end - 1][1]
    return Mention(span.label, text[start:end], start, end, span.score)


def token_span(unit: Unit, span: WordSpan) -> tuple[int, int]:
    """The tokens [start, end) of a word span of a unit."""
    return unit.token_spans[span.start][0], unit.token_spans[span.end - 1][1]
