"""brat standoff, line by line: the `.ann` syntax parley reads, checked one annotation at a time.

What the lines mean and how they become an article is in parley/formats/brat.py; here each line is parsed and
checked on its own (ids, offsets against the `.txt`, types against the schema), remembering where it came from.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from parley.schema import Schema

META_TYPE = "ParleyArticle"
ID_NOTE_TYPE = "ParleyId"
STATUS_ATTRIBUTE = "Status"
COREF_RELATION = "Coref"
METADATA_KEYS = ("id", "date", "source", "url")

# Characters at which a line-oriented reader (brat's .ann parser) breaks a line; `\r` is refused.
LINE_BREAKS = frozenset("\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# brat's own id rule: letters (or # and letters), ASCII digits, any suffix.
_ANN_ID = re.compile(r"(?:[A-Za-z]+|#[A-Za-z]*)[0-9]+\S*")


@dataclass
class TextBound:
    """A `T` line: a mention or an event trigger, its fragments reduced to one [start, end)."""

    id: str
    type: str
    start: int
    end: int
    line: int


@dataclass
class EventLine:
    """An `E` line: the event type, its trigger's id and its (role, Tid) arguments."""

    id: str
    type: str
    trigger: str
    arguments: list[tuple[str, str]]
    line: int


@dataclass
class ParsedAnn:
    """The annotations of one .ann file, each with the line it came from."""

    textbounds: dict[str, TextBound] = field(default_factory=dict)
    events: dict[str, EventLine] = field(default_factory=dict)
    statuses: dict[str, tuple[str, int]] = field(default_factory=dict)
    corefs: dict[str, tuple[str, int]] = field(default_factory=dict)
    id_notes: dict[str, tuple[str, int]] = field(default_factory=dict)
    notes: list[tuple[str, int]] = field(default_factory=list)
    meta: dict[str, Any] | None = None
    meta_line: int | None = None
    line_of: dict[str, int] = field(default_factory=dict)


def prescan_article_id(lines: list[str]) -> str | None:
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


def parse_ann_lines(lines: list[str], text: str, schema: Schema, fail) -> ParsedAnn:
    """Parse and check each line of an .ann on its own; `fail(message, line)` builds the error to raise."""
    parsed = ParsedAnn()
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


def _parse_textbound(ann_id, rest, number, text, schema, parsed: ParsedAnn, fail) -> None:
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
        if start < end or not gap.isspace() or not LINE_BREAKS.intersection(gap):
            raise fail(
                f"{ann_id}: discontinuous span {offsets!r}; only fragments split at line breaks are read", number
            )
    expected = " ".join(text[s:e] for s, e in fragments)
    # brat lets text be followed by whitespace; anything else is a mismatch.
    if shown and (shown[: len(expected)] != expected or shown[len(expected) :].strip()):
        raise fail(f"{ann_id}: span text {shown!r} does not match the .txt at {offsets} = {expected!r}", number)
    parsed.textbounds[ann_id] = TextBound(ann_id, label, fragments[0][0], fragments[-1][1], number)


def _parse_event(ann_id, rest, number, schema, parsed: ParsedAnn, fail) -> None:
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
    parsed.events[ann_id] = EventLine(ann_id, etype, trigger, roles, number)


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


def _parse_attribute(ann_id, rest, number, schema, parsed: ParsedAnn, fail) -> None:
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


def _parse_relation(ann_id, rest, number, parsed: ParsedAnn, fail) -> None:
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


def _parse_comment(ann_id, rest, number, parsed: ParsedAnn, fail) -> None:
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
