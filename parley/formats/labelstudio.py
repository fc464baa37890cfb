"""Labeled articles as a Label Studio JSON export, and the labeling config that produces one.

A file is a JSON list of tasks. A task's `data` holds `text` and optionally `id`, `date`,
`source`, `url` (other data fields are ignored; without `id` the article is
`<file stem>-<task id>`). Only the task's first annotation is read (its first prediction when it has none):

- a `labels` region (`value`: start, end, text, labels=[one label]) is a mention when its
  label is a mention label and an event trigger when it is an event type; the region id
  becomes the mention's or the event's id;
- a `choices` result named `status` on a trigger region (same `id`) is the event's status;
- a `relation` labelled with a role joins a trigger region and a mention region (either
  direction) as an argument; one labelled `coref` goes from a pronoun to its antecedent
  (`direction: "left"` reverses it).

Offsets are code points of `text`, as in docs/schema.md; Label Studio exports code points too.
Errors name the file, the line where the task starts and the article id.
`labelstudio_config(schema)` writes the matching labeling config (`parley labelstudio-config`); the
shipped copy is configs/label-studio.xml, and a test keeps the two equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from parley.documents import Article, ArticleError, article_from_dict
from parley.schema import Schema

LABELS_NAME = "label"
TEXT_NAME = "text"
STATUS_NAME = "status"
COREF_LABEL = "coref"
METADATA_KEYS = ("id", "date", "source", "url")

# Colours only (tab20-like), cycled over mention labels and event types.
_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
)  # fmt: skip
_DATA_ID = re.compile(r'"data"\s*:\s*\{[^{}]*?"id"\s*:\s*("(?:[^"\\]|\\.)*")')


class _BadJSON(Exception):
    def __init__(self, message: str, line: int, start: int, end: int):
        super().__init__(message)
        # [start, end): the part of the file read before the error, where the article id may be.
        self.message, self.line, self.start, self.end = message, line, start, end


def read_labelstudio(json_path: str | Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield each task of a Label Studio JSON export as a validated `Article`, or its error."""
    path = Path(json_path)
    try:
        source = path.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark is not part of the JSON
    except UnicodeDecodeError as err:
        yield ArticleError(f"not valid UTF-8 ({err.reason})", str(path), None)
        return
    tasks = _iter_tasks(source)
    index = 0
    while True:
        try:
            line, task = next(tasks)
        except StopIteration:
            return
        except _BadJSON as err:
            # The rest of the file cannot be split into tasks; name what can be recovered.
            found = _DATA_ID.search(source, err.start, err.end)
            article_id = json.loads(found.group(1)) if found else None
            yield ArticleError(err.message, str(path), err.line, article_id)
            return
        index += 1
        try:
            yield _article_from_task(task, schema, path, line, index)
        except ArticleError as err:
            yield err


def _iter_tasks(source: str) -> Iterator[tuple[int, Any]]:
    """Yield (line where the task starts, task) for each element of the top-level JSON list."""
    decoder = json.JSONDecoder()
    pos, line = 0, 1

    def skip(at: int) -> int:
        while at < len(source) and source[at] in " \t\r\n\ufeff":
            at += 1
        return at

    def line_at(at: int) -> int:
        nonlocal pos, line
        line += source.count("\n", pos, at)
        pos = at
        return line

    at = skip(0)
    if at >= len(source) or source[at] != "[":
        raise _BadJSON("not a Label Studio export: expected a JSON list of tasks", line_at(at), at, at)
    at = skip(at + 1)
    if at < len(source) and source[at] == "]":
        return
    while True:
        start_line = line_at(at)
        try:
            task, end = decoder.raw_decode(source, at)
        except json.JSONDecodeError as err:
            message = f"not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
            raise _BadJSON(message, start_line, at, err.pos) from err
        yield start_line, task
        at = skip(end)
        if at < len(source) and source[at] == ",":
            at = skip(at + 1)
            continue
        if at < len(source) and source[at] == "]" and skip(at + 1) == len(source):
            return
        raise _BadJSON("not valid JSON (expected ',' or ']' after a task)", line_at(at), at, at)


