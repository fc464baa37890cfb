"""Labeled articles as brat standoff files: `<id>.txt` (the text) beside `<id>.ann` (the labels).

One article per pair. What the `.ann` holds, line by line (tab-separated, as brat writes it):

    #1  ParleyArticle #1    {"id": "seed-003", "date": "2017-01-27", "source": "AFP", "url": null}
    T1  PER 120 131 Riyad Hijab
    T2  MEETING 190 204 Friday's talks
    T3  DECLINE 212 220 declined
    E1  DECLINE:T3 agent:T1 meeting:T2
    A1  Status E1 asserted
    T4  PER 240 242 he
    R1  Coref Arg1:T4 Arg2:T1
    #2  ParleyId T5 "nk"

- `T` lines are mentions when their type is a mention label and event triggers when it is an event
  type; offsets count code points of the `.txt`. A span that crosses a line break is written as
  brat writes it, one fragment per line (`T6 ORG 10 16;17 26`, text joined by a space); fragments
  separated by anything but line breaks are refused, and a span that begins or ends at a line
  break cannot be written.
- `E` lines are events, `TYPE:trigger role:Tid ...`; a repeated role is numbered the brat way
  (`agent:T1 agent2:T4`) and read back as the role.
- `A` lines `Status Eid value` give each event its status (exactly one per event).
- Coref is a relation `Coref Arg1:pronoun Arg2:antecedent`, which brat draws as an arc.
- Article metadata lives in a `#` comment of type `ParleyArticle` whose target is the comment
  itself: brat parses it, finds the target defined, and shows nothing. Its text is one JSON
  object with `id`, `date`, `source`, `url`. Without it the id is the file name.
- Entity or event ids that brat cannot hold (anything but `T<n>` / `E<n>`) are renumbered and
  kept in a `ParleyId` comment on the annotation (a JSON string), which brat deletes with it.
- Other `#` comments (brat's AnnotatorNotes) are allowed and ignored.

brat reads the `.txt` with universal newlines, so an article whose text holds `\\r` cannot be
written (its offsets would shift); normalise line ends first.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parley.documents import Article, ArticleError, article_from_dict
from parley.schema import Schema

META_TYPE = "ParleyArticle"
ID_NOTE_TYPE = "ParleyId"
STATUS_ATTRIBUTE = "Status"
COREF_RELATION = "Coref"
METADATA_KEYS = ("id", "date", "source", "url")

# Characters at which a line-oriented reader (brat's .ann parser) breaks a line; `\r` is refused.
_LINE_BREAKS = frozenset("\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_BRAT_T_ID = re.compile(r"T[0-9]+")
_BRAT_E_ID = re.compile(r"E[0-9]+")
# brat's own id rule: letters (or # and letters), ASCII digits, any suffix.
_ANN_ID = re.compile(r"(?:[A-Za-z]+|#[A-Za-z]*)[0-9]+\S*")


@dataclass
class _TextBound:
    id: str
    type: str
    start: int
    end: int
    line: int


@dataclass
class _Event:
    id: str
    type: str
    trigger: str
    arguments: list[tuple[str, str]]
    line: int


@dataclass
class _Parsed:
    """The annotations of one .ann file, each with the line it came from."""

    textbounds: dict[str, _TextBound] = field(default_factory=dict)
    events: dict[str, _Event] = field(default_factory=dict)
    statuses: dict[str, tuple[str, int]] = field(default_factory=dict)
    corefs: dict[str, tuple[str, int]] = field(default_factory=dict)
    id_notes: dict[str, tuple[str, int]] = field(default_factory=dict)
    notes: list[tuple[str, int]] = field(default_factory=list)
    meta: dict[str, Any] | None = None
    meta_line: int | None = None
    line_of: dict[str, int] = field(default_factory=dict)


def read_brat(ann_path: str | Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield the article of a brat `.ann` file and the `.txt` beside it, or the error that stopped it."""
    ann_path = Path(ann_path)
    try:
        yield _read_pair(ann_path, schema)
    except ArticleError as err:
        yield err


