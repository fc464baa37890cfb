"""The actor network: actors as nodes, dyads as edges coloured by event type and as wide as their count.

networkx lays the graph out; Vega-Lite (through altair) draws it, so hovering an edge or a node shows its
events' sentences and counts like any other chart. Only the busiest actors are drawn, so that the picture
stays readable; the page says how many were left out.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import altair as alt
import networkx as nx

from parley.reports.event_charts import CHART_WIDTH
from parley.reports.network_labels import NODE_AREA, place_labels

MAX_SENTENCES = 3
SENTENCE_CHARS = 160
SPREAD = 0.02  # how far apart parallel edges (one per type and direction) are drawn, in layout units
EXTENT = 1.1  # the chart shows [-EXTENT, EXTENT]: room for the outermost nodes' names
WIDTH, HEIGHT = CHART_WIDTH - 160, 620


def network_chart(
    dyad_rows: list[dict[str, Any]], colours: dict[str, str], max_actors: int = 40
) -> tuple[dict[str, Any] | None, str]:
    """The network chart's spec (None when no event has both a source and a target) and a note on what it shows."""
    edges = _edges(dyad_rows)
    if not edges:
        return None, "No event names both a source and a target actor, so there is no network to draw."
    weight = Counter()
    for (source, target, _), edge in edges.items():
        weight[source] += edge["events"]
        weight[target] += edge["events"]
    all_actors = len(weight)
    edges = _busiest(edges, weight, max_actors)
    kept = {actor for key in edges for actor in key[:2]}
    note = f"{len(kept)} actors and {len(edges)} edges (one per source, target and event type)"
    if all_actors > len(kept):
        note += f"; of the {all_actors} actors in dyads, those with the most events and their partners"
    positions = _layout(edges)
    ranked = sorted(positions, key=lambda actor: (-weight[actor], actor))
    node_values = [{"actor": a, "x": positions[a][0], "y": positions[a][1], "events": weight[a]} for a in ranked]
    named = place_labels(node_values, WIDTH, HEIGHT, EXTENT)
    if named < len(node_values):
        note += f"; {len(node_values) - named} name(s) that would overlap others are left to the tooltip"
    chart = _draw(_edge_values(edges, positions), node_values, colours)
    return (
        chart.to_dict(),
        note + ". Hover over an edge's middle for its sentences, over a node for its name and count.",
    )


def _busiest(edges: dict, weight: Counter, max_actors: int) -> dict:
    """The edges of the busiest actors: pairs taken busiest first while their actors number at most `max_actors`."""
    ranked = sorted(edges, key=lambda key: (-(weight[key[0]] + weight[key[1]]), -edges[key]["events"], key))
    kept: set[str] = set()
    for source, target, _ in ranked:
        if len(kept | {source, target}) <= max_actors:
            kept |= {source, target}
    return {key: edge for key, edge in edges.items() if key[0] in kept and key[1] in kept}


