"""Flatten extracted events into event-data rows: one source -> target dyad per row, CAMEO/PLOVER coded.

Each event gives one row per (source, target) pair of arguments, the roles the schema's `meanings` name
source and target (`agent` and `partner` in the shipped one); an event without targets gives rows with an
empty target, one without sources rows with an empty source. Pronouns and bare definite nominals are
replaced by the nearest preceding named mention of a compatible label (see `antecedent`). Rows of an event
repeated word for word in one article (same sentence text, trigger at the same place in it, same type,
status and dyad) collapse into the first one, whose `count` says how often it occurred.
"""

from __future__ import annotations

import bisect
from typing import Any

from parley.inference.events import Event, Extraction, Mention
from parley.inference.time_resolution import parse_publication_date, resolve_time
from parley.schema import Schema
from parley.text import split_sentences

DYAD_COLUMNS = (
    "article_id",
    "date",
    "source",
    "source_label",
    "source_text",
    "target",
    "target_label",
    "target_text",
    "event_type",
    "status",
    "cameo",
    "plover",
    "trigger",
    "trigger_start",
    "meeting",
    "place",
    "time",
    "score",
    "count",
    "sentence",
)
INTEGER_COLUMNS = ("trigger_start", "count")
FLOAT_COLUMNS = ("score",)
# The type of every column, for readers that guess types from CSV text: a CAMEO code such as "040" is text,
# and read as a number it loses its leading zero. pandas: pd.read_csv(path, dtype=DYAD_DTYPES, keep_default_na=False).
DYAD_DTYPES = {
    column: "int64" if column in INTEGER_COLUMNS else "float64" if column in FLOAT_COLUMNS else "str"
    for column in DYAD_COLUMNS
}

# An English lexicon: which kinds of actor a pronoun or the head noun of a bare definite nominal can refer
# to. The schema's meanings say which mention labels each kind carries (`_kind_labels`).
_PERSON, _GROUP, _ORGANISATION, _COUNTRY = ("person",), ("organisation", "country"), ("organisation",), ("country",)
PRONOUNS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("he", "him", "his", "himself", "she", "her", "hers", "herself"), _PERSON),
    **dict.fromkeys(("they", "them", "their", "theirs", "themselves", "it", "its", "itself"), _GROUP),
    **dict.fromkeys(("we", "us", "our", "ours", "ourselves"), _GROUP),  # a spokesperson's organisation
}
_BODIES = "group coalition alliance organisation organization movement delegation committee commission council"
NOMINAL_HEADS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(f"{_BODIES} bloc faction body front".split(), _ORGANISATION),
    **dict.fromkeys("government regime side administration authorities".split(), _GROUP),
    **dict.fromkeys("country nation state kingdom republic".split(), _COUNTRY),
}
DETERMINERS = frozenset("the this that these those his her its their our".split())


def _kind_labels(kinds: tuple[str, ...], schema: Schema) -> tuple[str, ...]:
    meanings = schema.meanings
    by_kind = {
        "person": meanings.person_labels,
        "organisation": meanings.organisation_labels,
        "country": meanings.country_labels,
    }
    return tuple(label for kind in kinds for label in by_kind[kind])


def anaphor_labels(mention: Mention, text: str, schema: Schema) -> tuple[str, ...] | None:
    """The labels an anaphoric mention ("he", "the group") may refer to, or None if it names its referent."""
    kinds = _anaphor_kinds(mention, text)
    return None if kinds is None else _kind_labels(kinds, schema)


def _anaphor_kinds(mention: Mention, text: str) -> tuple[str, ...] | None:
    words = mention.text.split()
    if len(words) == 1 and words[0].lower() in PRONOUNS:
        return PRONOUNS[words[0].lower()]
    definite = bool(words) and words[0].lower() in DETERMINERS
    if definite:
        words = words[1:]
    else:
        # The span rule leaves the determiner outside the mention: look just before it.
        before = text[: mention.start].rstrip().rsplit(None, 1)
        definite = bool(before) and before[-1].lower() in DETERMINERS
    if not definite or not words or any(w[:1].isupper() for w in words):
        return None
    head = words[-1].lower()
    return NOMINAL_HEADS.get(head) or NOMINAL_HEADS.get(head.removesuffix("s"))