def _read_pair(ann_path: Path, schema: Schema) -> Article:
    raw = ann_path.read_bytes().removeprefix(codecs.BOM_UTF8)  # a byte-order mark is not an annotation line
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ArticleError(f"not valid UTF-8 ({err.reason})", str(ann_path), line, ann_path.stem) from err
    # brat reads with universal newlines; a CRLF .ann is fine.
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    article_id = _prescan_id(lines) or ann_path.stem

    def fail(message: str, line: int | None) -> ArticleError:
        return ArticleError(message, str(ann_path), line, article_id)

    txt_path = ann_path.with_suffix(".txt")
    if not txt_path.is_file():
        raise fail(f"missing text file {txt_path.name} beside the .ann", None)
    try:
        text = txt_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise fail(f"{txt_path.name} is not valid UTF-8 ({err.reason})", None) from err

    parsed = _parse_lines(lines, text, schema, fail)
    record = _resolve(parsed, text, schema, fail, article_id)
    try:
        return article_from_dict(record, schema, str(ann_path), parsed.meta_line)
    except ArticleError as err:
        # The shared checks name ids, not lines: point at the line of the first id they name.
        named = (parsed.line_of.get(token) for token in re.findall(r"[\w.-]+", err.message))
        line = next((n for n in named if n is not None), parsed.meta_line)
        raise ArticleError(err.message, str(ann_path), line, article_id) from err


def _prescan_id(lines: list[str]) -> str | None:
    """The article id of the metadata comment, so errors on earlier lines can name it."""
    for line in lines:
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[0].startswith("#") and parts[1].split(" ")[0] == META_TYPE:
            try:
                meta = json.loads(parts[2])
            except json.JSONDecodeError:
                return None
            value = meta.get("id") if isinstance(meta, dict) else None
            return value if isinstance(value, str) and value else None
    return None


def _parse_lines(lines: list[str], text: str, schema: Schema, fail) -> _Parsed:
    parsed = _Parsed()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        ann_id, sep, rest = line.partition("\t")
        if ann_id == "*":
            raise fail(
                "unsupported annotation '*' (Equiv): write coref as a 'Coref Arg1:Tid Arg2:Tid' relation", number
            )
        if not sep or not _ANN_ID.fullmatch(ann_id):
            raise fail(f"malformed line {line!r}: expected 'ID<TAB>...' with an id like T1, E1, A1, R1 or #1", number)
        if ann_id in parsed.line_of:
            raise fail(f"duplicate id {ann_id} (first on line {parsed.line_of[ann_id]})", number)
        parsed.line_of[ann_id] = number
        kind = ann_id[0]
        if kind == "T":
            _parse_textbound(ann_id, rest, number, text, schema, parsed, fail)
        elif kind == "E":
            _parse_event(ann_id, rest, number, schema, parsed, fail)
        elif kind == "A":
            _parse_attribute(ann_id, rest, number, schema, parsed, fail)
        elif kind == "R":
            _parse_relation(ann_id, rest, number, parsed, fail)
        elif kind == "#":
            _parse_comment(ann_id, rest, number, parsed, fail)
        else:
            raise fail(f"unsupported annotation {ann_id}: parley reads T, E, A (Status), R (Coref) and # lines", number)
    return parsed


