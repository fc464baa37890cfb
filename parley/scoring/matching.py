"""One-to-one matching of overlapping spans, the rule every scored level uses."""

from __future__ import annotations

# A span with the label it is matched on: a mention label, an event type or a role.
Item = tuple[int, int, str]


def greedy_match(gold: list[Item], predicted: list[Item], same_key: bool) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs of overlapping spans, largest character overlap first."""
    candidates = []
    for g, (g_start, g_end, g_key) in enumerate(gold):
        for p, (p_start, p_end, p_key) in enumerate(predicted):
            overlap = min(g_end, p_end) - max(g_start, p_start)
            if overlap > 0 and (g_key == p_key or not same_key):
                candidates.append((-overlap, g_start, g_end, p_start, p_end, g, p))
    candidates.sort()
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs = []
    for *_, g, p in candidates:
        if g not in used_gold and p not in used_pred:
            used_gold.add(g)
            used_pred.add(p)
            pairs.append((g, p))
    return pairs
