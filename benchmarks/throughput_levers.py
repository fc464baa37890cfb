"""The `parley predict` speed levers switched off one at a time, for `throughput.py --levers` to run side by side.

Each variant changes one thing against the shipped `EventExtractor` and nothing else:

- unsorted: batches in input order instead of sorted by length (length bucketing off);
- tokenizer-per-sentence: the fast tokenizer called once per sentence instead of once per chunk;
- decode-per-token: the per-sentence loops the extractor had before (per-token word-id walks and one
  tensor element read per token), kept here verbatim from the earlier `inference/extractor.py`;
- relations-per-pair: one relation-head call per (trigger, mention) pair instead of one per batch;
- int8: every `nn.Linear` dynamically quantised to int8 (`EventExtractor.from_pretrained(int8=True)`).

The thread-count lever needs no code: the benchmark runs the shipped path with `--threads 1`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from parley.documents import Document, as_documents
from parley.inference.decoding import WordSpan, choose_role, decode_bio
from parley.inference.extractor import EventExtractor
from parley.model.encoding import plan_windows

VARIANTS = ("shipped", "unsorted", "tokenizer-per-sentence", "decode-per-token", "relations-per-pair", "int8")


def lever_extractor(
    model_dir: str, lever: str, device: str = "cpu", dtype: str | None = None, runtime: str = "torch"
) -> EventExtractor:
    """The extractor of `model_dir` with lever `lever` switched off ("shipped": every lever on), on `runtime`
    (int8: torch's dynamic int8 whatever the runtime)."""
    if lever not in VARIANTS:
        raise ValueError(f"unknown lever {lever!r}; expected one of {VARIANTS}")
    cls = {"unsorted": UnsortedExtractor, "decode-per-token": PerTokenLoopsExtractor}.get(lever, EventExtractor)
    if lever == "int8":
        extractor = cls.from_pretrained(model_dir, device="cpu", int8=True, runtime="torch")
    else:
        extractor = cls.from_pretrained(model_dir, device=device, dtype=dtype, runtime=runtime)
    if lever == "tokenizer-per-sentence":
        extractor.tokenizer = PerSentenceTokenizer(extractor.tokenizer)
    if lever == "relations-per-pair":
        # An instance attribute shadows the method for this model only.
        extractor.model.score_relations = _per_pair(extractor.model.score_relations)
    return extractor


class UnsortedExtractor(EventExtractor):
    """Batches the model inputs in input order: no length bucketing, so short inputs pad to long ones."""

    def extract(self, articles: list, batch_size: int = 32) -> list:
        records = as_documents(articles)
        units = self._units(records)
        for begin in range(0, len(units), batch_size):
            self._run(units[begin : begin + batch_size])
        return self._assemble(records, units)


class PerSentenceTokenizer:
    """A tokenizer that answers a call for many sentences with one call per sentence."""

    def __init__(self, tokenizer: Any):
        self._tokenizer = tokenizer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    def __call__(self, word_lists: list[list[str]], **kwargs: Any) -> _Joined:
        return _Joined([self._tokenizer([words], **kwargs) for words in word_lists])


class _Joined:
    """One-sentence encodings behind the two accessors the extractor uses."""

    def __init__(self, encodings: list):
        self.encodings = encodings

    def __getitem__(self, key: str) -> list:
        return [encoding[key][0] for encoding in self.encodings]

    def word_ids(self, n: int) -> list[int | None]:
        return self.encodings[n].word_ids(0)


def _per_pair(score_relations):
    """`score_relations` called once per trigger (its status) and once per real (trigger, mention) pair."""
    labels = score_relations.__self__.config.label_space

    def score(states, trigger_spans, trigger_types, mention_spans, mention_labels):
        size, n_t, n_m = trigger_spans.shape[0], trigger_spans.shape[1], mention_spans.shape[1]
        relation = states.new_zeros((size, n_t, n_m, len(labels.roles)))
        status = states.new_zeros((size, n_t, len(labels.statuses)))
        for row in range(size):
            one = slice(row, row + 1)
            for i in range(n_t):
                if trigger_spans[row, i, 1] == 0:  # padding: (0, 0); a real span ends after its first token
                    continue
                trigger = (trigger_spans[one, i : i + 1], trigger_types[one, i : i + 1])
                _, s = score_relations(states[one], *trigger, mention_spans[one, :1], mention_labels[one, :1])
                status[row, i] = s[0, 0]
                for j in range(n_m):
                    if mention_spans[row, j, 1] == 0:
                        continue
                    r, _ = score_relations(
                        states[one], *trigger, mention_spans[one, j : j + 1], mention_labels[one, j : j + 1]
                    )
                    relation[row, i, j] = r[0, 0, 0]
        return relation, status

    return score


# -- the extractor's loops as they were before (kept verbatim for the side-by-side measurement) ----------------------


@dataclass
class _LoopUnit:
    article: int
    words: list[tuple[int, int]]
    input_ids: list[int]
    word_ids: list[int | None]
    mentions: list[WordSpan] = field(default_factory=list)
    triggers: list[WordSpan] = field(default_factory=list)
    decoded: list[tuple] = field(default_factory=list)


class PerTokenLoopsExtractor(EventExtractor):
    """`_units` and `_run` as they were before the per-sentence loops left the hot path."""

    def _units(self, records: list[Document]) -> list:
        sentences, encoded = self._tokenized_sentences(records)  # shared: the loops below are the lever
        # The windows and special tokens are the shipped ones too (plan_windows, the tokenizer's own frame).
        before, after, budget = self.special_before, self.special_after, self.window_budget
        units: list[_LoopUnit] = []
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
            for w_start, w_end in plan_windows(counts, budget, self.window_stride)[0]:
                t_start = first_token[w_start]
                t_end = first_token[w_end] if w_end < len(words) else len(ids)
                window_ids = ids[t_start:t_end][:budget]
                window_word_ids = [None if w is None else w - w_start for w in word_ids[t_start:t_end]][:budget]
                frame_word_ids = [None] * len(before) + window_word_ids + [None] * len(after)
                units.append(_LoopUnit(article, words[w_start:w_end], [*before, *window_ids, *after], frame_word_ids))
        return units

    def run_units(self, units: list, batch_size: int = 32, progress: bool | None = False, batches=None) -> None:
        # Sorted batches as shipped, each built by the old `_run` from its units' lists.
        order = sorted(range(len(units)), key=lambda i: len(units[i].input_ids))
        for begin in range(0, len(order), batch_size):
            self._run([units[i] for i in order[begin : begin + batch_size]])

    @torch.inference_mode()
    def _run(self, batch: list) -> None:
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