def _parse_textbound(ann_id, rest, number, text, schema, parsed: _Parsed, fail) -> None:
    data, _, shown = rest.partition("\t")
    label, _, offsets = data.partition(" ")
    fragments = []
    for piece in offsets.split(";"):
        bounds = piece.split()
        if len(bounds) != 2 or not all(b.isascii() and b.isdigit() for b in bounds):
            raise fail(f"{ann_id}: malformed offsets {offsets!r}; expected 'TYPE START END'", number)
        fragments.append((int(bounds[0]), int(bounds[1])))
    if label not in schema.mention_labels and label not in schema.event_types:
        raise fail(
            f"{ann_id}: unknown type {label!r}; expected a mention label {list(schema.mention_labels)} "
            f"or an event type {list(schema.event_types)}",
            number,
        )
    for start, end in fragments:
        if not 0 <= start < end <= len(text):
            raise fail(
                f"{ann_id}: span [{start}, {end}) lies outside the text (length {len(text)}) or is empty", number
            )
    for (_, end), (start, _) in itertools.pairwise(fragments):
        gap = text[end:start]
        if start < end or not gap.isspace() or not _LINE_BREAKS.intersection(gap):
            raise fail(
                f"{ann_id}: discontinuous span {offsets!r}; only fragments split at line breaks are read", number
            )
    expected = " ".join(text[s:e] for s, e in fragments)
    # brat lets text be followed by whitespace; anything else is a mismatch.
    if shown and (shown[: len(expected)] != expected or shown[len(expected) :].strip()):
        raise fail(f"{ann_id}: span text {shown!r} does not match the .txt at {offsets} = {expected!r}", number)
    parsed.textbounds[ann_id] = _TextBound(ann_id, label, fragments[0][0], fragments[-1][1], number)


def _parse_event(ann_id, rest, number, schema, parsed: _Parsed, fail) -> None:
    tokens = rest.split("\t", 1)[0].split()
    pairs = [token.split(":") for token in tokens]
    if not pairs or any(len(pair) != 2 or not all(pair) for pair in pairs):
        raise fail(f"{ann_id}: malformed event {rest!r}; expected 'TYPE:Tid role:Tid ...'", number)
    (etype, trigger), *arguments = pairs
    if etype not in schema.event_types:
        raise fail(f"{ann_id}: unknown event type {etype!r}; expected one of {list(schema.event_types)}", number)
    roles = [(_role_name(role, schema), target) for role, target in arguments]
    for (role, _), (written, _) in zip(roles, arguments, strict=True):
        if role is None:
            raise fail(f"{ann_id}: unknown role {written!r}; expected one of {list(schema.roles)}", number)
    parsed.events[ann_id] = _Event(ann_id, etype, trigger, roles, number)


def _role_name(written: str, schema: Schema) -> str | None:
    """The schema role of an event argument name; brat numbers repeats (`agent2`)."""
    if written in schema.roles:
        return written
    for cut in range(len(written) - 1, 0, -1):
        if not written[cut:].isdigit():
            break
        if written[:cut] in schema.roles:
            return written[:cut]
    return None


def _parse_attribute(ann_id, rest, number, schema, parsed: _Parsed, fail) -> None:
    parts = rest.split("\t", 1)[0].split()
    if len(parts) != 3:
        raise fail(f"{ann_id}: malformed attribute {rest!r}; expected '{STATUS_ATTRIBUTE} Eid VALUE'", number)
    name, target, value = parts
    if name != STATUS_ATTRIBUTE:
        raise fail(f"{ann_id}: unknown attribute {name!r}; parley reads only {STATUS_ATTRIBUTE!r}", number)
    if value not in schema.statuses:
        raise fail(f"{ann_id}: unknown status {value!r}; expected one of {list(schema.statuses)}", number)
    if target in parsed.statuses:
        raise fail(f"{ann_id}: {target} already has a status (line {parsed.statuses[target][1]})", number)
    parsed.statuses[target] = (value, number)


def _parse_relation(ann_id, rest, number, parsed: _Parsed, fail) -> None:
    parts = rest.split("\t", 1)[0].split()
    args = [part.split(":") for part in parts[1:]]
    if len(parts) != 3 or [a[0] for a in args] != ["Arg1", "Arg2"] or any(len(a) != 2 or not a[1] for a in args):
        raise fail(f"{ann_id}: malformed relation {rest!r}; expected '{COREF_RELATION} Arg1:Tid Arg2:Tid'", number)
    if parts[0] != COREF_RELATION:
        raise fail(f"{ann_id}: unknown relation type {parts[0]!r}; parley reads only {COREF_RELATION!r}", number)
    pronoun, antecedent = args[0][1], args[1][1]
    if pronoun in parsed.corefs:
        raise fail(f"{ann_id}: {pronoun} already has a coref (line {parsed.corefs[pronoun][1]})", number)
    parsed.corefs[pronoun] = (antecedent, number)


