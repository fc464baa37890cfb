"""Text to model input, shared by the dataset builder and the extractor: windows over long sentences and
word labels and spans mapped onto subword tokens (pure functions, no tokenizer needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
