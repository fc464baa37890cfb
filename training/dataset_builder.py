"""Labeled articles -> a `datasets.DatasetDict` of tokenised, labeled sentence windows (train/dev/test).

One row is one window of one sentence unit (a sentence, or sentences joined
because an argument or a span crosses them). Per row:

- `words`, `word_starts`, `word_ends`: the words, offsets relative to the row's
  `text` (which is `article.text[char_start:char_end]`).
- `mention_tags`, `trigger_tags`: word-level BIO tag ids (two sequences, since
  triggers and mentions may overlap); -1 marks a word not labeled in this row
  (a span cut by the window edge, or mentions outside trigger sentences, which
  docs/schema.md section 8 does not annotate exhaustively).
- `input_ids`, `attention_mask` (...): the encoder's tokens; `word_ids` maps each
  token to its word (-1 for special tokens); `mention_labels`/`trigger_labels`
  are the tags aligned to tokens (-100 where ignored).
- `mentions`, `triggers`: every span wholly inside the window, with word and
  token spans (end exclusive, token indices count the special tokens);
  `in_tags` says whether the BIO tags hold it (nested spans do not).
- `relations`: every (trigger, candidate mention) pair in the window, indices
  into `triggers` and `mentions`, role "none" (id 0) when it is no argument.

Label names live in the features (`ClassLabel`); the schema they come from is
in each split's `info.description` (read it back with `schema_of(dataset)`).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.config import RunConfig
from parley.documents import Article, Entity, LabeledEvent
from parley.encoders import resolve_encoder
from parley.formats.readers import read_articles
from parley.model.encoding import IGNORE_INDEX, align_labels, plan_windows, word_span_to_token_span
from parley.model.labels import NO_ROLE, OUTSIDE, LabelSpace
from parley.schema import Schema, load_schema
from parley.text import split_sentences, split_words
from parley.training.augment import augmented
from parley.training.build_summary import BuildSummary, SplitCounts
from parley.training.splits import SPLITS, assign_splits, group_articles, normalise_sentence

# Word tag of a word that carries no label in a row (ClassLabel's "missing" value).
UNLABELED = -1


@dataclass
class BuiltDataset:
    """The built `DatasetDict` (train/dev/test), its label space and its summary."""

    datasets: Any  # datasets.DatasetDict
    summary: BuildSummary
    schema: Schema
    label_space: LabelSpace

    def save(self, path: str) -> None:
        """Save the datasets (`load_from_disk(path)` reads them back) and `build_summary.json` beside them."""
        # datasets writes no shard for an empty split and then cannot load it back; ask for one.
        shards = {name: 1 if len(split) == 0 else None for name, split in self.datasets.items()}
        self.datasets.save_to_disk(path, num_shards=shards)
        summary = Path(path) / "build_summary.json"
        summary.write_text(json.dumps(self.summary.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_tokenizer(encoder: str) -> Any:
    """The encoder's fast tokenizer, ready for pre-split words."""
    from transformers import AutoTokenizer

    path = resolve_encoder(encoder)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if not tokenizer.is_fast:
        raise ValueError(f"{encoder}: the dataset builder needs a fast tokenizer (word ids), got {type(tokenizer)}")
    try:
        tokenizer(["a", "b"], is_split_into_words=True)
    except (TypeError, ValueError, AssertionError):
        # Byte-level BPE tokenizers (RoBERTa, GPT-2) only take pre-split words with a prefix space.
        tokenizer = AutoTokenizer.from_pretrained(path, add_prefix_space=True)
    return tokenizer


