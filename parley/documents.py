"""Articles in memory: `Document` (text and what is known about it) for any input, `Article` (a `Document`
with its labeled mentions and events, the validated form of docs/schema.md section 6) for labeled input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from parley.schema import Schema


class ArticleError(ValueError):
    """A labeled article that breaks the schema; names the file, line and article id."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None, article_id: str | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.article_id = article_id
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.path is not None:
            where.append(f"{self.path}:{self.line}" if self.line is not None else str(self.path))
        if self.article_id is not None:
            where.append(f"article {self.article_id!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class Entity:
    """A mention span (PER, ORG, GPE, LOC, MEETING, TIME, ...)."""

    id: str
    start: int
    end: int
    label: str
    text: str
    coref: str | None = None


@dataclass
class Trigger:
    start: int
    end: int
    text: str


@dataclass
class Argument:
    role: str
    entity: str


@dataclass
class LabeledEvent:
    id: str
    type: str
    status: str
    trigger: Trigger
    arguments: list[Argument] = field(default_factory=list)


DOCUMENT_FIELDS = ("id", "text", "date", "source", "url")
ACCEPTED = "a text (str), an article dict with a 'text' string, or an Article"


@dataclass
class Document:
    """One article to read: its text, id and publication facts, labeled or not."""

    id: str | None
    text: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    # The fields of an input record beyond DOCUMENT_FIELDS: carried along, never interpreted.
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Document:
        """The document of an article dict (its 'text' a string; other fields as given)."""
        return cls(
            id=record.get("id"),
            text=record["text"],
            date=record.get("date"),
            source=record.get("source"),
            url=record.get("url"),
            metadata={key: value for key, value in record.items() if key not in DOCUMENT_FIELDS},
        )


def is_one_document(x: Any) -> bool:
    """Whether `x` is one article (a text, an article dict, a Document) rather than a collection of them."""
    return isinstance(x, str | dict | Document)


def as_document(item: Any, position: int | None = None) -> Document:
    """A text, an article dict or a Document as a `Document`; TypeError naming the item and what is accepted."""
    where = "" if position is None else f"item {position}: "
    if isinstance(item, Document):
        return item
    if isinstance(item, str):
        return Document(id=None, text=item)
    if isinstance(item, dict):
        if not isinstance(item.get("text"), str):
            raise TypeError(
                f"{where}article {item.get('id')!r}: 'text' must be a string, got {type(item.get('text')).__name__}; "
                f"expected {ACCEPTED}"
            )
        return Document.from_dict(item)
    raise TypeError(f"{where}got {type(item).__name__}; expected {ACCEPTED}")


def as_documents(x: Any) -> list[Document]:
    """The documents of a list (or other iterable) of texts, article dicts or Documents."""
    if is_one_document(x) or isinstance(x, bytes | bytearray) or not isinstance(x, Iterable):
        raise TypeError(
            f"expected a list of articles ({ACCEPTED} each), got {type(x).__name__}"
            + ("; decode bytes to str first" if isinstance(x, bytes | bytearray) else "")
        )
    return [as_document(item, n) for n, item in enumerate(x)]


@dataclass
class Article(Document):
    """A labeled article: a `Document` with its mentions and events."""

    id: str
    entities: list[Entity] = field(default_factory=list)
    events: list[LabeledEvent] = field(default_factory=list)
    # "file:line" the article was read from, for error messages; not part of the record.
    origin: str | None = field(default=None, compare=False, repr=False)

    def entity(self, entity_id: str) -> Entity:
        """The mention with this id."""
        for entity in self.entities:
            if entity.id == entity_id:
                return entity
        raise KeyError(entity_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSONL record of this article (docs/schema.md section 6)."""
        entities = []
        for e in self.entities:
            record: dict[str, Any] = {"id": e.id, "start": e.start, "end": e.end, "label": e.label, "text": e.text}
            if e.coref is not None:
                record["coref"] = e.coref
            entities.append(record)
        events = [
            {
                "id": ev.id,
                "type": ev.type,
                "status": ev.status,
                "trigger": {"start": ev.trigger.start, "end": ev.trigger.end, "text": ev.trigger.text},
                "arguments": [{"role": a.role, "entity": a.entity} for a in ev.arguments],
            }
            for ev in self.events
        ]
        return {
            "id": self.id,
            "text": self.text,
            "date": self.date,
            "source": self.source,
            "url": self.url,
            "entities": entities,
            "events": events,
        }


def article_from_dict(raw: Any, schema: Schema, path: str | None = None, line: int | None = None) -> Article:
    """Validate one JSONL record against the schema and return it as an `Article`."""
    article_id = raw.get("id") if isinstance(raw, dict) else None

    def fail(message: str) -> ArticleError:
        return ArticleError(message, path, line, None if article_id is None else str(article_id))

    text = _checked_header(raw, fail)
    seen_ids: set[str] = set()
    entities = _entities(raw, text, schema, seen_ids, fail)
    entity_by_id = {e.id: e for e in entities}
    events = [
        _event(item, i, text, schema, entity_by_id, seen_ids, fail)
        for i, item in enumerate(_list(raw.get("events"), "events", fail))
    ]
    return Article(
        id=article_id,
        text=text,
        date=raw.get("date"),
        source=raw.get("source"),
        url=raw.get("url"),
        entities=entities,
        events=events,
        origin=None if path is None else (f"{path}:{line}" if line is not None else str(path)),
    )


def _checked_header(raw: Any, fail) -> str:
    """The text of a record whose id, text, date, source and url have the right types."""
    if not isinstance(raw, dict):
        raise fail(f"expected a JSON object, got {type(raw).__name__}")
    known = {"id", "text", "date", "source", "url", "entities", "events"}
    unknown = set(raw) - known
    if unknown:
        raise fail(f"unknown field(s) {sorted(unknown)}; expected {sorted(known)}")
    if not isinstance(raw.get("id"), str) or not raw["id"]:
        raise fail("'id' must be a non-empty string")
    text = raw.get("text")
    if not isinstance(text, str):
        raise fail("'text' must be a string")
    for key in ("date", "source", "url"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise fail(f"'{key}' must be a string or null")
    return text


def _entities(raw: dict, text: str, schema: Schema, seen_ids: set[str], fail) -> list[Entity]:
    """The mentions of a record, each checked, and their coreference links."""
    entities: list[Entity] = []
    for i, item in enumerate(_list(raw.get("entities"), "entities", fail)):
        where = f"entities[{i}]"
        if not isinstance(item, dict):
            raise fail(f"{where} must be an object")
        eid = _id(item, where, seen_ids, fail)
        start, end = _span(item, text, f"{where} ({eid})", fail)
        label = item.get("label")
        if label not in schema.mention_labels:
            raise fail(
                f"{where} ({eid}): unknown mention label {label!r}; expected one of {list(schema.mention_labels)}"
            )
        coref = item.get("coref")
        if coref is not None and not isinstance(coref, str):
            raise fail(f"{where} ({eid}): 'coref' must be a mention id")
        entities.append(Entity(eid, start, end, label, text[start:end], coref))
    known = {e.id for e in entities}
    for e in entities:
        if e.coref is not None and e.coref not in known:
            raise fail(f"mention {e.id}: coref points to unknown mention {e.coref!r}")
        if e.coref == e.id:
            raise fail(f"mention {e.id}: coref points to itself")
    return entities


def _event(
    item: Any, i: int, text: str, schema: Schema, entity_by_id: dict[str, Entity], seen_ids: set[str], fail
) -> LabeledEvent:
    """One event of a record, checked against the schema and the record's mentions."""
    where = f"events[{i}]"
    if not isinstance(item, dict):
        raise fail(f"{where} must be an object")
    evid = _id(item, where, seen_ids, fail)
    etype = item.get("type")
    # isinstance first: a list or an object from the JSON cannot even be looked up in the schema.
    if not isinstance(etype, str) or etype not in schema.event_types:
        raise fail(f"event {evid}: unknown event type {etype!r}; expected one of {list(schema.event_types)}")
    status = item.get("status")
    if status not in schema.statuses:
        raise fail(f"event {evid}: unknown status {status!r}; expected one of {list(schema.statuses)}")
    trigger = item.get("trigger")
    if not isinstance(trigger, dict):
        raise fail(f"event {evid}: 'trigger' must be an object with start and end")
    t_start, t_end = _span(trigger, text, f"event {evid} trigger", fail)
    arguments = _arguments(item, evid, schema, entity_by_id, fail)
    return LabeledEvent(evid, etype, status, Trigger(t_start, t_end, text[t_start:t_end]), arguments)


def _arguments(item: dict, evid: str, schema: Schema, entity_by_id: dict[str, Entity], fail) -> list[Argument]:
    """The arguments of one event: known roles pointing at mentions the role takes, each once."""
    arguments: list[Argument] = []
    for j, arg in enumerate(_list(item.get("arguments"), f"event {evid} arguments", fail)):
        # "score" is what predictions add (docs/schema.md section 6); labeled data has none.
        if not isinstance(arg, dict) or set(arg) - {"role", "entity", "score"}:
            raise fail(f"event {evid} arguments[{j}] must be an object with 'role', 'entity' (and 'score')")
        role, target = arg.get("role"), arg.get("entity")
        if not isinstance(role, str) or role not in schema.roles:
            raise fail(f"event {evid}: unknown role {role!r}; expected one of {list(schema.roles)}")
        if not isinstance(target, str) or target not in entity_by_id:
            raise fail(f"event {evid}: argument {role} points to unknown mention {target!r}")
        label = entity_by_id[target].label
        if not schema.allows(role, label):
            raise fail(
                f"event {evid}: role {role!r} does not take a {label} mention ({target}); "
                f"allowed: {list(schema.roles[role].labels)}"
            )
        if any(a.role == role and a.entity == target for a in arguments):
            raise fail(f"event {evid}: argument {role}={target} is listed twice")
        arguments.append(Argument(role, target))
    return arguments


def _list(value: Any, where: str, fail) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(f"'{where}' must be a list")
    return value


def _id(item: dict, where: str, seen: set[str], fail) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise fail(f"{where}: 'id' must be a non-empty string")
    if value in seen:
        raise fail(f"{where}: duplicate id {value!r}")
    seen.add(value)
    return value


def _span(item: dict, text: str, where: str, fail) -> tuple[int, int]:
    start, end = item.get("start"), item.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise fail(f"{where}: 'start' and 'end' must be integers")
    if not 0 <= start < end <= len(text):
        raise fail(f"{where}: span [{start}, {end}) lies outside the text (length {len(text)}) or is empty")
    expected = item.get("text")
    if expected is not None and expected != text[start:end]:
        raise fail(f"{where}: span text {expected!r} does not match text[{start}:{end}] = {text[start:end]!r}")
    return start, end
