"""One labeled article -> dataset rows: one per window of each sentence unit, with its tags, spans and pairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley.documents import Article, Entity, LabeledEvent
from parley.model.labels import NO_ROLE, LabelSpace
from parley.schema import Schema
from parley.training.build_summary import SplitCounts
from parley.training.sentence_units import overlapping, sentence_units, unit_of
from parley.training.window_encoding import WindowEncoder, span_columns
from parley.training.word_labels import (
    WordSpan,
    bio_tags,
    choose_outermost,
    continuation_ids,
    cut_tags,
    envelope,
    gold_roles,
)

Span = tuple[int, int]


@dataclass
class _LabeledUnit:
    """A sentence unit's words with its gold spans, roles and word tags, from which each window row is cut."""

    words: list[Span]
    costs: list[int]  # subwords per word
    mentions: list[WordSpan]
    triggers: list[WordSpan]
    role_of: dict[tuple[str, str], str]
    mention_tags: list[int]
    trigger_tags: list[int]


class ArticleRows:
    """Turns one article into rows; holds what every article shares (encoder, tag ids, relation candidates)."""

    def __init__(self, encoder: WindowEncoder, schema: Schema, label_space: LabelSpace):
        self.encoder = encoder
        self.mention_tag = {tag: i for i, tag in enumerate(label_space.mention_tags)}
        self.trigger_tag = {tag: i for i, tag in enumerate(label_space.trigger_tags)}
        self.mention_continuation = continuation_ids(label_space.mention_tags)
        self.trigger_continuation = continuation_ids(label_space.trigger_tags)
        # Mentions that some role accepts are paired with every trigger of their sentence.
        self.candidates = {label for role in schema.roles.values() for label in role.labels}

    def build(self, article: Article, counts: SplitCounts) -> tuple[list[dict[str, Any]], list[str]]:
        """The rows of one article and its sentence texts; adds what it finds to `counts`."""
        counts.articles += 1
        units, texts = sentence_units(article, counts)
        entity_unit = {e.id: unit_of(units, e.start, e.end) for e in article.entities}
        rows: list[dict[str, Any]] = []
        for index, unit in enumerate(units):
            entities = [e for e in article.entities if entity_unit[e.id] == index]
            events = [ev for ev in article.events if unit_of(units, ev.trigger.start, ev.trigger.end) == index]
            rows += self._unit_rows(article, index, unit, entities, events, counts)
        outside = sum(unit is None for unit in entity_unit.values())
        outside += sum(unit_of(units, ev.trigger.start, ev.trigger.end) is None for ev in article.events)
        counts.issues["spans_without_words"] += outside
        return rows, texts

    def _unit_rows(
        self,
        article: Article,
        unit_index: int,
        unit: Span,
        entities: list[Entity],
        events: list[LabeledEvent],
        counts: SplitCounts,
    ) -> list[dict[str, Any]]:
        counts.sentences += 1
        words, costs = self.encoder.words(article.text, unit, entities, events, counts)
        mentions = [WordSpan(s, e, entity=x) for x, (s, e) in _map_spans(words, entities, counts)]
        triggers = [WordSpan(s, e, event=x) for x, (s, e) in _map_spans(words, events, counts)]
        counts.issues["nested_mentions"] += choose_outermost(mentions, counts, "crossing_mentions")
        counts.issues["overlapping_triggers"] += choose_outermost(triggers, counts, "overlapping_triggers")
        counts.mentions.update(m.entity.label for m in mentions)
        counts.triggers.update(t.event.type for t in triggers)
        counts.statuses.update(t.event.status for t in triggers)
        role_of = gold_roles(triggers, counts)
        required, kinds = self._required(mentions, triggers, role_of, counts)
        windows = self.encoder.windows(costs, required, kinds, counts)

        # Mentions are annotated exhaustively only in sentences that hold a trigger (docs/schema.md section 8).
        exhaustive = bool(triggers)
        labeled = _LabeledUnit(
            words,
            costs,
            mentions,
            triggers,
            role_of,
            bio_tags(len(words), mentions, lambda s: s.entity.label, self.mention_tag, exhaustive),
            bio_tags(len(words), triggers, lambda s: s.event.type, self.trigger_tag, True),
        )
        rows = []
        for window_index, window in enumerate(windows):
            row = self._window_row(article, labeled, window)
            row.update(unit_index=unit_index, window_index=window_index, mentions_exhaustive=exhaustive)
            counts.windows += 1
            counts.tokens += len(row["input_ids"])
            rows.append(row)
        return rows

    def _required(
        self,
        mentions: list[WordSpan],
        triggers: list[WordSpan],
        role_of: dict[tuple[str, str], str],
        counts: SplitCounts,
    ) -> tuple[list[Span], list[str]]:
        """What a window should hold whole, in order: each event, then each relation pair, mention and trigger."""
        by_id = {m.entity.id: m for m in mentions}
        required: list[Span] = []
        kinds: list[str] = []
        for t in triggers:
            required.append(envelope([t, *(by_id[a.entity] for a in t.event.arguments if a.entity in by_id)]))
            kinds.append("event")
        for t in triggers:
            for m in mentions:
                if m.entity.label in self.candidates:
                    role = role_of.get((t.event.id, m.entity.id), NO_ROLE)
                    counts.pairs[role] += 1
                    required.append(envelope([t, m]))
                    kinds.append(role)
        for span in [*mentions, *triggers]:
            required.append((span.start, span.end))
            kinds.append("span")
        return required, kinds

    def _window_row(self, article: Article, unit: _LabeledUnit, window: Span) -> dict[str, Any]:
        """The columns of one window: tokens, tags cut to the window, and the spans and pairs wholly inside it."""
        start, end = window
        row, word_ids = self.encoder.encode(article, unit.words[start:end], unit.costs[start:end])
        row["mention_tags"] = cut_tags(unit.mention_tags, unit.mentions, start, end)
        row["trigger_tags"] = cut_tags(unit.trigger_tags, unit.triggers, start, end)
        row["mention_labels"] = self.encoder.align(word_ids, row["mention_tags"], self.mention_continuation)
        row["trigger_labels"] = self.encoder.align(word_ids, row["trigger_tags"], self.trigger_continuation)
        inside_m = [m for m in unit.mentions if start <= m.start and m.end <= end]
        inside_t = [t for t in unit.triggers if start <= t.start and t.end <= end]
        row["mentions"] = [
            {"id": m.entity.id, "label": m.entity.label, **span_columns(m, start, word_ids)} for m in inside_m
        ]
        row["triggers"] = [
            {"event_id": t.event.id, "type": t.event.type, "status": t.event.status, **span_columns(t, start, word_ids)}
            for t in inside_t
        ]
        row["relations"] = [
            {"trigger": ti, "mention": mi, "role": unit.role_of.get((t.event.id, m.entity.id), NO_ROLE)}
            for ti, t in enumerate(inside_t)
            for mi, m in enumerate(inside_m)
            if m.entity.label in self.candidates
        ]
        return row


def _map_spans(words: list[Span], items: list[Any], counts: SplitCounts) -> list[tuple[Any, Span]]:
    """Each mention or event with the word span `[start, end)` of it (or of its trigger)."""
    mapped = []
    for item in items:
        span = item.trigger if isinstance(item, LabeledEvent) else item
        hit = overlapping(words, span.start, span.end)
        if hit is None:
            counts.issues["spans_without_words"] += 1
        else:
            mapped.append((item, hit))
    return mapped