def dataset_features(label_space: LabelSpace, model_input_names: Sequence[str]) -> Any:
    """The `datasets.Features` of a built dataset's rows."""
    from datasets import ClassLabel, Features, List, Value

    span = {
        "word_start": Value("int32"),
        "word_end": Value("int32"),
        "token_start": Value("int32"),
        "token_end": Value("int32"),
        "in_tags": Value("bool"),
    }
    inputs = {name: List(Value("int32" if name == "input_ids" else "int8")) for name in model_input_names}
    return Features(
        {
            "article_id": Value("string"),
            "unit_index": Value("int32"),
            "window_index": Value("int32"),
            "char_start": Value("int32"),
            "char_end": Value("int32"),
            "text": Value("string"),
            "words": List(Value("string")),
            "word_starts": List(Value("int32")),
            "word_ends": List(Value("int32")),
            "mentions_exhaustive": Value("bool"),
            "mention_tags": List(ClassLabel(names=list(label_space.mention_tags))),
            "trigger_tags": List(ClassLabel(names=list(label_space.trigger_tags))),
            **inputs,
            "word_ids": List(Value("int32")),
            "mention_labels": List(Value("int32")),
            "trigger_labels": List(Value("int32")),
            "mentions": List(
                {"id": Value("string"), "label": ClassLabel(names=list(label_space.mention_labels)), **span}
            ),
            "triggers": List(
                {
                    "event_id": Value("string"),
                    "type": ClassLabel(names=list(label_space.event_types)),
                    "status": ClassLabel(names=list(label_space.statuses)),
                    **span,
                }
            ),
            "relations": List(
                {
                    "trigger": Value("int32"),
                    "mention": Value("int32"),
                    "role": ClassLabel(names=list(label_space.roles)),
                }
            ),
        }
    )


@dataclass
class _Span:
    """A mention or trigger mapped onto the words of its sentence unit."""

    start: int  # word index in the unit, inclusive
    end: int  # exclusive
    in_tags: bool = True
    entity: Entity | None = None
    event: LabeledEvent | None = None