def _parse_comment(ann_id, rest, number, parsed: _Parsed, fail) -> None:
    head, _, tail = rest.partition("\t")
    parts = head.split()
    if len(parts) != 2:
        raise fail(f"{ann_id}: malformed comment {rest!r}; expected 'TYPE TARGET<TAB>TEXT'", number)
    note_type, target = parts
    if note_type == META_TYPE:
        if parsed.meta is not None:
            raise fail(f"{ann_id}: a second {META_TYPE} comment (first on line {parsed.meta_line})", number)
        parsed.meta, parsed.meta_line = _parse_meta(ann_id, target, tail, number, fail), number
    elif note_type == ID_NOTE_TYPE:
        try:
            value = json.loads(tail)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, str) or not value:
            raise fail(f"{ann_id}: {ID_NOTE_TYPE} text must be a JSON string, got {tail!r}", number)
        if target in parsed.id_notes:
            raise fail(f"{ann_id}: {target} already has a {ID_NOTE_TYPE} (line {parsed.id_notes[target][1]})", number)
        parsed.id_notes[target] = (value, number)
    else:
        parsed.notes.append((target, number))


def _parse_meta(ann_id, target, tail, number, fail) -> dict[str, Any]:
    if target != ann_id:
        raise fail(f"{ann_id}: a {META_TYPE} comment must target itself ({ann_id}), not {target}", number)
    try:
        meta = json.loads(tail)
    except json.JSONDecodeError as err:
        raise fail(f"{ann_id}: {META_TYPE} text is not valid JSON ({err.msg})", number) from err
    if not isinstance(meta, dict) or set(meta) - set(METADATA_KEYS):
        raise fail(f"{ann_id}: {META_TYPE} must be a JSON object with keys from {list(METADATA_KEYS)}", number)
    if not isinstance(meta.get("id"), str) or not meta["id"]:
        raise fail(f"{ann_id}: {META_TYPE} 'id' must be a non-empty string", number)
    for key in METADATA_KEYS[1:]:
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise fail(f"{ann_id}: {META_TYPE} '{key}' must be a string or null", number)
    return meta


