"""Text to model input, shared by the dataset builder and the extractor: windows over long sentences, the
special tokens a tokenizer puts around one, and word labels and spans mapped onto subword tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# The label id that PyTorch's cross-entropy skips.
IGNORE_INDEX = -100


def plan_windows(
    costs: Sequence[int], budget: int, stride: int, required: Sequence[tuple[int, int]] = ()
) -> tuple[list[tuple[int, int]], list[int]]:
    """Word windows `[start, end)` whose subword `costs` fit `budget`, covering every `required` word range.

    Windows slide with `stride` words of overlap; a required range that no
    sliding window holds whole gets a window of its own, grown around it. The
    second value lists the indices of required ranges too long for any window.
    """
    prefix = [0]
    for cost in costs:
        prefix.append(prefix[-1] + cost)

    def fits(start: int, end: int) -> bool:
        return prefix[end] - prefix[start] <= budget

    n = len(costs)
    windows: list[tuple[int, int]] = []
    if n and fits(0, n):
        windows.append((0, n))
    elif n:
        start = 0
        while True:
            end = start + 1
            while end < n and fits(start, end + 1):
                end += 1
            windows.append((start, end))
            if end >= n:
                break
            start = max(start + 1, end - stride)
    unfit: list[int] = []
    for index, (start, end) in enumerate(required):
        if any(w_start <= start and end <= w_end for w_start, w_end in windows):
            continue
        if not fits(start, end):
            unfit.append(index)
            continue
        # Grow alternately left and right so the range sits near the middle, with context on both sides.
        grown = True
        while grown:
            grown = False
            if start > 0 and fits(start - 1, end):
                start, grown = start - 1, True
            if end < n and fits(start, end + 1):
                end, grown = end + 1, True
        windows.append((start, end))
    return sorted(set(windows)), unfit


def special_token_frame(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special token ids a tokenizer puts before and after one sequence (BERT: [CLS], [SEP]; some: none).

    Read from the tokenizer's own encoding of a one-word probe, so the first content token's position is
    `len(before)` whatever the tokenizer's template; checked against `num_special_tokens_to_add`.
    """
    probe = tokenizer(["probe"], is_split_into_words=True, add_special_tokens=True)
    word_ids = probe.word_ids()
    content = [position for position, word in enumerate(word_ids) if word is not None]
    if not content:
        raise ValueError(f"{type(tokenizer).__name__}: a one-word probe encodes to no content token")
    ids = list(probe["input_ids"])
    before, after = ids[: content[0]], ids[content[-1] + 1 :]
    expected = tokenizer.num_special_tokens_to_add(pair=False)
    if len(before) + len(after) != expected or any(word is None for word in word_ids[content[0] : content[-1] + 1]):
        raise ValueError(
            f"{type(tokenizer).__name__}: special tokens inside a sequence are not supported "
            f"(expected {expected} around it, found {len(before)} before and {len(after)} after)"
        )
    return before, after


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