class _ArticleBuilder:
    """Turns one article into rows; holds what every article shares (tokenizer, labels, lengths)."""

    def __init__(self, tokenizer: Any, schema: Schema, label_space: LabelSpace, config: RunConfig):
        self.tokenizer = tokenizer
        self.max_length = config.data.max_length
        self.budget = config.data.max_length - tokenizer.num_special_tokens_to_add(pair=False)
        if self.budget < 1:
            raise ValueError(f"data.max_length {config.data.max_length} leaves no room beside the special tokens")
        self.stride = config.data.window_stride
        self.label_all_subwords = config.data.label_all_subwords
        self.input_names = list(tokenizer.model_input_names)
        self.mention_tag = {tag: i for i, tag in enumerate(label_space.mention_tags)}
        self.trigger_tag = {tag: i for i, tag in enumerate(label_space.trigger_tags)}
        self.mention_continuation = _continuation(label_space.mention_tags)
        self.trigger_continuation = _continuation(label_space.trigger_tags)
        # Mentions that some role accepts are paired with every trigger of their sentence.
        self.candidates = {label for role in schema.roles.values() for label in role.labels}

    def units(self, article: Article, counts: SplitCounts) -> tuple[list[tuple[int, int]], list[str]]:
        """Sentence units (char spans; sentences joined where a span or an argument crosses them) and sentence texts."""
        sentences = split_sentences(article.text)

        def covered(start: int, end: int) -> tuple[int, int] | None:
            hit = _overlapping(sentences, start, end)
            return None if hit is None else (hit[0], hit[1] - 1)

        join = [False] * len(sentences)  # join[i]: sentence i and i + 1 are one unit

        def link(first: int, last: int) -> None:
            for i in range(first, last):
                join[i] = True

        spans = [(e.start, e.end) for e in article.entities] + [
            (ev.trigger.start, ev.trigger.end) for ev in article.events
        ]
        for start, end in spans:
            hit = covered(start, end)
            if hit and hit[0] != hit[1]:
                counts.issues["spans_across_sentences"] += 1
                link(*hit)
        for event in article.events:
            trigger = covered(event.trigger.start, event.trigger.end)
            for argument in event.arguments:
                entity = article.entity(argument.entity)
                mention = covered(entity.start, entity.end)
                if trigger and mention and mention != trigger:
                    counts.issues["cross_sentence_arguments"] += 1
                    link(min(trigger[0], mention[0]), max(trigger[1], mention[1]))
        units: list[tuple[int, int]] = []
        first = 0
        for i, (_, end) in enumerate(sentences):
            if not join[i]:
                if i > first:
                    counts.issues["joined_units"] += 1
                units.append((sentences[first][0], end))
                first = i + 1
        texts = [normalise_sentence(article.text[start:end]) for start, end in sentences]
        return units, texts

    def build(self, article: Article, counts: SplitCounts) -> tuple[list[dict[str, Any]], list[str]]:
        """The rows of one article and its sentence texts; adds what it finds to `counts`."""
        counts.articles += 1
        units, texts = self.units(article, counts)
        entity_unit = {e.id: _unit_of(units, e.start, e.end) for e in article.entities}
        rows: list[dict[str, Any]] = []
        for index, unit in enumerate(units):
            entities = [e for e in article.entities if entity_unit[e.id] == index]
            events = [ev for ev in article.events if _unit_of(units, ev.trigger.start, ev.trigger.end) == index]
            rows += self._unit_rows(article, index, unit, entities, events, counts)
        outside = sum(unit is None for unit in entity_unit.values())
        outside += sum(_unit_of(units, ev.trigger.start, ev.trigger.end) is None for ev in article.events)
        counts.issues["spans_without_words"] += outside
        return rows, texts

    def _unit_rows(
        self,
        article: Article,
        unit_index: int,
        unit: tuple[int, int],
        entities: list[Entity],
        events: list[LabeledEvent],
        counts: SplitCounts,
    ) -> list[dict[str, Any]]:
        counts.sentences += 1
        words, costs = self._words(article.text, unit, entities, events, counts)
        mentions = [_Span(s, e, entity=x) for x, (s, e) in self._map_spans(words, entities, counts)]
        triggers = [_Span(s, e, event=x) for x, (s, e) in self._map_spans(words, events, counts)]
        counts.issues["nested_mentions"] += _choose_outermost(mentions, counts, "crossing_mentions")
        counts.issues["overlapping_triggers"] += _choose_outermost(triggers, counts, "overlapping_triggers")
        counts.mentions.update(m.entity.label for m in mentions)
        counts.triggers.update(t.event.type for t in triggers)
        counts.statuses.update(t.event.status for t in triggers)
        role_of = _gold_roles(triggers, counts)
        windows = self._windows(costs, mentions, triggers, role_of, counts)

        # Mentions are annotated exhaustively only in sentences that hold a trigger (docs/schema.md section 8).
        exhaustive = bool(triggers)
        mention_tags = _tags(len(words), mentions, lambda s: s.entity.label, self.mention_tag, exhaustive)
        trigger_tags = _tags(len(words), triggers, lambda s: s.event.type, self.trigger_tag, True)
        rows = []
        for window_index, (start, end) in enumerate(windows):
            row, word_ids = self._encode(article, words[start:end], sum(costs[start:end]) > self.budget)
            row.update(unit_index=unit_index, window_index=window_index, mentions_exhaustive=exhaustive)
            row["mention_tags"] = _cut(mention_tags, mentions, start, end)
            row["trigger_tags"] = _cut(trigger_tags, triggers, start, end)
            row["mention_labels"] = self._align(word_ids, row["mention_tags"], self.mention_continuation)
            row["trigger_labels"] = self._align(word_ids, row["trigger_tags"], self.trigger_continuation)
            inside_m = [m for m in mentions if start <= m.start and m.end <= end]
            inside_t = [t for t in triggers if start <= t.start and t.end <= end]
            row["mentions"] = [
                {"id": m.entity.id, "label": m.entity.label, **_local(m, start, word_ids)} for m in inside_m
            ]
            row["triggers"] = [
                {"event_id": t.event.id, "type": t.event.type, "status": t.event.status, **_local(t, start, word_ids)}
                for t in inside_t
            ]
            row["relations"] = [
                {"trigger": ti, "mention": mi, "role": role_of.get((t.event.id, m.entity.id), NO_ROLE)}
                for ti, t in enumerate(inside_t)
                for mi, m in enumerate(inside_m)
                if m.entity.label in self.candidates
            ]
            counts.windows += 1
            counts.tokens += len(row["input_ids"])
            rows.append(row)
        return rows

    def _words(
        self,
        text: str,
        unit: tuple[int, int],
        entities: list[Entity],
        events: list[LabeledEvent],
        counts: SplitCounts,
    ) -> tuple[list[tuple[int, int]], list[int]]:
        """The unit's words (cut at span edges, without words that have no subword) and their subword counts."""
        edges = {edge for e in entities for edge in (e.start, e.end)}
        edges |= {edge for ev in events for edge in (ev.trigger.start, ev.trigger.end)}
        words = split_words(text, unit[0], unit[1], breaks=edges)
        counts.issues["split_words"] += len(words) - len(split_words(text, unit[0], unit[1]))
        costs = [0] * len(words)
        if words:
            encoding = self.tokenizer([text[s:e] for s, e in words], is_split_into_words=True, add_special_tokens=False)
            for word_id in encoding.word_ids():
                if word_id is not None:
                    costs[word_id] += 1
        kept = [i for i, cost in enumerate(costs) if cost > 0]
        counts.issues["dropped_words"] += len(words) - len(kept)
        counts.issues["truncated_words"] += sum(cost > self.budget for cost in costs)
        return [words[i] for i in kept], [costs[i] for i in kept]

    def _map_spans(
        self, words: list[tuple[int, int]], items: list[Any], counts: SplitCounts
    ) -> list[tuple[Any, tuple[int, int]]]:
        """Each mention or event with the word span `[start, end)` of it (or of its trigger)."""
        mapped = []
        for item in items:
            span = item.trigger if isinstance(item, LabeledEvent) else item
            hit = _overlapping(words, span.start, span.end)
            if hit is None:
                counts.issues["spans_without_words"] += 1
            else:
                mapped.append((item, hit))
        return mapped

    def _windows(
        self,
        costs: list[int],
        mentions: list[_Span],
        triggers: list[_Span],
        role_of: dict[tuple[str, str], str],
        counts: SplitCounts,
    ) -> list[tuple[int, int]]:
        """Windows that hold, where they can, each event whole, then each relation pair, mention and trigger."""
        by_id = {m.entity.id: m for m in mentions}
        required: list[tuple[int, int]] = []
        kinds: list[str] = []
        for t in triggers:
            required.append(_envelope([t, *(by_id[a.entity] for a in t.event.arguments if a.entity in by_id)]))
            kinds.append("event")
        for t in triggers:
            for m in mentions:
                if m.entity.label in self.candidates:
                    role = role_of.get((t.event.id, m.entity.id), NO_ROLE)
                    counts.pairs[role] += 1
                    required.append(_envelope([t, m]))
                    kinds.append(role)
        for span in [*mentions, *triggers]:
            required.append((span.start, span.end))
            kinds.append("span")
        windows, unfit = plan_windows(costs, self.budget, self.stride, required)
        counts.issues["windowed_units"] += len(windows) > 1
        for index in unfit:
            kind = kinds[index]
            if kind in ("event", "span"):
                counts.issues[f"unfit_{kind}s"] += 1
            else:
                counts.issues["unfit_pairs"] += 1
                counts.unfit_pairs[kind] += 1
        return windows

    def _encode(self, article: Article, words: list[tuple[int, int]], too_long: bool) -> tuple[dict, list]:
        """The text, word and token columns of one window, and the tokens' word ids."""
        char_start, char_end = words[0][0], words[-1][1]
        texts = [article.text[s:e] for s, e in words]
        # Only a window of one word longer than the budget is truncated; `truncated_words` counts it.
        encoding = self.tokenizer(texts, is_split_into_words=True, truncation=too_long, max_length=self.max_length)
        word_ids = encoding.word_ids()
        row = {
            "article_id": article.id,
            "char_start": char_start,
            "char_end": char_end,
            "text": article.text[char_start:char_end],
            "words": texts,
            "word_starts": [s - char_start for s, _ in words],
            "word_ends": [e - char_start for _, e in words],
            "word_ids": [-1 if w is None else w for w in word_ids],
        }
        for name in self.input_names:
            row[name] = list(encoding[name])
        return row, word_ids

    def _align(self, word_ids: list[int | None], tags: list[int], continuation: list[int]) -> list[int]:
        word_labels = [IGNORE_INDEX if tag == UNLABELED else tag for tag in tags]
        return align_labels(word_ids, word_labels, self.label_all_subwords, continuation)


