"""The colours of the reports: one per event type, status and role, the same in every chart and in the text."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Tableau 10 (what Vega uses by default), so the charts and the highlighted text agree with Vega's legends.
CATEGORY_COLOURS = (
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)


def colours(names: Iterable[str]) -> dict[str, str]:
    """A colour for each name, in order, cycling through the palette."""
    return {name: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, name in enumerate(names)}


def css_name(name: str) -> str:
    """A schema name as a CSS class fragment (names are words, but a user's schema may hold anything)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def ordered_names(known: Iterable[str], seen: Iterable[str]) -> list[str]:
    """The schema's names in its order, then any name the data holds that the schema lacks."""
    names = list(dict.fromkeys(known))
    return names + sorted({name for name in seen if name and name not in names})