def _article_from_task(task: Any, schema: Schema, path: Path, line: int, index: int) -> Article:
    data = task.get("data") if isinstance(task, dict) else None
    raw_id = data.get("id") if isinstance(data, dict) else None
    default_id = f"{path.stem}-{task.get('id', index) if isinstance(task, dict) else index}"
    article_id = default_id if raw_id is None else str(raw_id)

    def fail(message: str) -> ArticleError:
        return ArticleError(message, str(path), line, article_id)

    if not isinstance(data, dict):
        raise fail("a task must be an object with a 'data' object")
    # A task nobody annotated reads as its first prediction (parley suggest's pre-annotations, accepted as they are).
    annotations = task.get("annotations") or task.get("completions") or task.get("predictions")
    if not isinstance(annotations, list) or not annotations:
        raise fail("task has no annotation; export labeled tasks only")
    results = annotations[0].get("result") if isinstance(annotations[0], dict) else None
    if not isinstance(results, list):
        raise fail("the first annotation has no 'result' list")

    regions = _Regions()
    for k, result in enumerate(results):
        _add_result(regions, result, f"result[{k}]", schema, fail)
    _set_statuses(regions, fail)
    for relation in regions.relations:
        _add_relation(regions.by_id, relation, fail)

    record = {"id": raw_id if raw_id is not None else article_id, "text": data.get("text")}
    record.update({key: data.get(key) for key in METADATA_KEYS[1:]})
    record.update(entities=regions.entities, events=regions.events)
    return article_from_dict(record, schema, str(path), line)


@dataclass
class _Regions:
    """What a task's results define: mention and trigger regions (as JSONL records), status choices, relations."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    entities: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    relations: list[dict[str, Any]] = field(default_factory=list)


def _add_result(regions: _Regions, result: Any, where: str, schema: Schema, fail) -> None:
    """Record one element of an annotation's result list; relations wait until every region is known."""
    if not isinstance(result, dict):
        raise fail(f"{where} must be an object")
    kind = result.get("type")
    if kind == "relation":
        regions.relations.append(result)
        return
    rid = result.get("id")
    value = result.get("value")
    if not isinstance(rid, str) or not rid or not isinstance(value, dict):
        raise fail(f"{where} ({kind}) needs a string 'id' and a 'value' object")
    if kind == "labels":
        _add_region(regions, rid, value, schema, fail)
    elif kind == "choices":
        if result.get("from_name") != STATUS_NAME:
            raise fail(f"{where}: unknown choices {result.get('from_name')!r}; expected {STATUS_NAME!r}")
        choices = value.get("choices")
        if not isinstance(choices, list) or len(choices) != 1:
            raise fail(f"region {rid!r}: status must be exactly one choice, got {choices!r}")
        regions.statuses.setdefault(rid, []).extend(choices)
    else:
        raise fail(f"{where}: unsupported result type {kind!r}; expected labels, choices or relation")


def _add_region(regions: _Regions, rid: str, value: dict[str, Any], schema: Schema, fail) -> None:
    """A `labels` region: a mention when its label is a mention label, an event trigger when an event type."""
    labels = value.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        raise fail(f"region {rid!r} must carry exactly one label, got {labels!r}")
    if rid in regions.by_id:
        raise fail(f"duplicate region id {rid!r}")
    span = {k: value[k] for k in ("start", "end", "text") if k in value}
    label = labels[0]
    if label in schema.mention_labels:
        region = {"id": rid, **span, "label": label}
        regions.entities.append(region)
    elif label in schema.event_types:
        region = {"id": rid, "type": label, "status": None, "trigger": span, "arguments": []}
        regions.events.append(region)
    else:
        raise fail(
            f"region {rid!r}: unknown label {label!r}; expected a mention label "
            f"{list(schema.mention_labels)} or an event type {list(schema.event_types)}"
        )
    regions.by_id[rid] = region


def _set_statuses(regions: _Regions, fail) -> None:
    """Give each event its one status choice."""
    for rid, chosen in regions.statuses.items():
        if rid not in regions.by_id:
            raise fail(f"status {chosen!r} is set on region {rid!r}, which is not defined")
        if "type" not in regions.by_id[rid]:
            raise fail(f"status {chosen!r} is set on mention region {rid!r}; only event triggers take a status")
        if len(chosen) > 1:
            raise fail(f"region {rid!r} has more than one status: {chosen}")
        regions.by_id[rid]["status"] = chosen[0]
    for event in regions.events:
        if event["status"] is None:
            raise fail(f"event {event['id']!r} ({event['type']}) has no '{STATUS_NAME}' choice")