def _gold_roles(triggers: list[_Span], counts: SplitCounts) -> dict[tuple[str, str], str]:
    """(event id, mention id) -> role; a second role for the same pair is counted and dropped."""
    roles: dict[tuple[str, str], str] = {}
    for t in triggers:
        for argument in t.event.arguments:
            key = (t.event.id, argument.entity)
            if key in roles:
                counts.issues["multi_role_pairs"] += 1
            else:
                roles[key] = argument.role
    return roles


def _tags(n: int, spans: list[_Span], label_of, tag_id: dict[str, int], exhaustive: bool) -> list[int]:
    """Word-level BIO tag ids of the spans the tags hold; all UNLABELED when the spans are not exhaustive."""
    if not exhaustive:
        return [UNLABELED] * n
    tags = [tag_id[OUTSIDE]] * n
    for span in spans:
        if span.in_tags:
            label = label_of(span)
            tags[span.start : span.end] = [tag_id[f"B-{label}"]] + [tag_id[f"I-{label}"]] * (span.end - span.start - 1)
    return tags


def _continuation(tags: Sequence[str]) -> list[int]:
    """For each tag id, the id used on a word's later subwords (B-X -> I-X, others unchanged)."""
    index = {tag: i for i, tag in enumerate(tags)}
    return [index["I-" + tag[2:]] if tag.startswith("B-") else i for i, tag in enumerate(tags)]


