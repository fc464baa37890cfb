"""An inline markup for writing labeled passages by hand, converted to `Article`s.

Offsets are what hand-labelers get wrong; this format has none. A file holds
passages, each opened by a header line:

    === synth-korea-001 | 2019-02-11 | synthetic: written for parley
    SEOUL, Feb. 11 - [North Korea](GPE nk) {declined}(DECLINE asserted agent=nk meeting=m1)
    an invitation to [the]... [six-party talks](MEETING m1) in [Beijing](GPE bj).

Header fields: id | date (may be empty) | source (may be empty). The passage
text is every following line up to the next header, joined by newlines, with
blank lines at either end removed.

- `[span](LABEL name)` is a mention; `name` is optional and is how triggers
  refer to it. `[he](PER he1 ->lav)` adds `coref` to mention `lav`.
  Mentions may nest: `[[U.N.](ORG un) envoy](PER env)`.
- `{span}(TYPE status role=name role=name,name ...)` is an event trigger.
- `\\[`, `\\]`, `\\{`, `\\}` write a literal bracket or brace.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from parley.documents import Article, ArticleError, article_from_dict
from parley.schema import Schema

_HEADER = re.compile(r"^===\s*(?P<id>[^|]+?)\s*(?:\|\s*(?P<date>[^|]*?)\s*)?(?:\|\s*(?P<source>.*?)\s*)?$")


@dataclass
class _Open:
    kind: str  # "[" mention or "{" trigger
    start: int
    line: int


@dataclass
class _Parsed:
    text: str
    mentions: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def parse_markup(markup: str, first_line: int = 1, where: str = "") -> _Parsed:
    """Turn one passage's markup into plain text plus mention and event records."""
    scanner = _Scanner(markup, first_line, where)
    scanner.scan()
    return scanner.resolve()


