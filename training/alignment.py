"""Word-level labels and spans mapped onto subword tokens (pure functions, no tokenizer needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# The label id that PyTorch's cross-entropy skips.
IGNORE_INDEX = -100


def align_labels(
    word_ids: Sequence[int | None],
    word_labels: Sequence[int],
    label_all_subwords: bool = False,
    continuation: Mapping[int, int] | Sequence[int] | None = None,
) -> list[int]:
    """One label per subword token: the first subword of a word gets the word's label, the rest and specials -100.

    `word_ids` is the tokenizer's `word_ids()` (None for special tokens). A word
    labelled -100 stays ignored on every subword. With `label_all_subwords`, the
    later subwords of a word get `continuation[label]` (e.g. B-PER -> I-PER), or
    the word's own label when no `continuation` is given.
    """
    labels: list[int] = []
    previous: int | None = None
    for word_id in word_ids:
        if word_id is None:
            labels.append(IGNORE_INDEX)
        elif word_id != previous:
            labels.append(word_labels[word_id])
        elif label_all_subwords and word_labels[word_id] != IGNORE_INDEX:
            label = word_labels[word_id]
            labels.append(continuation[label] if continuation is not None else label)
        else:
            labels.append(IGNORE_INDEX)
        previous = word_id
    return labels


def word_span_to_token_span(word_ids: Sequence[int | None], word_start: int, word_end: int) -> tuple[int, int] | None:
    """The token span `[start, end)` covering words `[word_start, word_end)`, or None if they have no tokens."""
    first = last = None
    for position, word_id in enumerate(word_ids):
        if word_id is not None and word_start <= word_id < word_end:
            if first is None:
                first = position
            last = position
    return None if first is None else (first, last + 1)