def _edges(dyad_rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(source, target, type) -> its event count and a few of its sentences."""
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in dyad_rows:
        source, target = row.get("source_name"), row.get("target_name")
        if not source or not target or source == target:
            continue
        edge = edges.setdefault((source, target, row["event_type"]), {"events": 0, "sentences": []})
        edge["events"] += 1
        sentence = " ".join(str(row.get("sentence") or "").split())
        if len(sentence) > SENTENCE_CHARS:
            sentence = sentence[: SENTENCE_CHARS - 1] + "…"
        if sentence and sentence not in edge["sentences"] and len(edge["sentences"]) < MAX_SENTENCES:
            edge["sentences"].append(sentence)
    return edges


def _layout(edges: dict[tuple[str, str, str], dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Node positions in [-1, 1]: a force layout of each connected part, the parts packed in rows, biggest first.

    One force layout of the whole graph would fling the small parts to the edges and crush the big one in the
    middle, labels on top of each other.
    """
    graph = nx.Graph()
    graph.add_edges_from((source, target) for source, target, _ in edges)
    parts = sorted((sorted(part) for part in nx.connected_components(graph)), key=lambda part: (-len(part), part))
    boxes = []
    for part in parts:
        # Kamada-Kawai spaces a part's nodes by their graph distance: hubs do not collapse onto their neighbours.
        spread = nx.kamada_kawai_layout(graph.subgraph(part)) if len(part) > 2 else nx.circular_layout(part)
        side = math.sqrt(len(part))
        boxes.append((side, _unit_square({node: tuple(map(float, spread[node])) for node in part})))
    row_width = max(max(side for side, _ in boxes), 1.15 * math.sqrt(sum(side**2 for side, _ in boxes)))
    positions, x, y, row_height = {}, 0.0, 0.0, 0.0
    for side, unit in boxes:
        if x + side > row_width + 1e-9:
            x, y, row_height = 0.0, y + row_height, 0.0
        # A part keeps a margin of a fifth of its box (at least a node's width) so neighbours do not touch.
        margin = max(0.2 * side, 0.35)
        positions.update(
            {
                n: (x + margin / 2 + px * (side - margin / 2), -(y + margin / 2 + py * (side - margin / 2)))
                for n, (px, py) in unit.items()
            }
        )
        x, row_height = x + side + margin, max(row_height, side + margin)
    return _unit_square(positions, low=-1.0)


def _unit_square(points: dict[str, tuple[float, float]], low: float = 0.0) -> dict[str, tuple[float, float]]:
    """The points stretched to fill [low, 1] on each axis (a single point sits in the middle)."""
    xs, ys = [p[0] for p in points.values()], [p[1] for p in points.values()]

    def stretch(value: float, values: list[float]) -> float:
        span = max(values) - min(values)
        return (low + 1) / 2 if span == 0 else low + (1 - low) * (value - min(values)) / span

    return {n: (stretch(x, xs), stretch(y, ys)) for n, (x, y) in points.items()}


def _edge_values(edges: dict, positions: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """One record per edge: its two ends, shifted sideways so that a pair's several edges lie side by side."""
    siblings: dict[frozenset, list[tuple]] = {}
    for key in sorted(edges):
        siblings.setdefault(frozenset(key[:2]), []).append(key)
    values = []
    for keys in siblings.values():
        for i, key in enumerate(keys):
            (x1, y1), (x2, y2) = positions[key[0]], positions[key[1]]
            # The sideways direction is the pair's, not the edge's: A -> B and B -> A shift to different sides.
            (ax, ay), (bx, by) = (positions[actor] for actor in sorted(key[:2]))
            length = math.hypot(bx - ax, by - ay) or 1.0
            shift = (i - (len(keys) - 1) / 2) * SPREAD
            dx, dy = -(by - ay) / length * shift, (bx - ax) / length * shift
            edge = edges[key]
            # One field: a field per sentence would read "undefined" on edges with fewer sentences.
            sentences = " ".join(f"({n + 1}) {s}" for n, s in enumerate(edge["sentences"]))
            values.append(
                {
                    "dyad": f"{key[0]} → {key[1]}",
                    "type": key[2],
                    "events": edge["events"],
                    "x": x1 + dx,
                    "y": y1 + dy,
                    "x2": x2 + dx,
                    "y2": y2 + dy,
                    "mx": (x1 + x2) / 2 + dx,
                    "my": (y1 + y2) / 2 + dy,
                    "sentences": sentences,
                }
            )
    return values


def _draw(edge_values: list[dict], node_values: list[dict], colours: dict[str, str]) -> alt.LayerChart:
    lines, handles = _edge_layers(edge_values, colours)
    node_data = alt.Data(values=node_values)
    most = max(node["events"] for node in node_values)
    nodes = (
        alt.Chart(node_data)
        .mark_circle(color="#3d3d3d", opacity=0.9, stroke="white", strokeWidth=1)
        .encode(
            x=_axis("x", alt.X),
            y=_axis("y", alt.Y),
            size=alt.Size("events:Q", scale=alt.Scale(domain=[0, most], range=list(NODE_AREA)), legend=None),
            tooltip=[alt.Tooltip("actor:N"), alt.Tooltip("events:Q", title="events (as source or target)")],
        )
    )
    names = {"x": _axis("lx", alt.X), "y": _axis("ly", alt.Y), "text": "label:N"}
    halo = alt.Chart(node_data).mark_text(fontSize=11, stroke="white", strokeWidth=3, opacity=0.8).encode(**names)
    labels = alt.Chart(node_data).mark_text(fontSize=11, color="#111").encode(**names)
    return (
        alt.layer(lines, handles, nodes, halo, labels)
        .properties(width=WIDTH, height=HEIGHT, title="Actor network (source → target, by event type)")
        .configure_view(stroke=None)
    )


def _axis(field: str, channel: type) -> Any:
    """A position channel over the layout's square, with no axis drawn."""
    return channel(f"{field}:Q", axis=None, scale=alt.Scale(domain=[-EXTENT, EXTENT], nice=False, zero=False))


def _edge_layers(edge_values: list[dict], colours: dict[str, str]) -> tuple[alt.Chart, alt.Chart]:
    """The edges as lines, and a hover handle at each one's middle (thin lines are hard to point at)."""
    colour = alt.Color(
        "type:N",
        scale=alt.Scale(domain=list(colours), range=list(colours.values())),
        legend=alt.Legend(title="event type"),
    )
    tooltip = [alt.Tooltip("dyad:N"), alt.Tooltip("type:N"), alt.Tooltip("events:Q"), alt.Tooltip("sentences:N")]
    edge_data = alt.Data(values=edge_values)
    counts = sorted({edge["events"] for edge in edge_values})
    widths = sorted({counts[0], counts[len(counts) // 2], counts[-1]})  # whole numbers, not Vega's 1.2, 1.4 ...
    width = alt.StrokeWidth(
        "events:Q", scale=alt.Scale(range=[1.2, 9]), legend=alt.Legend(title="events", values=widths, format="d")
    )
    lines = (
        alt.Chart(edge_data)
        .mark_rule(opacity=0.65, strokeCap="round")
        .encode(
            x=_axis("x", alt.X),
            y=_axis("y", alt.Y),
            x2="x2:Q",
            y2="y2:Q",
            color=colour,
            strokeWidth=width,
            tooltip=tooltip,
        )
    )
    handles = (
        alt.Chart(edge_data)
        .mark_circle(size=220, opacity=0.02)
        .encode(x=_axis("mx", alt.X), y=_axis("my", alt.Y), color=colour, tooltip=tooltip)
    )
    return lines, handles
