"""Where the actor network's names go: beside their node, wherever they cover no other name and no node.

Vega-Lite places text where it is told and lets it overlap, so the positions are worked out here, in the
chart's pixels, most active actor first; a name that fits nowhere is left off (its node's tooltip still names it).
"""

from __future__ import annotations

import math
from typing import Any

FONT_PX = 11
CHAR_PX = 6.4  # the mean width of a character of an 11 px sans-serif face
GAP_PX = 2
NODE_AREA = (40, 700)  # the nodes' size range in square pixels, smallest to busiest


def node_radius(events: int, most: int) -> float:
    """A node's radius in pixels: its area grows with its events, from NODE_AREA's low end at zero."""
    low, high = NODE_AREA
    return math.sqrt((low + (high - low) * events / max(most, 1)) / math.pi)


def place_labels(nodes: list[dict[str, Any]], width: float, height: float, extent: float) -> int:
    """Set `label`, `lx` and `ly` (data units) on each of `nodes` (most important first); returns how many fit.

    The chart shows [-extent, extent] on both axes over `width` x `height` pixels.
    """
    to_px = (width / (2 * extent), height / (2 * extent))
    most = max((node["events"] for node in nodes), default=1)
    taken = []
    for node in nodes:
        cx, cy, r = (node["x"] + extent) * to_px[0], (extent - node["y"]) * to_px[1], node_radius(node["events"], most)
        taken.append((cx - r, cy - r, cx + r, cy + r))
    placed = 0
    for node, own in zip(nodes, list(taken), strict=True):
        node.update(label="", lx=node["x"], ly=node["y"])
        cx, cy = (own[0] + own[2]) / 2, (own[1] + own[3]) / 2
        r = (own[2] - own[0]) / 2
        w, h = len(node["actor"]) * CHAR_PX, FONT_PX + 2
        candidates = [
            (cx, cy - r - GAP_PX - h / 2),  # above, below, right, left
            (cx, cy + r + GAP_PX + h / 2),
            (cx + r + GAP_PX + w / 2, cy),
            (cx - r - GAP_PX - w / 2, cy),
        ]
        for lx, ly in candidates:
            box = (lx - w / 2, ly - h / 2, lx + w / 2, ly + h / 2)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_overlap(box, other) for other in taken if other is not own):
                taken.append(box)
                node.update(label=node["actor"], lx=lx / to_px[0] - extent, ly=extent - ly / to_px[1])
                placed += 1
                break
    return placed


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