def antecedent(mention: Mention, extraction: Extraction, schema: Schema) -> Mention:
    """The mention an anaphoric `mention` refers to, else the mention itself.

    That is the nearest preceding named mention (one with a capitalised word, itself not anaphoric and no
    event's place) whose label the anaphor allows; a nominal prefers the nearest one that repeats its head
    noun ("the coalition" -> "Syrian Opposition Coalition", not a news agency quoted in between).
    """
    labels = anaphor_labels(mention, extraction.text, schema)
    if labels is None:
        return mention
    words = mention.text.lower().split()
    head = None if len(words) == 1 and words[0] in PRONOUNS else words[-1].removesuffix("s")
    # A mention that some event takes as its place ("in Istanbul") is a location there, not an actor.
    place_role = schema.meanings.place_role
    places = {(a.mention.start, a.mention.end) for e in extraction.events for a in e.arguments if a.role == place_role}
    best, best_key = mention, None
    for candidate in extraction.mentions:
        if candidate.label not in labels or candidate.end > mention.start or (candidate.start, candidate.end) in places:
            continue
        if not any(w[:1].isupper() for w in candidate.text.split()):
            continue
        if _anaphor_kinds(candidate, extraction.text) is not None:
            continue
        # Nearest by end; of two ending together the longer ("Syrian National Coalition", not "Coalition").
        key = (head is not None and head in candidate.text.lower(), candidate.end, candidate.end - candidate.start)
        if best_key is None or key > best_key:
            best, best_key = candidate, key
    return best


def event_rows(extraction: Extraction, schema: Schema) -> list[dict[str, Any]]:
    """The event-data rows of one article's events (columns `DYAD_COLUMNS`), repeats collapsed."""
    sentences = split_sentences(extraction.text)
    starts = [start for start, _ in sentences]
    published = parse_publication_date(extraction.date)
    rows: dict[tuple, dict[str, Any]] = {}
    for event in extraction.events:
        at = bisect.bisect_right(starts, event.trigger.start) - 1
        s_start, s_end = sentences[at] if at >= 0 else (event.trigger.start, event.trigger.end)
        sentence = extraction.text[s_start:s_end]
        base = _event_columns(event, extraction, schema, published)
        base["sentence"] = sentence
        for source, target in _pairs(event, extraction, schema):
            row = {**base, **_actor("source", source), **_actor("target", target)}
            key = (
                sentence,
                event.trigger.start - s_start,
                event.type,
                event.status,
                row["source"],
                row["source_label"],
                row["target"],
                row["target_label"],
            )
            if key in rows:
                rows[key]["count"] += 1
            else:
                rows[key] = row
    return [{column: row[column] for column in DYAD_COLUMNS} for row in rows.values()]


def _event_columns(event: Event, extraction: Extraction, schema: Schema, published) -> dict[str, Any]:
    event_type = schema.event_types.get(event.type)
    meanings = schema.meanings
    times = [a.mention for a in event.arguments if a.role == meanings.time_role]
    resolved = None
    for mention in times:
        future = event.status in meanings.forward_statuses
        resolved = mention.resolved or resolve_time(mention.text, published, prefer_future=future)
        if resolved:
            break
    return {
        "article_id": extraction.article_id or "",
        "date": resolved or (published.isoformat() if published else ""),
        "event_type": event.type,
        "status": event.status,
        "cameo": (event_type.cameo_for(event.status) if event_type else None) or "",
        "plover": (event_type.plover if event_type else None) or "",
        "trigger": event.trigger.text,
        "trigger_start": event.trigger.start,
        "meeting": _joined(event, meanings.meeting_role),
        "place": _joined(event, meanings.place_role),
        "time": "; ".join(m.text for m in times),
        "score": round(event.score, 4),
        "count": 1,
    }


def _joined(event: Event, role: str | None) -> str:
    return "; ".join(a.mention.text for a in event.arguments if a.role == role)


def _actors(event: Event, role: str, extraction: Extraction, schema: Schema) -> list[tuple[Mention, Mention]]:
    """(as written, referent) for each argument of `role`, one per distinct referent."""
    found: dict[tuple[str, str], tuple[Mention, Mention]] = {}
    for argument in event.arguments:
        if argument.role == role:
            referent = antecedent(argument.mention, extraction, schema)
            found.setdefault((referent.text, referent.label), (argument.mention, referent))
    return list(found.values())


def _pairs(event: Event, extraction: Extraction, schema: Schema) -> list[tuple[tuple | None, tuple | None]]:
    """(source, target) pairs: every actor of the schema's source role with every one of its target role."""
    sources = _actors(event, schema.meanings.source_role, extraction, schema) or [None]
    targets = _actors(event, schema.meanings.target_role, extraction, schema) or [None]
    return [(source, target) for source in sources for target in targets]


def _actor(side: str, actor: tuple[Mention, Mention] | None) -> dict[str, str]:
    if actor is None:
        return {side: "", f"{side}_label": "", f"{side}_text": ""}
    written, referent = actor
    return {side: referent.text, f"{side}_label": referent.label, f"{side}_text": written.text}
