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
in each split's `info.description` (read it back with `schema_of(dataset)`),
with the data settings, encoder and tokenizer the rows were built for
(`saved_dataset.load_built_dataset` checks them against a run's config).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.config import RunConfig
from parley.model.labels import NO_ROLE, LabelSpace
from parley.schema import Schema, load_schema
from parley.training.article_rows import ArticleRows
from parley.training.build_summary import BuildSummary, SplitCounts
from parley.training.saved_dataset import build_facts
from parley.training.split_articles import read_split_articles
from parley.training.splits import SPLITS
from parley.training.window_encoding import WindowEncoder, load_tokenizer


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


def schema_of(dataset: Any) -> Schema:
    """The schema a built dataset's labels come from (stored in its `info.description`)."""
    return Schema.from_dict(json.loads(dataset.info.description)["schema"], origin="dataset info")


def build_dataset(config: RunConfig) -> BuiltDataset:
    """Read, split, sentence-split, tokenise and label the articles of a run config."""
    from datasets import Dataset, DatasetDict, DatasetInfo

    schema = load_schema(config.data.schema)
    if NO_ROLE in schema.roles:
        raise ValueError(f"schema role {NO_ROLE!r} is reserved for pairs that are no argument")
    label_space = LabelSpace.from_schema(schema)
    found = read_split_articles(config, schema)
    encoder = WindowEncoder(load_tokenizer(config.model.encoder), config)
    builder = ArticleRows(encoder, schema, label_space)
    features = dataset_features(label_space, encoder.input_names)

    counts = {name: SplitCounts() for name in SPLITS}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLITS}
    sentence_splits: dict[str, set[str]] = {}
    for article in found.articles:
        split = found.split_of[article.id]
        article_rows, texts = builder.build(article, counts[split])
        rows[split] += article_rows
        for text in texts:
            sentence_splits.setdefault(text, set()).add(split)
    notes = found.notes
    leaked = sum(len(splits) > 1 for splits in sentence_splits.values())
    if leaked:
        # Only explicit train/dev/test paths can do this; the ratio split groups such articles.
        notes.append(f"{leaked} sentence text(s) occur in more than one split (explicit split paths)")

    info = json.dumps(build_facts(config, schema, encoder.tokenizer), ensure_ascii=False)
    splits = {}
    for name in SPLITS:
        # Columns in the order of the features, whether or not the split has rows.
        columns = {key: [row[key] for row in rows[name]] for key in features}
        splits[name] = Dataset.from_dict(
            columns, features=features, info=DatasetInfo(description=info, features=features)
        )
    for name in ("dev", "test"):
        if not rows[name]:
            notes.append(f"{name} is empty ({len(found.articles)} article(s) in {found.groups} group(s))")
    summary = BuildSummary(counts, label_space, found.skipped, notes, found.groups)
    return BuiltDataset(DatasetDict(splits), summary, schema, label_space)