def _add_relation(by_id: dict[str, dict[str, Any]], relation: dict[str, Any], fail) -> None:
    """A coref (pronoun to antecedent) or an event argument (trigger and mention, either direction)."""
    ends = [relation.get("from_id"), relation.get("to_id")]
    for end in ends:
        if not isinstance(end, str) or end not in by_id:
            raise fail(f"relation {ends[0]!r} -> {ends[1]!r} refers to undefined region {end!r}")
    labels = relation.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        raise fail(f"relation {ends[0]!r} -> {ends[1]!r} must carry exactly one label, got {labels!r}")
    first, second = (by_id[end] for end in ends)
    if labels[0] == COREF_LABEL:
        if relation.get("direction") == "left":
            first, second = second, first
        if "label" not in first or "label" not in second:
            raise fail(f"coref relation {ends[0]!r} -> {ends[1]!r} must join two mention regions")
        if "coref" in first:
            raise fail(f"mention {first['id']!r} has more than one coref relation")
        first["coref"] = second["id"]
        return
    kinds = ("type" in first, "type" in second)
    if kinds not in ((True, False), (False, True)):
        raise fail(f"role relation {ends[0]!r} -> {ends[1]!r} must join an event trigger and a mention")
    event, mention = (first, second) if kinds[0] else (second, first)
    event["arguments"].append({"role": labels[0], "entity": mention["id"]})


def write_labelstudio(articles: Iterable[Article], path: str | Path) -> None:
    """Write articles as a Label Studio JSON export (importable as pre-annotated tasks)."""
    tasks = [_task(article) for article in articles]
    Path(path).write_text(json.dumps(tasks, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _task(article: Article) -> dict[str, Any]:
    data = {"text": article.text, **{key: getattr(article, key) for key in METADATA_KEYS}}
    return {"data": data, "annotations": [{"result": annotation_results(article)}]}


def annotation_results(article: Article) -> list[dict[str, Any]]:
    """An article's mentions, events and relations as the `result` list of a Label Studio annotation or prediction
    (region ids are the article's entity and event ids)."""

    def region(rid: str, start: int, end: int, label: str) -> dict[str, Any]:
        value = {"start": start, "end": end, "text": article.text[start:end], "labels": [label]}
        return {"id": rid, "from_name": LABELS_NAME, "to_name": TEXT_NAME, "type": "labels", "value": value}

    def relation(from_id: str, to_id: str, label: str) -> dict[str, Any]:
        return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [label]}

    results = [region(e.id, e.start, e.end, e.label) for e in article.entities]
    for event in article.events:
        trigger = event.trigger
        results.append(region(event.id, trigger.start, trigger.end, event.type))
        value = {"start": trigger.start, "end": trigger.end, "text": trigger.text, "choices": [event.status]}
        results.append(
            {"id": event.id, "from_name": STATUS_NAME, "to_name": TEXT_NAME, "type": "choices", "value": value}
        )
        results.extend(relation(event.id, argument.entity, argument.role) for argument in event.arguments)
    results.extend(relation(e.id, e.coref, COREF_LABEL) for e in article.entities if e.coref is not None)
    return results


def labelstudio_config(schema: Schema) -> str:
    """The Label Studio labeling config (XML) for a schema: labels, role relations, per-region status."""
    if COREF_LABEL in schema.roles:
        raise ValueError(f"a schema role may not be named {COREF_LABEL!r}: Label Studio uses it for coref")
    names = [*schema.mention_labels, *schema.event_types]
    labels = [
        f"    <Label value={quoteattr(name)} background={quoteattr(_COLOURS[i % len(_COLOURS)])}/>"
        for i, name in enumerate(names)
    ]
    relations = [f"    <Relation value={quoteattr(name)}/>" for name in [*schema.roles, COREF_LABEL]]
    choices = [f"      <Choice value={quoteattr(status)}/>" for status in schema.statuses]
    return "\n".join(
        [
            "<View>",
            "  <!-- Generated from configs/schema.yaml by parley.formats.labelstudio.labelstudio_config;",
            "       regenerate it rather than editing (a test compares the two). -->",
            '  <Header value="Mentions and event triggers"/>',
            f'  <Labels name="{LABELS_NAME}" toName="{TEXT_NAME}">',
            *labels,
            "  </Labels>",
            '  <Header value="Relations: trigger to mention, labelled with the role; coref: pronoun to antecedent"/>',
            "  <Relations>",
            *relations,
            "  </Relations>",
            f'  <Text name="{TEXT_NAME}" value="$text"/>',
            '  <View visibleWhen="region-selected">',
            '    <Header value="Status of the selected event trigger (mentions take none)"/>',
            f'    <Choices name="{STATUS_NAME}" toName="{TEXT_NAME}" perRegion="true" choice="single-radio">',
            *choices,
            "    </Choices>",
            "  </View>",
            "</View>",
            "",
        ]
    )
