"""`EventExtractor`: load a trained checkpoint and extract events from texts or articles in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import AutoTokenizer

from parley.documents import ACCEPTED, Document, as_documents, is_one_document
from parley.inference.checkpoint import (
    ModelFolderError,
    check_model_folder,
    model_dtype,
    quantize_int8,
    quiet_loading,
    resolve_runtime,
)
from parley.inference.decoding import decode_bio_tagged
from parley.inference.events import Argument, Event, Extraction, Mention
from parley.inference.model_units import Unit, batch_arrays, plan_batches, to_mention, token_span
from parley.inference.time_resolution import resolve_extraction_times
from parley.model import ParleyModel
from parley.model.encoding import plan_windows, special_token_frame
from parley.model.labels import NO_ROLE, OUTSIDE
from parley.text import split_sentences, split_words


@dataclass
class Thresholds:
    """Minimum scores (mean tag probability for spans, role probability for arguments) to keep a prediction."""

    trigger: float = 0.0
    mention: float = 0.0
    argument: float = 0.0


class EventExtractor:
    """A trained parley model with its tokenizer, ready to extract events."""

    def __init__(
        self,
        model: ParleyModel,
        tokenizer,
        device: str | torch.device | None = None,
        thresholds: Thresholds | None = None,
        window_stride: int | None = None,
        encoder: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    ):
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        # (input ids, attention mask) -> encoder states: the model's own, or one on another runtime (ONNX).
        self.encoder = encoder or self.model.encode
        # How the model runs, as a run's state records it (`from_pretrained` sets what it chose).
        self.runtime, self.int8 = ("torch" if encoder is None else "custom"), False
        self.tokenizer = tokenizer
        # Explicit thresholds win; else those tuned on dev and saved with the model; else none.
        self.thresholds = thresholds or Thresholds(**(getattr(model.config, "thresholds", None) or {}))
        # Words shared by the windows of a long sentence: as in training (saved in the checkpoint) unless given.
        self.window_stride = int(model.config.window_stride if window_stride is None else window_stride)
        self.labels = model.config.label_space
        self.schema = model.config.schema_obj
        self.max_length = int(model.config.max_seq_length)
        # The tokenizer's own special tokens around each model input ([CLS] ... [SEP] for BERT, none for some).
        self.special_before, self.special_after = special_token_frame(tokenizer)
        self.window_budget = self.max_length - len(self.special_before) - len(self.special_after)
        if self.window_budget < 1:
            raise ValueError(f"max_seq_length {self.max_length} leaves no room beside the special tokens")
        self._event_index = {label: i for i, label in enumerate(self.labels.event_types)}
        self._mention_index = {label: i for i, label in enumerate(self.labels.mention_labels)}
        candidate_labels = {label for role in self.schema.roles.values() for label in role.labels}
        self._candidate_labels = candidate_labels
        # Per mention label, the roles the schema lets it fill (`none` not among them).
        self._allowed_roles = torch.tensor(
            [[r != NO_ROLE and self.schema.allows(r, m) for r in self.labels.roles] for m in self.labels.mention_labels]
        )

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        device: str | None = None,
        int8: bool = False,
        dtype: str | torch.dtype | None = None,
        runtime: str = "auto",
        **kwargs: Any,
    ) -> EventExtractor:
        """Load a checkpoint folder written by `parley train` (weights, config, tokenizer).

        `runtime` (default "auto"): on a CPU, the encoder on ONNX Runtime with static int8, the heads in torch
        float32 (1.7-2.3x torch float32 within 0.007 F1; docs/onnx.md); on a GPU, torch. "torch": the checkpoint
        as trained, float32 unless `int8=True` (every linear layer dynamically quantised, CPU only; see
        `quantize_int8`) or `dtype` ("float16", "bfloat16": cast for a GPU's half-precision units). "onnx": the
        encoder on ONNX Runtime, CPU only, float32 or with `int8=True` static int8
        (`parley.inference.onnx_runtime`). The chosen pair is kept as `runtime` and `int8`.
        """
        runtime, int8 = resolve_runtime(runtime, int8, device, dtype)
        folder = check_model_folder(path)
        try:
            with quiet_loading():
                model = ParleyModel.from_pretrained(str(folder))
        except (ValueError, OSError, KeyError, AttributeError, TypeError) as err:
            # A parley config.json whose content does not build the model (hand-edited, another version).
            raise ModelFolderError(f"{path}: not a loadable parley checkpoint ({type(err).__name__}: {err})") from err
        if runtime == "onnx":
            from parley.inference.onnx_runtime import onnx_encoder

            # int8: calibrated (static) scales, so an article's scores do not depend on its batch (docs/onnx.md).
            kwargs["encoder"], device = onnx_encoder(folder, model, "int8-static" if int8 else "fp32"), "cpu"
        elif int8:
            if device not in (None, "cpu"):
                raise ValueError(f"int8: quantised layers run on the CPU only, got device={device!r}")
            if dtype is not None and model_dtype(dtype) != torch.float32:
                raise ValueError(f"int8 and dtype={dtype!r} exclude each other: int8 replaces the float weights")
            model, device = quantize_int8(model), "cpu"
        elif dtype is not None:
            model = model.to(model_dtype(dtype))
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder))
        except (ValueError, OSError) as err:
            raise ModelFolderError(f"{path}: its tokenizer does not load ({err})") from err
        extractor = cls(model, tokenizer, device=device, **kwargs)
        extractor.runtime, extractor.int8 = runtime, int8
        return extractor

    def predict(self, x: str | dict | list, batch_size: int = 32) -> list[Event] | list[list[Event]]:
        """Events of one article (a text, an article dict or an Article -> list of events) or of a list of
        them (-> list of lists, same order)."""
        if is_one_document(x):
            return self.extract([x], batch_size=batch_size)[0].events
        if isinstance(x, bytes | bytearray) or x is None or not isinstance(x, Iterable):
            extra = "; decode bytes to str first" if isinstance(x, bytes | bytearray) else ""
            raise TypeError(f"predict: got {type(x).__name__}; expected {ACCEPTED}, or a list of them{extra}")
        return [extraction.events for extraction in self.extract(list(x), batch_size=batch_size)]

    def extract(self, articles: list, batch_size: int = 32, progress: bool | None = False) -> list[Extraction]:
        """Mentions and events of each article of a list, in input order.

        `progress`: a bar over the model inputs (sentences or windows) on stderr; None: only on a terminal.
        """
        records = as_documents(articles)
        units = self._units(records)
        self.run_units(units, batch_size=batch_size, progress=progress)
        return self._assemble(records, units)

    def run_units(
        self, units: list[Unit], batch_size: int = 32, progress: bool | None = False, batches: list | None = None
    ) -> None:
        """The model pass over prepared units (`_units`): batches of similar length; fills each unit's spans.

        `batches`: `plan_batches(units, batch_size, ...)` made elsewhere (a worker process), else made here.
        """
        if batches is None:
            batches = plan_batches(units, batch_size, self.tokenizer.pad_token_id or 0)
        # tqdm's disable=None: shown only when stderr is a terminal.
        disable = None if progress is None else not progress
        with tqdm(total=len(units), unit="sentence", desc="extract", disable=disable, dynamic_ncols=True) as bar:
            for group, arrays in batches:
                self._run([units[i] for i in group], arrays)
                bar.update(len(group))

    # -- preparation -------------------------------------------------------------------------------------------
    def _tokenized_sentences(self, records: list[Document]) -> tuple[list[tuple[int, list[tuple[int, int]]]], Any]:
        """Each sentence with words as (article index, word offsets), and their encoding: one tokenizer call."""
        sentences: list[tuple[int, list[tuple[int, int]]]] = []
        for index, record in enumerate(records):
            text = record.text
            for start, end in split_sentences(text):
                words = split_words(text, start, end)
                if words:
                    sentences.append((index, words))
        if not sentences:
            return [], None
        word_lists = [[records[a].text[s:e] for s, e in words] for a, words in sentences]
        # One fast-tokenizer call for every sentence; windows slice its output.
        return sentences, self.tokenizer(word_lists, is_split_into_words=True, add_special_tokens=False)

    def _units(self, records: list[Document]) -> list[Unit]:
        sentences, encoded = self._tokenized_sentences(records)
        budget, first = self.window_budget, len(self.special_before)  # first: the first content token's position
        units: list[Unit] = []
        for n, (article, words) in enumerate(sentences):
            ids = encoded["input_ids"][n]
            counts = [0] * len(words)
            for w in encoded.word_ids(n):
                if w is not None:
                    counts[w] += 1
            starts = list(accumulate(counts, initial=0))  # each word's first token; the token count last
            windows, _ = plan_windows(counts, budget, self.window_stride)
            for w_start, w_end in windows:
                offset = starts[w_start]
                # min: a lone word longer than the budget is cut to it.
                spans = [
                    (first + min(starts[w] - offset, budget), first + min(starts[w + 1] - offset, budget))
                    for w in range(w_start, w_end)
                ]
                window_ids = ids[offset : starts[w_end]][:budget]
                input_ids = [*self.special_before, *window_ids, *self.special_after]
                token_words = [-1] * len(input_ids)
                for w, (t_start, t_end) in enumerate(spans):
                    if t_start < t_end:
                        token_words[t_start] = w
                units.append(Unit(article, words[w_start:w_end], input_ids, spans, token_words))
        return units

    # -- model --------------------------------------------------------------------------------------------------
    def _encode(self, batch: list[Unit], arrays: tuple | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder states of a batch of units, padded to the longest, and its token words (`batch_arrays`)."""
        input_ids, attention, token_words = arrays or batch_arrays(batch, self.tokenizer.pad_token_id or 0)
        attention = torch.from_numpy(attention).to(self.device)
        states = self.encoder(torch.from_numpy(input_ids).to(self.device), attention)
        return states, torch.from_numpy(token_words).to(self.device)

    @torch.inference_mode()
    def tag_margins(self, articles: list, batch_size: int = 32) -> list[dict[tuple[int, int], tuple[float, float]]]:
        """Per article, each word's (start, end) -> (mention margin, trigger margin): the top tag's probability
        minus the runner-up's, on the word's first subword. A small margin is a tag the model nearly chose
        otherwise; a word seen by two windows keeps the smaller one. No relation pass: a cheap uncertainty."""
        records = as_documents(articles)
        units = sorted(self._units(records), key=lambda u: len(u.input_ids))
        margins: list[dict[tuple[int, int], tuple[float, float]]] = [{} for _ in records]
        for begin in range(0, len(units), batch_size):
            batch = units[begin : begin + batch_size]
            states, _ = self._encode(batch)
            heads = (self.model.mention_head, self.model.trigger_head)
            top_two = [head(states).float().softmax(-1).topk(2, dim=-1).values for head in heads]
            mention, trigger = ((top[..., 0] - top[..., 1]).cpu().tolist() for top in top_two)
            for row, unit in enumerate(batch):
                found = margins[unit.article]
                for word, (first, end) in zip(unit.words, unit.token_spans, strict=True):
                    if first < end:
                        pair = (mention[row][first], trigger[row][first])
                        old = found.get(word, pair)
                        found[word] = (min(old[0], pair[0]), min(old[1], pair[1]))
        return margins

    @torch.inference_mode()
    def _run(self, batch: list[Unit], arrays: tuple | None = None) -> None:
        states, token_words = self._encode(batch, arrays)
        starts = token_words >= 0
        labels, thresholds = self.labels, self.thresholds
        for head, tags, kind, threshold in (
            (self.model.mention_head, labels.mention_tags, "mentions", thresholds.mention),
            (self.model.trigger_head, labels.trigger_tags, "triggers", thresholds.trigger),
        ):
            score, tag = head(states).float().softmax(-1).max(-1)  # scores in float32 whatever the model's dtype
            # Only the first subwords of words tagged other than O leave the device: most words are outside.
            hit = (tag != tags.index(OUTSIDE)) & starts
            rows = hit.nonzero()[:, 0].tolist()
            tagged: list[list] = [[] for _ in batch]
            found = zip(rows, token_words[hit].tolist(), tag[hit].tolist(), score[hit].tolist(), strict=True)
            for row, word, tag_id, p in found:
                tagged[row].append((word, tags[tag_id], p))
            for unit, words in zip(batch, tagged, strict=True):
                if words:
                    setattr(unit, kind, [span for span in decode_bio_tagged(words) if span.score >= threshold])
        if any(u.triggers for u in batch):
            self._relations(batch, states)

    def _relations(self, batch: list[Unit], states: torch.Tensor) -> None:
        """Each trigger's status and arguments: every (trigger, mention) pair of the batch in one head call."""
        candidates = [[s for s in u.mentions if s.label in self._candidate_labels] for u in batch]
        n_t, n_m = max(len(u.triggers) for u in batch), max(1, max(map(len, candidates)))
        event_index, mention_index = self._event_index, self._mention_index

        def padded(items: list, n: int, empty: Any) -> list:
            return items + [empty] * (n - len(items))

        trigger_spans = [padded([token_span(u, s) for s in u.triggers], n_t, (0, 0)) for u in batch]
        trigger_types = [padded([event_index[s.label] for s in u.triggers], n_t, 0) for u in batch]
        mention_spans = [
            padded([token_span(u, s) for s in c], n_m, (0, 0)) for u, c in zip(batch, candidates, strict=True)
        ]
        mention_labels = _tensor([padded([mention_index[s.label] for s in c], n_m, 0) for c in candidates], self.device)
        spans_and_types = (_tensor(rows, self.device) for rows in (trigger_spans, trigger_types, mention_spans))
        relation_logits, status_logits = self.model.score_relations(states, *spans_and_types, mention_labels)
        arguments = self._arguments(relation_logits, mention_labels, batch, candidates)
        status_probs = status_logits.float().softmax(-1).cpu().tolist()
        statuses = self.labels.statuses
        for row, unit in enumerate(batch):
            unit.decoded = []
            for i, trig in enumerate(unit.triggers):
                probs = status_probs[row][i]
                status_id = max(range(len(probs)), key=probs.__getitem__)  # the first of equal maxima, as argmax
                unit.decoded.append((trig, statuses[status_id], probs[status_id], arguments.get((row, i), [])))

    def _arguments(self, relation_logits, mention_labels, batch: list[Unit], candidates: list[list]) -> dict:
        """(row, trigger) -> [(role, mention, probability)]: per real pair the most likely role the schema allows
        the mention, kept if it beats `none` and the threshold (`choose_role`, on the device for every pair)."""
        roles, device = self.labels.roles, relation_logits.device
        # float32 probabilities widened to float64, so that the threshold compares as in Python.
        probs = relation_logits.float().softmax(-1).double()
        allowed = self._allowed_roles.to(device)[mention_labels].unsqueeze(1)  # (B, 1, M, roles)
        best_p, best = probs.where(allowed, 0.0).max(-1)  # the first of equal maxima, as choose_role
        keep = (best_p > 0) & (best_p >= self.thresholds.argument) & (best_p > probs[..., roles.index(NO_ROLE)])
        n_t, n_m = probs.shape[1:3]
        triggers = _tensor([len(u.triggers) for u in batch], device)[:, None, None]
        mentions = _tensor([len(c) for c in candidates], device)[:, None, None]
        keep &= (torch.arange(n_t, device=device)[:, None] < triggers) & (torch.arange(n_m, device=device) < mentions)
        found: dict[tuple[int, int], list] = {}
        chosen = zip(keep.nonzero().tolist(), best[keep].tolist(), best_p[keep].tolist(), strict=True)
        for (row, i, j), role, p in chosen:
            found.setdefault((row, i), []).append((roles[role], candidates[row][j], p))
        return found

    # -- assembly -----------------------------------------------------------------------------------------------
    def _assemble(self, records: list[Document], units: list[Unit]) -> list[Extraction]:
        extractions = [
            Extraction(article_id=r.id, text=r.text, date=r.date, source=r.source, url=r.url) for r in records
        ]
        mentions: list[dict[tuple, Mention]] = [{} for _ in records]
        events: list[dict[tuple, Event]] = [{} for _ in records]
        for unit in units:
            text = records[unit.article].text
            for span in unit.mentions:
                m = to_mention(unit, text, span)
                key = (m.start, m.end, m.label)
                if key not in mentions[unit.article] or mentions[unit.article][key].score < m.score:
                    mentions[unit.article][key] = m
            for trig, status, status_score, arguments in unit.decoded:
                t = to_mention(unit, text, trig)
                key = (t.start, t.end, t.label)
                found = [Argument(role, to_mention(unit, text, s), p) for role, s, p in arguments]
                event = Event(t.label, status, t, found, t.score, status_score, records[unit.article].id)
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


def _tensor(rows: list, device: torch.device) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.long, device=device)
