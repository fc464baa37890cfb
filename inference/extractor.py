"""`EventExtractor`: load a trained checkpoint and extract events from texts or articles in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import AutoTokenizer

from parley.inference.decoding import WordSpan, choose_role, decode_bio
from parley.inference.events import Argument, Event, Extraction, Mention
from parley.inference.time_resolution import resolve_extraction_times
from parley.model import ParleyModel
from parley.training.sentences import split_sentences, split_words


@dataclass
class Thresholds:
    """Minimum scores (mean tag probability for spans, role probability for arguments) to keep a prediction."""

    trigger: float = 0.0
    mention: float = 0.0
    argument: float = 0.0


@dataclass
class _Unit:
    """One model input: a sentence, or one window of a long sentence."""

    article: int
    words: list[tuple[int, int]]  # character spans in the article
    input_ids: list[int]
    word_ids: list[int | None]
    mentions: list[WordSpan] = field(default_factory=list)
    triggers: list[WordSpan] = field(default_factory=list)
    # (trigger, status, status score, [(role, mention span, score)]) per trigger, filled by the model pass.
    decoded: list[tuple] = field(default_factory=list)


def window_words(token_counts: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Cover words [0, n) with windows of at most `budget` subword tokens that share `overlap` words."""
    windows: list[tuple[int, int]] = []
    start, n = 0, len(token_counts)
    while start < n:
        end, used = start, 0
        while end < n and (used + token_counts[end] <= budget or end == start):
            used += token_counts[end]
            end += 1
        windows.append((start, end))
        if end >= n:
            break
        start = max(end - overlap, start + 1)
    return windows


def _as_article(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"id": None, "text": item}
    if isinstance(item, dict):
        if not isinstance(item.get("text"), str):
            raise ValueError(f"article {item.get('id')!r}: 'text' must be a string")
        return item
    if hasattr(item, "text") and hasattr(item, "id"):  # a labeled Article
        return {"id": item.id, "text": item.text, "date": item.date, "source": item.source, "url": item.url}
    raise TypeError(f"expected a text, an article dict or an Article, got {type(item).__name__}")