def _resolve(parsed: _Parsed, text: str, schema: Schema, fail, article_id: str) -> dict[str, Any]:
    """Check every reference between annotations and build the article's JSONL record."""
    spans = parsed.textbounds

    def mention(ref: str, who: str, number: int):
        if ref not in spans:
            raise fail(f"{who} refers to undefined id {ref}", number)
        if spans[ref].type not in schema.mention_labels:
            raise fail(f"{who} refers to {ref}, a {spans[ref].type} trigger, where a mention is expected", number)
        return spans[ref]

    for target, (_, number) in parsed.statuses.items():
        if target not in parsed.events:
            raise fail(f"{STATUS_ATTRIBUTE} refers to {target}, which is not an event defined in this file", number)
    used_triggers: set[str] = set()
    for event in parsed.events.values():
        where = event.id
        if event.trigger not in spans:
            raise fail(f"{where}: trigger {event.trigger} is not defined", event.line)
        trigger = spans[event.trigger]
        if trigger.type != event.type:
            raise fail(f"{where}: trigger {trigger.id} has type {trigger.type}, the event {event.type}", event.line)
        used_triggers.add(trigger.id)
        seen: set[tuple[str, str]] = set()
        for role, target in event.arguments:
            label = mention(target, f"{where} argument {role}", event.line).type
            if not schema.allows(role, label):
                raise fail(
                    f"{where}: role {role!r} does not take a {label} mention ({target}); "
                    f"allowed: {list(schema.roles[role].labels)}",
                    event.line,
                )
            if (role, target) in seen:
                raise fail(f"{where}: argument {role}={target} is listed twice", event.line)
            seen.add((role, target))
        if event.id not in parsed.statuses:
            raise fail(f"{where}: no '{STATUS_ATTRIBUTE}' attribute line gives this event a status", event.line)
    for span in spans.values():
        if span.type in schema.event_types and span.id not in used_triggers:
            raise fail(f"{span.id}: {span.type} trigger is used by no E line", span.line)
    for pronoun, (antecedent, number) in parsed.corefs.items():
        mention(pronoun, f"{COREF_RELATION} Arg1", number)
        mention(antecedent, f"{COREF_RELATION} Arg2", number)
        if pronoun == antecedent:
            raise fail(f"{COREF_RELATION}: {pronoun} points to itself", number)
    for target, number in [(t, n) for t, (_, n) in parsed.id_notes.items()] + parsed.notes:
        if target not in parsed.line_of:
            raise fail(f"comment refers to undefined id {target}", number)

    # brat ids -> the article's own ids (ParleyId notes), which must stay unique.
    names: dict[str, str] = {}
    owner: dict[str, str] = {}
    mention_ids = [s.id for s in spans.values() if s.type in schema.mention_labels]
    for brat_id in mention_ids + list(parsed.events):
        name, note_line = parsed.id_notes.get(brat_id, (brat_id, parsed.line_of[brat_id]))
        if name in owner:
            raise fail(f"id {name!r} of {brat_id} is also the id of {owner[name]}", note_line)
        names[brat_id], owner[name] = name, brat_id
    for target, (_, number) in parsed.id_notes.items():
        if target not in names:
            raise fail(f"{ID_NOTE_TYPE} on {target}, which is neither a mention nor an event", number)
    # Errors from the shared checks name article ids; map those to lines too.
    for brat_id, name in names.items():
        parsed.line_of.setdefault(name, parsed.line_of[brat_id])

    entities = []
    for brat_id in mention_ids:
        span = spans[brat_id]
        record = {"id": names[brat_id], "start": span.start, "end": span.end, "label": span.type}
        if brat_id in parsed.corefs:
            record["coref"] = names[parsed.corefs[brat_id][0]]
        entities.append(record)
    events = []
    for event in parsed.events.values():
        trigger = spans[event.trigger]
        events.append(
            {
                "id": names[event.id],
                "type": event.type,
                "status": parsed.statuses[event.id][0],
                "trigger": {"start": trigger.start, "end": trigger.end},
                "arguments": [{"role": role, "entity": names[target]} for role, target in event.arguments],
            }
        )
    meta = parsed.meta or {}
    return {
        "id": meta.get("id", article_id),
        "text": text,
        "date": meta.get("date"),
        "source": meta.get("source"),
        "url": meta.get("url"),
        "entities": entities,
        "events": events,
    }


