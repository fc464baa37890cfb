"""Windows over the words of a sentence too long for the encoder (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence


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