class EventExtractor:
    """A trained parley model with its tokenizer, ready to extract events."""

    def __init__(
        self,
        model: ParleyModel,
        tokenizer,
        device: str | torch.device | None = None,
        thresholds: Thresholds | None = None,
        window_overlap: int = 16,
    ):
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.thresholds = thresholds or Thresholds()
        self.window_overlap = window_overlap
        self.labels = model.config.label_space
        self.schema = model.config.schema_obj
        self.max_length = int(model.config.max_seq_length)
        candidate_labels = {label for role in self.schema.roles.values() for label in role.labels}
        self._candidate_labels = candidate_labels

    @classmethod
    def from_pretrained(cls, path: str, device: str | None = None, **kwargs: Any) -> EventExtractor:
        """Load a checkpoint folder written by `parley train` (weights, config, tokenizer)."""
        model = ParleyModel.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
        return cls(model, tokenizer, device=device, **kwargs)

    def predict(self, x: str | list, batch_size: int = 32) -> list[Event] | list[list[Event]]:
        """Events of a text (-> list of events) or of a list of texts/articles (-> list of lists, same order)."""
        if isinstance(x, str):
            return self.extract([x], batch_size=batch_size)[0].events
        return [extraction.events for extraction in self.extract(list(x), batch_size=batch_size)]

    def extract(self, articles: list, batch_size: int = 32) -> list[Extraction]:
        """Mentions and events of each article, in input order."""
        records = [_as_article(a) for a in articles]
        units = self._units(records)
        order = sorted(range(len(units)), key=lambda i: len(units[i].input_ids))
        for begin in range(0, len(order), batch_size):
            self._run([units[i] for i in order[begin : begin + batch_size]])
        return self._assemble(records, units)

    def iter_extract(self, articles: Iterable, batch_size: int = 32, chunk: int = 64) -> Iterator[Extraction]:
        """Like `extract`, streaming: articles are processed `chunk` at a time, memory stays flat."""
        buffer: list = []
        for article in articles:
            buffer.append(article)
            if len(buffer) >= chunk:
                yield from self.extract(buffer, batch_size)
                buffer = []
        if buffer:
            yield from self.extract(buffer, batch_size)

    # -- preparation -------------------------------------------------------------------------------------------
    def _units(self, records: list[dict[str, Any]]) -> list[_Unit]:
        sentences: list[tuple[int, list[tuple[int, int]]]] = []
        for index, record in enumerate(records):
            text = record["text"]
            for start, end in split_sentences(text):
                words = split_words(text, start, end)
                if words:
                    sentences.append((index, words))
        if not sentences:
            return []
        word_lists = [[records[a]["text"][s:e] for s, e in words] for a, words in sentences]
        # One fast-tokenizer call for every sentence; windows slice its output.
        encoded = self.tokenizer(word_lists, is_split_into_words=True, add_special_tokens=False)
        cls_id, sep_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        budget = self.max_length - 2
        units: list[_Unit] = []
        for n, (article, words) in enumerate(sentences):
            ids, word_ids = encoded["input_ids"][n], encoded.word_ids(n)
            counts = [0] * len(words)
            for w in word_ids:
                if w is not None:
                    counts[w] += 1
            first_token = []
            position = 0
            for count in counts:
                first_token.append(position)
                position += count
            for w_start, w_end in window_words(counts, budget, self.window_overlap):
                t_start = first_token[w_start]
                t_end = first_token[w_end] if w_end < len(words) else len(ids)
                window_ids = ids[t_start:t_end][:budget]
                window_word_ids = [None if w is None else w - w_start for w in word_ids[t_start:t_end]][:budget]
                units.append(
                    _Unit(article, words[w_start:w_end], [cls_id, *window_ids, sep_id], [None, *window_word_ids, None])
                )
        return units

    # -- model --------------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def _run(self, batch: list[_Unit]) -> None:
        width = max(len(u.input_ids) for u in batch)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, unit in enumerate(batch):
            input_ids[row, : len(unit.input_ids)] = torch.tensor(unit.input_ids)
            attention[row, : len(unit.input_ids)] = 1
        input_ids, attention = input_ids.to(self.device), attention.to(self.device)
        states = self.model.encode(input_ids, attention)
        mention_probs = self.model.mention_head(states).softmax(-1).max(-1)
        trigger_probs = self.model.trigger_head(states).softmax(-1).max(-1)
        m_score, m_tag = mention_probs.values.cpu(), mention_probs.indices.cpu()
        t_score, t_tag = trigger_probs.values.cpu(), trigger_probs.indices.cpu()

        mention_tags, trigger_tags = self.labels.mention_tags, self.labels.trigger_tags
        token_spans: list[tuple[list, list]] = []
        for row, unit in enumerate(batch):
            firsts = _first_subwords(unit.word_ids)
            unit.mentions = [
                s
                for s in decode_bio(
                    [mention_tags[int(m_tag[row, t])] for t in firsts], [float(m_score[row, t]) for t in firsts]
                )
                if s.score >= self.thresholds.mention
            ]
            unit.triggers = [
                s
                for s in decode_bio(
                    [trigger_tags[int(t_tag[row, t])] for t in firsts], [float(t_score[row, t]) for t in firsts]
                )
                if s.score >= self.thresholds.trigger
            ]
            spans = _token_spans(unit.word_ids)
            token_spans.append(
                (
                    [spans(s) for s in unit.triggers],
                    [spans(s) for s in unit.mentions if s.label in self._candidate_labels],
                )
            )

        n_t = max((len(t) for t, _ in token_spans), default=0)
        n_m = max((len(m) for _, m in token_spans), default=0)
        if n_t == 0:
            return
        trigger_spans = torch.zeros((len(batch), n_t, 2), dtype=torch.long)
        mention_spans = torch.zeros((len(batch), max(n_m, 1), 2), dtype=torch.long)
        trigger_types = torch.zeros((len(batch), n_t), dtype=torch.long)
        mention_labels = torch.zeros((len(batch), max(n_m, 1)), dtype=torch.long)
        for row, unit in enumerate(batch):
            t_spans, m_spans = token_spans[row]
            candidates = [s for s in unit.mentions if s.label in self._candidate_labels]
            for i, (span, trig) in enumerate(zip(t_spans, unit.triggers, strict=False)):
                trigger_spans[row, i] = torch.tensor(span)
                trigger_types[row, i] = self.labels.event_types.index(trig.label)
            for j, (span, ment) in enumerate(zip(m_spans, candidates, strict=False)):
                mention_spans[row, j] = torch.tensor(span)
                mention_labels[row, j] = self.labels.mention_labels.index(ment.label)
        relation_logits, status_logits = self.model.score_relations(
            states,
            trigger_spans.to(self.device),
            trigger_types.to(self.device),
            mention_spans.to(self.device),
            mention_labels.to(self.device),
        )
        role_probs = relation_logits.float().softmax(-1).cpu()
        status_probs = status_logits.float().softmax(-1).cpu()
        for row, unit in enumerate(batch):
            candidates = [s for s in unit.mentions if s.label in self._candidate_labels]
            unit.decoded = []
            for i, trig in enumerate(unit.triggers):
                arguments = []
                for j, ment in enumerate(candidates):
                    choice = choose_role(
                        role_probs[row, i, j].tolist(),
                        self.labels.roles,
                        ment.label,
                        self.schema,
                        self.thresholds.argument,
                    )
                    if choice is not None:
                        arguments.append((choice[0], ment, choice[1]))
                status_id = int(status_probs[row, i].argmax())
                unit.decoded.append(
                    (trig, self.labels.statuses[status_id], float(status_probs[row, i, status_id]), arguments)
                )

    # -- assembly -----------------------------------------------------------------------------------------------
    def _assemble(self, records: list[dict[str, Any]], units: list[_Unit]) -> list[Extraction]:
        extractions = [
            Extraction(
                article_id=r.get("id"), text=r["text"], date=r.get("date"), source=r.get("source"), url=r.get("url")
            )
            for r in records
        ]
        mentions: list[dict[tuple, Mention]] = [{} for _ in records]
        events: list[dict[tuple, Event]] = [{} for _ in records]
        for unit in units:
            text = records[unit.article]["text"]
            for span in unit.mentions:
                m = _to_mention(unit, text, span)
                key = (m.start, m.end, m.label)
                if key not in mentions[unit.article] or mentions[unit.article][key].score < m.score:
                    mentions[unit.article][key] = m
            for trig, status, status_score, arguments in unit.decoded:
                t = _to_mention(unit, text, trig)
                key = (t.start, t.end, t.label)
                found = [Argument(role, _to_mention(unit, text, s), p) for role, s, p in arguments]
                event = Event(t.label, status, t, found, t.score, status_score, records[unit.article].get("id"))
                previous = events[unit.article].get(key)
                # Overlapping windows of one long sentence see the same trigger: keep the union of arguments.
                if previous is not None:
                    seen = {(a.role, a.mention.start, a.mention.end) for a in previous.arguments}
                    previous.arguments += [
                        a for a in event.arguments if (a.role, a.mention.start, a.mention.end) not in seen
                    ]
                else:
                    events[unit.article][key] = event
        for extraction, found, evs in zip(extractions, mentions, events, strict=False):
            extraction.mentions = sorted(found.values(), key=lambda m: (m.start, m.end))
            extraction.events = sorted(evs.values(), key=lambda e: (e.trigger.start, e.trigger.end))
            resolve_extraction_times(extraction, self.schema)
        return extractions


def _to_mention(unit: _Unit, text: str, span: WordSpan) -> Mention:
    """A word span of a unit as a mention with character offsets into the article."""
    start, end = unit.words[span.start][0], unit.words[span.end - 1][1]
    return Mention(span.label, text[start:end], start, end, span.score)


def _first_subwords(word_ids: list[int | None]) -> list[int]:
    positions, previous = [], None
    for position, word in enumerate(word_ids):
        if word is not None and word != previous:
            positions.append(position)
        previous = word
    return positions


def _token_spans(word_ids: list[int | None]):
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for position, word in enumerate(word_ids):
        if word is not None:
            first.setdefault(word, position)
            last[word] = position

    def spans(span: WordSpan) -> tuple[int, int]:
        return first[span.start], last[span.end - 1] + 1

    return spans