def schema_of(dataset: Any) -> Schema:
    """The schema a built dataset's labels come from (stored in its `info.description`)."""
    return Schema.from_dict(json.loads(dataset.info.description)["schema"], origin="dataset info")


def _overlapping(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """Indices `[first, last + 1)` of the sorted, disjoint `spans` that overlap `[start, end)`, or None."""
    first = max(bisect.bisect_right(spans, (start, float("inf"))) - 1, 0)
    while first < len(spans) and spans[first][1] <= start:
        first += 1
    last = first
    while last < len(spans) and spans[last][0] < end:
        last += 1
    return (first, last) if last > first else None


def _unit_of(units: list[tuple[int, int]], start: int, end: int) -> int | None:
    for index, (u_start, u_end) in enumerate(units):
        if u_start < end and start < u_end:
            return index
    return None


def _envelope(spans: list[_Span]) -> tuple[int, int]:
    return min(s.start for s in spans), max(s.end for s in spans)


def _choose_outermost(spans: list[_Span], counts: SplitCounts, crossing_key: str) -> int:
    """Mark which spans the BIO tags hold (outermost first); return how many sit inside a kept one."""
    nested = 0
    kept: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        overlapping = [k for k in kept if k.start < span.end and span.start < k.end]
        if not overlapping:
            kept.append(span)
            continue
        span.in_tags = False
        if any(k.start <= span.start and span.end <= k.end for k in overlapping):
            nested += 1
        else:
            counts.issues[crossing_key] += 1
    return nested


def _cut(tags: list[int], spans: list[_Span], start: int, end: int) -> list[int]:
    """The window's slice of unit-level tags, with spans cut by the window edge unlabeled."""
    window = tags[start:end]
    for span in spans:
        if span.in_tags and span.start < end and start < span.end and not (start <= span.start and span.end <= end):
            for i in range(max(span.start, start), min(span.end, end)):
                window[i - start] = UNLABELED
    return window


def _local(span: _Span, window_start: int, word_ids: list[int | None]) -> dict[str, Any]:
    word_start, word_end = span.start - window_start, span.end - window_start
    tokens = word_span_to_token_span(word_ids, word_start, word_end) or (-1, -1)
    return {
        "word_start": word_start,
        "word_end": word_end,
        "token_start": tokens[0],
        "token_end": tokens[1],
        "in_tags": span.in_tags,
    }


def build_dataset(config: RunConfig) -> BuiltDataset:
    """Read, split, sentence-split, tokenise and label the articles of a run config."""
    from datasets import Dataset, DatasetDict, DatasetInfo

    schema = load_schema(config.data.schema)
    if NO_ROLE in schema.roles:
        raise ValueError(f"schema role {NO_ROLE!r} is reserved for pairs that are no argument")
    label_space = LabelSpace.from_schema(schema)
    articles, split_of, skipped, notes, groups = _read_and_split(config, schema)
    if config.data.augment_names:
        copies = augmented(
            [a for a in articles if split_of[a.id] == "train"], config.data.augment_names, config.data.split_seed
        )
        split_of.update((copy.id, "train") for copy in copies)
        articles += copies
        notes.append(f"{len(copies)} name-swapped cop(ies) of training articles added (data.augment_names)")
    tokenizer = load_tokenizer(config.model.encoder)
    builder = _ArticleBuilder(tokenizer, schema, label_space, config)
    features = dataset_features(label_space, builder.input_names)

    counts = {name: SplitCounts() for name in SPLITS}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLITS}
    sentence_splits: dict[str, set[str]] = {}
    for article in articles:
        split = split_of[article.id]
        article_rows, texts = builder.build(article, counts[split])
        rows[split] += article_rows
        for text in texts:
            sentence_splits.setdefault(text, set()).add(split)
    leaked = sum(len(splits) > 1 for splits in sentence_splits.values())
    if leaked:
        # Only explicit train/dev/test paths can do this; the ratio split groups such articles.
        notes.append(f"{leaked} sentence text(s) occur in more than one split (explicit split paths)")

    info = json.dumps({"schema": schema.to_dict()}, ensure_ascii=False)
    splits = {}
    for name in SPLITS:
        # Columns in the order of the features, whether or not the split has rows.
        columns = {key: [row[key] for row in rows[name]] for key in features}
        splits[name] = Dataset.from_dict(
            columns, features=features, info=DatasetInfo(description=info, features=features)
        )
    for name in ("dev", "test"):
        if not rows[name]:
            notes.append(f"{name} is empty ({len(articles)} article(s) in {groups} group(s))")
    summary = BuildSummary(counts, label_space, skipped, notes, groups)
    return BuiltDataset(DatasetDict(splits), summary, schema, label_space)