def write_brat(article: Article, folder: str | Path) -> tuple[Path, Path]:
    """Write one article as `<id>.txt` and `<id>.ann` in `folder`; return both paths."""
    folder = Path(folder)
    text = article.text
    if "\r" in text:
        raise ArticleError(
            "text holds a carriage return; brat reads it as a line end, so offsets would shift", article_id=article.id
        )
    lines = [f"#1\t{META_TYPE} #1\t{_json_line({key: getattr(article, key) for key in METADATA_KEYS})}"]
    id_notes: list[tuple[str, str]] = []

    def brat_ids(own_ids: list[str], pattern: re.Pattern, prefix: str) -> dict[str, str]:
        kept = {i: i for i in own_ids if pattern.fullmatch(i)}
        taken = {int(i[1:]) for i in kept}
        free = (n for n in itertools.count(1) if n not in taken)
        for own in own_ids:
            if own not in kept:
                kept[own] = f"{prefix}{next(free)}"
                id_notes.append((kept[own], own))
        return kept

    t_of = brat_ids([e.id for e in article.entities], _BRAT_T_ID, "T")
    e_of = brat_ids([ev.id for ev in article.events], _BRAT_E_ID, "E")
    taken_t = {int(t[1:]) for t in t_of.values()}
    free_t = (n for n in itertools.count(1) if n not in taken_t)

    for entity in article.entities:
        lines.append(_textbound_line(t_of[entity.id], entity.label, entity.start, entity.end, article))
    for number, event in enumerate(article.events, start=1):
        trigger_id = f"T{next(free_t)}"
        lines.append(_textbound_line(trigger_id, event.type, event.trigger.start, event.trigger.end, article))
        counts: dict[str, int] = {}
        arguments = []
        for argument in event.arguments:
            counts[argument.role] = counts.get(argument.role, 0) + 1
            suffix = "" if counts[argument.role] == 1 else str(counts[argument.role])
            arguments.append(f" {argument.role}{suffix}:{t_of[argument.entity]}")
        lines.append(f"{e_of[event.id]}\t{event.type}:{trigger_id}{''.join(arguments)}")
        lines.append(f"A{number}\t{STATUS_ATTRIBUTE} {e_of[event.id]} {event.status}")
    corefs = [e for e in article.entities if e.coref is not None]
    for number, entity in enumerate(corefs, start=1):
        lines.append(f"R{number}\t{COREF_RELATION} Arg1:{t_of[entity.id]} Arg2:{t_of[entity.coref]}")
    for number, (brat_id, own) in enumerate(id_notes, start=2):
        lines.append(f"#{number}\t{ID_NOTE_TYPE} {brat_id}\t{_json_line(own)}")

    folder.mkdir(parents=True, exist_ok=True)
    stem = _file_stem(article.id)
    txt_path, ann_path = folder / f"{stem}.txt", folder / f"{stem}.ann"
    # newline="" keeps the text byte-exact on every platform.
    with open(txt_path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    with open(ann_path, "w", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(lines) + "\n")
    return txt_path, ann_path


def _textbound_line(brat_id: str, label: str, start: int, end: int, article: Article) -> str:
    text = article.text
    fragments, begin = [], None
    for i in range(start, end):
        if text[i] in _LINE_BREAKS:
            if begin is not None:
                fragments.append((begin, i))
            begin = None
        elif begin is None:
            begin = i
    if begin is not None:
        fragments.append((begin, end))
    if not fragments or fragments[0][0] != start or fragments[-1][1] != end:
        raise ArticleError(
            f"{brat_id} span [{start}, {end}) {text[start:end]!r} begins or ends with a line break, "
            "which brat cannot hold",
            article_id=article.id,
        )
    offsets = ";".join(f"{s} {e}" for s, e in fragments)
    return f"{brat_id}\t{label} {offsets}\t{' '.join(text[s:e] for s, e in fragments)}"


def _json_line(value: Any) -> str:
    """JSON on one brat line: keep non-ASCII readable, escape what a line reader would split at."""
    encoded = json.dumps(value, ensure_ascii=False)
    return "".join(f"\\u{ord(ch):04x}" if ch in _LINE_BREAKS else ch for ch in encoded)


def _file_stem(article_id: str) -> str:
    """A file name for an article id; the id itself is kept in the metadata comment."""
    stem = re.sub(r"[^\w.-]", "_", article_id).lstrip(".")
    return stem or "article"


def brat_annotation_conf(schema: Schema) -> str:
    """An annotation.conf for brat that declares the schema's labels, events, roles, status and coref."""
    roles = ", ".join(f"{r.name}*:{'|'.join(r.labels)}" for r in schema.roles.values())
    mentions = "|".join(schema.mention_labels)
    lines = ["[entities]", *schema.mention_labels, "", "[relations]"]
    lines.append(f"{COREF_RELATION}\tArg1:{mentions}, Arg2:{mentions}")
    lines += ["", "[events]", *(f"{name}\t{roles}" for name in schema.event_types), "", "[attributes]"]
    lines.append(f"{STATUS_ATTRIBUTE}\tArg:<EVENT>, Value:{'|'.join(schema.statuses)}")
    return "\n".join(lines) + "\n"
