"""What the extractor returns: `Mention`, `Argument`, `Event` and one article's `Extraction`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from parley.documents import Argument as LabeledArgument
from parley.documents import Article, Entity, LabeledEvent, Trigger


@dataclass
class Mention:
    """A span of the original article: its label, text, character offsets [start, end) and score."""

    label: str
    text: str
    start: int
    end: int
    score: float
    # For TIME mentions of a dated article: the resolved ISO date or range ("2017-01-27", "2015-06-01/2015-06-07").
    resolved: str | None = None


@dataclass
class Argument:
    role: str
    mention: Mention
    score: float


@dataclass
class Event:
    """One predicted event: type, status, trigger span and arguments, each with a score."""

    type: str
    status: str
    trigger: Mention
    arguments: list[Argument]
    score: float
    status_score: float
    article_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Extraction:
    """Everything found in one article: its mentions and events (docs/schema.md section 6 shape via `to_record`)."""

    article_id: str | None
    text: str
    mentions: list[Mention] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    date: str | None = None
    source: str | None = None
    url: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The labeled-article JSON shape, with a score on every mention, event and argument."""
        ids: dict[tuple[int, int, str], str] = {}
        entities = []
        for mention in sorted(self.mentions, key=lambda m: (m.start, m.end, m.label)):
            key = (mention.start, mention.end, mention.label)
            if key in ids:
                continue
            ids[key] = f"T{len(ids) + 1}"
            record = {
                "id": ids[key],
                "start": mention.start,
                "end": mention.end,
                "label": mention.label,
                "text": mention.text,
                "score": round(mention.score, 4),
            }
            if mention.resolved is not None:
                record["resolved"] = mention.resolved
            entities.append(record)
        events = []
        for n, event in enumerate(self.events, start=1):
            arguments = []
            for argument in event.arguments:
                m = argument.mention
                arguments.append(
                    {"role": argument.role, "entity": ids[(m.start, m.end, m.label)], "score": round(argument.score, 4)}
                )
            events.append(
                {
                    "id": f"E{n}",
                    "type": event.type,
                    "status": event.status,
                    "trigger": {"start": event.trigger.start, "end": event.trigger.end, "text": event.trigger.text},
                    "arguments": arguments,
                    "score": round(event.score, 4),
                    "status_score": round(event.status_score, 4),
                }
            )
        return {
            "id": self.article_id,
            "text": self.text,
            "date": self.date,
            "source": self.source,
            "url": self.url,
            "entities": entities,
            "events": events,
        }

    def to_article(self) -> Article:
        """The prediction as a labeled `Article` (scores dropped), e.g. for scoring against gold."""
        record = self.to_record()
        entities = [Entity(e["id"], e["start"], e["end"], e["label"], e["text"]) for e in record["entities"]]
        events = [
            LabeledEvent(
                e["id"],
                e["type"],
                e["status"],
                Trigger(**e["trigger"]),
                [LabeledArgument(a["role"], a["entity"]) for a in e["arguments"]],
            )
            for e in record["events"]
        ]
        return Article(record["id"], self.text, self.date, self.source, self.url, entities, events)