def _read_and_split(
    config: RunConfig, schema: Schema
) -> tuple[list[Article], dict[str, str], list[str], list[str], int]:
    data = config.data
    notes: list[str] = []
    skipped: list[str] = []
    if data.train_paths is not None:
        articles: list[Article] = []
        split_of: dict[str, str] = {}
        for name, paths in zip(SPLITS, (data.train_paths, data.dev_paths, data.test_paths), strict=True):
            result = read_articles(paths or [], schema, lenient=data.lenient)
            skipped += [str(error) for error in result.errors]
            for article in result.articles:
                if article.id in split_of:
                    raise ValueError(
                        f"{article.origin}: article {article.id!r} is in both {split_of[article.id]} and {name}"
                    )
                split_of[article.id] = name
                articles.append(article)
        notes.append("splits come from data.train_paths/dev_paths/test_paths; data.paths and data.split are unused")
        groups = len(articles)
    else:
        result = read_articles(data.paths, schema, lenient=data.lenient)
        skipped = [str(error) for error in result.errors]
        articles = result.articles
        texts = {a.id: {normalise_sentence(a.text[s:e]) for s, e in split_sentences(a.text)} for a in articles}
        grouped = group_articles(texts)
        split_of = assign_splits(grouped, data.split, data.split_seed)
        groups = len(grouped)
        if data.test_paths is not None:
            # data.paths is split into train/dev by ratio (split.test is 0); the test split is data.test_paths.
            result = read_articles(data.test_paths, schema, lenient=data.lenient)
            skipped += [str(error) for error in result.errors]
            for article in result.articles:
                if article.id in split_of:
                    raise ValueError(
                        f"{article.origin}: article {article.id!r} is in both data.paths and data.test_paths"
                    )
                split_of[article.id] = "test"
                articles.append(article)
            notes.append("test split comes from data.test_paths; data.paths is split into train/dev by ratio")
            groups += len(result.articles)
    if not any(split == "train" for split in split_of.values()):
        where = data.train_paths if data.train_paths is not None else data.paths
        raise ValueError(f"no valid labeled articles for train under {where}")
    return articles, split_of, skipped, notes, groups
