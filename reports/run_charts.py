"""The Vega-Lite charts of `parley report --run` (through altair): loss and dev metrics per evaluation, per-type
F1 on dev and test, and the status confusion matrix."""

from __future__ import annotations

from collections import Counter
from typing import Any

import altair as alt

from parley.reports.event_charts import CHART_WIDTH
from parley.reports.palette import CATEGORY_COLOURS

# metrics.jsonl keys that are not dev metrics: the step, the epoch and what the training itself measured.
NOT_DEV_METRICS = ("step", "epoch", "loss")
SPLIT_COLOURS = {"dev": CATEGORY_COLOURS[0], "test": CATEGORY_COLOURS[1]}


def dev_metric_names(history: list[dict[str, Any]]) -> list[str]:
    """The dev metrics logged at evaluations, in the order the log first shows them."""
    names = dict.fromkeys(
        key
        for entry in history
        for key, value in entry.items()
        if isinstance(value, int | float) and key not in NOT_DEV_METRICS and not key.startswith("train_")
    )
    return list(names)


def _best_rule(best_step: int | None, label: str, height: int, at_top: bool) -> list[alt.Chart]:
    """A dashed line at the kept step, named left of it inside the plot (the kept step is often the last one),
    at the top or the bottom: wherever the chart's lines are not (losses fall, scores rise)."""
    if best_step is None:
        return []
    data = alt.Data(values=[{"step": best_step, "label": label}])
    rule = alt.Chart(data).mark_rule(color="#888", strokeDash=[4, 3]).encode(x="step:Q", tooltip=["label:N"])
    text = alt.Chart(data).mark_text(align="right", dx=-4, dy=8 if at_top else -8, color="#555", fontSize=11)
    return [rule, text.encode(x="step:Q", y=alt.value(0 if at_top else height), text="label:N")]


def loss_chart(history: list[dict[str, Any]], best_step: int | None, best_label: str) -> dict[str, Any]:
    """Training loss (the mean since the last evaluation) and dev loss at each evaluation step."""
    values = [
        {"step": entry["step"], "loss": name, "value": entry[key]}
        for entry in history
        for key, name in (("train_loss", "train (mean since the last evaluation)"), ("loss", "dev"))
        if isinstance(entry.get(key), int | float)
    ]
    lines = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title="training step"),
            y=alt.Y("value:Q", title="loss"),
            color=alt.Color("loss:N", title=None, legend=alt.Legend(orient="top", labelLimit=400)),
            tooltip=["step:Q", "loss:N", alt.Tooltip("value:Q", format=".4f")],
        )
    )
    chart = alt.layer(lines, *_best_rule(best_step, best_label, 260, at_top=True))
    return chart.properties(width=CHART_WIDTH - 260, height=260, title="Loss per evaluation").to_dict()


def dev_metrics_chart(history: list[dict[str, Any]], best_step: int | None, best_label: str) -> dict[str, Any]:
    """Every dev metric of metrics.jsonl against the step, one line each."""
    values = [
        {"step": entry["step"], "metric": name, "value": entry[name]}
        for entry in history
        for name in dev_metric_names(history)
        if isinstance(entry.get(name), int | float)
    ]
    lines = (
        alt.Chart(alt.Data(values=values))
        .mark_line(point=True)
        .encode(
            x=alt.X("step:Q", title="training step"),
            y=alt.Y("value:Q", title="dev score", scale=alt.Scale(zero=False)),
            color=alt.Color("metric:N", title=None, legend=alt.Legend(orient="top", columns=2, labelLimit=300)),
            tooltip=["step:Q", "metric:N", alt.Tooltip("value:Q", format=".4f")],
        )
    )
    chart = alt.layer(lines, *_best_rule(best_step, best_label, 300, at_top=False))
    return chart.properties(width=CHART_WIDTH - 260, height=300, title="Dev metrics per evaluation").to_dict()


def per_type_chart(scores: dict[str, dict[str, Any]], measures: dict[str, str]) -> dict[str, Any]:
    """F1 per event type, dev beside test, one panel per measure (trigger and argument classification)."""
    values = [
        {"type": event_type, "split": split, "measure": title, "f1": by_type[key]["f1"]}
        for split, split_scores in scores.items()
        for event_type, by_type in split_scores.get("per_type", {}).items()
        for key, title in measures.items()
        if key in by_type
    ]
    types = list(dict.fromkeys(value["type"] for value in values))
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(
            x=alt.X("type:N", sort=types, title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("split:N"),
            y=alt.Y("f1:Q", title="F1", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "split:N",
                scale=alt.Scale(domain=list(SPLIT_COLOURS), range=list(SPLIT_COLOURS.values())),
                legend=alt.Legend(title="split"),
            ),
            tooltip=["type:N", "split:N", "measure:N", alt.Tooltip("f1:Q", format=".3f")],
        )
        .properties(width=(CHART_WIDTH - 200) // max(len(measures), 1), height=240)
        .facet(column=alt.Column("measure:N", title=None, sort=list(measures.values())))
        .properties(title="F1 per event type")
    )
    return chart.to_dict()


def confusion_chart(counts: Counter[tuple[str, str]], order: list[str]) -> dict[str, Any]:
    """Gold status down, predicted status across, each cell's count printed on it."""
    values = [
        {"gold": gold, "predicted": pred, "events": counts.get((gold, pred), 0)}
        for gold in order
        for pred in order
        if (gold, pred) != (order[-1], order[-1])  # no event on either side is not an event
    ]
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("predicted:N", sort=order, title="predicted status", axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("gold:N", sort=order, title="gold status"),
    )
    most = max(counts.values(), default=1)
    shade = alt.Color("events:Q", scale=alt.Scale(scheme="blues", type="symlog", domain=[0, most]), legend=None)
    cells = base.mark_rect(stroke="#ddd").encode(
        color=alt.condition(alt.datum.events == 0, alt.value("white"), shade),
        tooltip=["gold:N", "predicted:N", alt.Tooltip("events:Q", format="d")],
    )
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("events:Q", format="d"),
        color=alt.condition(alt.datum.events > most / 3, alt.value("white"), alt.value("#222")),
    )
    size = 80 * len(order)
    return alt.layer(cells, text).properties(width=size, height=size * 0.6, title="Status confusion (test)").to_dict()