class _Scanner:
    """One pass over a passage: the plain text so far, the open brackets, and the names mentions were given."""

    def __init__(self, markup: str, first_line: int, where: str):
        self.markup, self.first_line, self.where = markup, first_line, where
        self.line = first_line
        self.out: list[str] = []  # one character per item, so len(out) is the plain-text offset
        self.stack: list[_Open] = []
        self.parsed = _Parsed(text="")
        self.names: dict[str, str] = {}
        # Events wait for the end of the passage: their roles may name mentions written after them.
        self.pending_events: list[tuple[dict, dict[str, list[str]], int]] = []

    def fail(self, message: str, at_line: int) -> ArticleError:
        return ArticleError(message, self.where or None, at_line)

    def scan(self) -> None:
        markup, i = self.markup, 0
        while i < len(markup):
            ch = markup[i]
            if ch == "\\" and i + 1 < len(markup) and markup[i + 1] in "[]{}":
                self.out.append(markup[i + 1])
                i += 2
            elif ch in "[{":
                self.stack.append(_Open(ch, len(self.out), self.line))
                i += 1
            elif ch in "]}":
                i = self._close(ch, i)
            else:
                if ch == "\n":
                    self.line += 1
                self.out.append(ch)
                i += 1
        if self.stack:
            raise self.fail(f"unclosed {self.stack[-1].kind!r}", self.stack[-1].line)

    def _close(self, ch: str, i: int) -> int:
        """Close the span opened last with its `(...)` spec; return where scanning goes on."""
        markup, line = self.markup, self.line
        if not self.stack or self.stack[-1].kind != ("[" if ch == "]" else "{"):
            raise self.fail(f"unmatched {ch!r}", line)
        opened = self.stack.pop()
        if i + 1 >= len(markup) or markup[i + 1] != "(":
            raise self.fail(f"{ch!r} must be followed by '(LABEL ...)'", line)
        close = markup.find(")", i + 2)
        if close < 0:
            raise self.fail("unclosed '(' after a span", line)
        spec = markup[i + 2 : close].split()
        if not spec:
            raise self.fail("empty '()' after a span", line)
        span = {"start": opened.start, "end": len(self.out), "text": "".join(self.out[opened.start :])}
        if opened.kind == "[":
            self._mention(span, spec)
        else:
            self._trigger(span, spec)
        return close + 1

    def _mention(self, span: dict, spec: list[str]) -> None:
        mention = {"id": f"T{len(self.parsed.mentions) + 1}", "start": span["start"], "end": span["end"]}
        mention.update(label=spec[0], text=span["text"])
        for extra in spec[1:]:
            if extra.startswith("->"):
                mention["coref"] = extra[2:]
            elif extra in self.names:
                raise self.fail(f"mention name {extra!r} used twice", self.line)
            else:
                self.names[extra] = mention["id"]
        self.parsed.mentions.append(mention)

    def _trigger(self, span: dict, spec: list[str]) -> None:
        if len(spec) < 2:
            raise self.fail("a trigger needs '(TYPE status ...)'", self.line)
        event_id = f"E{len(self.parsed.events) + len(self.pending_events) + 1}"
        event = {"id": event_id, "type": spec[0], "status": spec[1], "trigger": span}
        roles: dict[str, list[str]] = {}
        for extra in spec[2:]:
            if "=" not in extra:
                raise self.fail(f"expected role=name, got {extra!r}", self.line)
            role, targets = extra.split("=", 1)
            roles.setdefault(role, []).extend(t for t in targets.split(",") if t)
        self.pending_events.append((event, roles, self.line))

    def resolve(self) -> _Parsed:
        """The passage's text, with corefs and event arguments turned from names into mention ids."""
        parsed, names = self.parsed, self.names
        parsed.text = "".join(self.out)
        for mention in parsed.mentions:
            if "coref" in mention:
                if mention["coref"] not in names:
                    raise self.fail(f"coref to unknown mention name {mention['coref']!r}", self.first_line)
                mention["coref"] = names[mention["coref"]]
        for event, roles, at_line in self.pending_events:
            arguments = []
            for role, targets in roles.items():
                for target in targets:
                    if target not in names:
                        raise self.fail(f"event {event['type']}: {role}={target} names no mention", at_line)
                    arguments.append({"role": role, "entity": names[target]})
            event["arguments"] = arguments
            parsed.events.append(event)
        return parsed


def read_markup(path: str | Path, schema: Schema) -> Iterator[Article | ArticleError]:
    """Yield each passage of a markup file as a validated `Article`, or its error."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        lines = raw.decode("utf-8-sig").split("\n")
    except UnicodeDecodeError as err:
        yield ArticleError(f"not valid UTF-8 ({err.reason})", str(path), raw.count(b"\n", 0, err.start) + 1)
        return
    headers = [n for n, text in enumerate(lines) if text.startswith("===")]
    if lines and any(t.strip() for t in lines[: headers[0] if headers else len(lines)]):
        yield ArticleError("text before the first '=== id | date | source' header", str(path), 1)
    for k, n in enumerate(headers):
        match = _HEADER.match(lines[n])
        end = headers[k + 1] if k + 1 < len(headers) else len(lines)
        body = lines[n + 1 : end]
        while body and not body[0].strip():
            body.pop(0)
            n += 1
        while body and not body[-1].strip():
            body.pop()
        article_id = match.group("id") if match else None
        try:
            parsed = parse_markup("\n".join(body), first_line=n + 2, where=str(path))
            record = {
                "id": article_id,
                "text": parsed.text,
                "date": (match.group("date") or None) if match else None,
                "source": (match.group("source") or None) if match else None,
                "url": None,
                "entities": parsed.mentions,
                "events": parsed.events,
            }
            yield article_from_dict(record, schema, str(path), n + 1)
        except ArticleError as err:
            err.article_id = err.article_id or article_id
            yield ArticleError(err.message, err.path or str(path), err.line, err.article_id)
