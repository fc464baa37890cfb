"""`parley report --run RUN_DIR`: a training run on one page: loss and dev metrics per evaluation
(metrics.jsonl), scores and per-type F1 on dev and test (scores_dev.json, scores_test.json), the status
confusion matrix (the test split run through the run's model now) and the config used (run_config.json).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parley.reports.page import Page, Section, html_table, vega_javascript
from parley.reports.palette import ordered_names
from parley.reports.run_charts import confusion_chart, dev_metrics_chart, loss_chart, per_type_chart
from parley.schema import load_schema

SPLITS = ("dev", "test")
# scores_*.json measures with P/R/F1, and what the page calls them.
MEASURES = {
    "mentions": "mentions (BIO)",
    "mentions_exact": "mentions (exact spans)",
    "trigger_id": "trigger identification",
    "trigger_cls": "trigger classification",
    "argument_id": "argument identification",
    "argument_cls": "argument classification",
}
PER_TYPE_MEASURES = {"trigger_cls": "trigger classification F1", "argument_cls": "argument classification F1"}


@dataclass
class Run:
    """What a finished `parley train` run left in its folder (each part may be missing)."""

    folder: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    splits: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class RunReportSummary:
    path: Path
    bytes: int
    notes: list[str]


def read_run(run_dir: str | Path) -> Run:
    """The run's metrics, scores, config and splits; a folder with none of them is refused."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such run folder")
    run = Run(folder)
    metrics = folder / "metrics.jsonl"
    if metrics.is_file():
        for number, line in enumerate(metrics.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                entry = _json(line, f"{metrics}:{number}")
                if not isinstance(entry, dict) or not isinstance(entry.get("step"), int):
                    raise ValueError(f"{metrics}:{number}: expected an object with an integer step")
                run.history.append(entry)
    for split in SPLITS:
        path = folder / f"scores_{split}.json"
        if path.is_file():
            run.scores[split] = _json(path.read_text(encoding="utf-8"), str(path))
    if (folder / "run_config.json").is_file():
        run.config = _json((folder / "run_config.json").read_text(encoding="utf-8"), str(folder / "run_config.json"))
    if (folder / "splits.json").is_file():
        run.splits = _json((folder / "splits.json").read_text(encoding="utf-8"), str(folder / "splits.json"))
    if not (run.history or run.scores or run.config):
        raise ValueError(f"{folder}: not a parley train run (no metrics.jsonl, scores_*.json or run_config.json)")
    return run


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{where}: not valid JSON: {err.msg}") from err


def write_run_report(
    run_dir: str | Path, output: str | Path, confusion: bool = True, device: str | None = None
) -> RunReportSummary:
    """Write the run's HTML report to `output`; `confusion=False` skips running the model over the test split."""
    run = read_run(run_dir)
    notes = []
    matrix, confusion_note = None, "Left out (--no-confusion)."
    if confusion:
        from parley.reports.status_confusion import run_status_confusion

        try:
            matrix = run_status_confusion(run.folder, "test", device=device)
            confusion_note = (
                "Computed now: the run's test split (splits.json) read from its data paths (run_config.json) and "
                "run through its model; events matched as scoring matches them (same trigger span and type)."
            )
        except (OSError, ValueError) as err:
            confusion_note = f"Not computed: {err}"
            notes.append(f"no status confusion matrix: {err}")
    text = run_page(run, matrix, confusion_note).encode("utf-8")
    Path(output).write_bytes(text)
    return RunReportSummary(Path(output), len(text), notes)


def run_page(run: Run, matrix: Any, confusion_note: str) -> str:
    """The run report's HTML."""
    page = Page(f"parley run: {run.folder.name}")
    sizes = ", ".join(f"{split} {len(ids)} articles" for split, ids in run.splits.items())
    page.intro = f'<p class="note">{html.escape(str(run.folder))}{" · " + sizes if sizes else ""}</p>'
    page.sections = [
        Section("training", "Training", _training_body(page, run)),
        Section("scores", "Scores on dev and test", _scores_body(page, run)),
        Section("confusion", "Status confusion matrix (test)", _confusion_body(page, matrix, confusion_note)),
        Section("config", "Config used", _config_body(run)),
    ]
    return page.render(vega_javascript())


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _training_body(page: Page, run: Run) -> str:
    if not run.history:
        return _note("The run has no metrics.jsonl.")
    selector = (run.config or {}).get("train", {}).get("select_best_by")
    best = _best_entry(run.history, selector)
    label = f"kept model: best {selector}" if best else ""
    best_step = best["step"] if best else None
    body = page.chart("loss", loss_chart(run.history, best_step, label))
    body += page.chart("dev-metrics", dev_metrics_chart(run.history, best_step, label))
    if best:
        body += _note(f"The model folder holds step {best_step} (epoch {best.get('epoch')}): the best {selector}.")
    return body


def _best_entry(history: list[dict[str, Any]], selector: str | None) -> dict[str, Any] | None:
    """The evaluation the trainer kept: the first with the highest `selector`, as it saves on strict improvement."""
    scored = [entry for entry in history if isinstance(entry.get(selector), int | float)]
    return max(scored, key=lambda entry: entry[selector]) if scored else None


def _scores_body(page: Page, run: Run) -> str:
    if not run.scores:
        return _note("The run has no scores_dev.json or scores_test.json.")
    splits = list(run.scores)
    rows = []
    for key, title in MEASURES.items():
        rows.append([title, *(_prf(run.scores[split].get(key)) for split in splits)])
    statuses = [run.scores[split].get("status") or {} for split in splits]
    rows.append(["status accuracy", *(_accuracy(status) for status in statuses)])
    rows.append(["articles", *(str(run.scores[split].get("articles", "")) for split in splits)])
    overall = html_table(["measure", *(f"{split}: P / R / F1" for split in splits)], rows)
    chart = page.chart("per-type", per_type_chart(run.scores, PER_TYPE_MEASURES))
    types = list(dict.fromkeys(t for split in splits for t in run.scores[split].get("per_type", {})))
    header = ["type"] + [f"{split} {title}" for split in splits for title in PER_TYPE_MEASURES.values()]
    per_type = [
        [t] + [_f1(run.scores[s].get("per_type", {}).get(t, {}).get(k)) for s in splits for k in PER_TYPE_MEASURES]
        for t in types
    ]
    numeric = set(range(1, len(header)))
    return overall + chart + html_table(header, per_type, numeric)


def _prf(score: dict[str, Any] | None) -> str:
    if not score:
        return ""
    return f"{score['precision']:.3f} / {score['recall']:.3f} / {score['f1']:.3f}"


def _f1(score: dict[str, Any] | None) -> str:
    return (
        ""
        if not score
        else f"{score['f1']:.3f} ({score.get('tp', 0)} tp, {score.get('fp', 0)} fp, {score.get('fn', 0)} fn)"
    )


def _accuracy(status: dict[str, Any]) -> str:
    if not status:
        return ""
    return f"{status.get('accuracy', 0):.3f} ({status.get('correct')} of {status.get('total')})"


def _confusion_body(page: Page, matrix: Any, note: str) -> str:
    if not matrix:
        return _note(note)
    from parley.reports.status_confusion import NO_EVENT

    seen = {status for pair in matrix for status in pair if status != NO_EVENT}
    order = [*ordered_names((s for s in load_schema().statuses if s in seen), seen), NO_EVENT]
    matched = sum(n for (gold, pred), n in matrix.items() if NO_EVENT not in (gold, pred))
    agree = sum(n for (gold, pred), n in matrix.items() if gold == pred and gold != NO_EVENT)
    summary = f"{agree} of {matched} matched events keep their status ({agree / max(matched, 1):.3f})."
    return page.chart("confusion", confusion_chart(matrix, order)) + _note(
        f"{summary} Row {NO_EVENT}: events the model made up; column {NO_EVENT}: events it missed. {note}"
    )


def _config_body(run: Run) -> str:
    if run.config is None:
        return _note("The run has no run_config.json.")
    rows = [[key, json.dumps(value)] for key, value in _flatten(run.config)]
    return html_table(["setting", "value"], rows)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as (dotted key, value) pairs; lists stay whole."""
    if not isinstance(value, dict):
        return [(prefix, value)]
    pairs = []
    for key, inner in value.items():
        pairs += _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    return pairs
