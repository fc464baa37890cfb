"""A built dataset on disk: what it was built for, and the check that a run may train from it.

`parley build-dataset` records in each split's `info.description` the schema, the run's `data` section, the
encoder and a fingerprint of its tokenizer; `parley train --dataset` reads them back and refuses a dataset whose
rows another config would not have produced.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from parley.config import RunConfig
from parley.model.labels import LabelSpace
from parley.schema import Schema, load_schema
from parley.training.checkpoints import dotted
from parley.training.window_encoding import load_tokenizer


def build_facts(config: RunConfig, schema: Schema, tokenizer: Any) -> dict[str, Any]:
    """What a dataset's rows depend on, as plain JSON values: schema, data settings, encoder and tokenizer."""
    facts = {
        "schema": schema.to_dict(),
        "data": config.to_dict()["data"],
        "model.encoder": config.model.encoder,
        "tokenizer": tokenizer_fingerprint(tokenizer),
    }
    return json.loads(json.dumps(facts, ensure_ascii=False))


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A digest of what decides the token ids: the tokenizer's class, vocabulary and special tokens."""
    vocabulary = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    described = [type(tokenizer).__name__, vocabulary, tokenizer.all_special_tokens, tokenizer.model_input_names]
    return hashlib.sha256(json.dumps(described, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def load_built_dataset(path: str | Path, config: RunConfig) -> tuple[Any, Schema]:
    """The `DatasetDict` saved in `path` and its schema; a ValueError naming what differs if not built for `config`."""
    from datasets import load_from_disk

    path = Path(path)
    if not (path / "dataset_dict.json").is_file():
        raise FileNotFoundError(f"{path}: no dataset here (parley build-dataset CONFIG --output {path} writes one)")
    datasets = load_from_disk(str(path))
    if "train" not in datasets:
        raise ValueError(f"{path}: the dataset has no train split")
    saved = json.loads(datasets["train"].info.description)
    if "tokenizer" not in saved:
        raise ValueError(
            f"{path}: the dataset does not record what it was built for (built by an older parley); rebuild it"
        )
    schema = load_schema(config.data.schema)
    expected = build_facts(config, schema, load_tokenizer(config.model.encoder))
    differ = differences(saved, expected)
    if differ:
        raise ValueError(
            f"{path}: the dataset was built for another config, it differs in {'; '.join(differ)} "
            "(rebuild it with parley build-dataset and the run's config and overrides)"
        )
    return datasets, schema


def differences(saved: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What differs between a dataset's build facts and a config's, each as "what: dataset's -> config's"."""
    differ = []
    saved_space = LabelSpace.from_schema(Schema.from_dict(saved["schema"], origin="dataset info"))
    expected_space = LabelSpace.from_schema(Schema.from_dict(expected["schema"], origin="config"))
    for name in ("mention_labels", "event_types", "roles", "statuses"):
        if getattr(saved_space, name) != getattr(expected_space, name):
            differ.append(f"label space {name}: {getattr(saved_space, name)} -> {getattr(expected_space, name)}")
    if not differ and saved["schema"] != expected["schema"]:
        differ.append("schema (same labels, other definitions)")
    data, config_data = dotted(saved["data"], "data."), dotted(expected["data"], "data.")
    for key in sorted(data.keys() | config_data.keys()):
        if data.get(key) != config_data.get(key):
            differ.append(f"{key}: {data.get(key)!r} -> {config_data.get(key)!r}")
    if saved["model.encoder"] != expected["model.encoder"]:
        differ.append(f"model.encoder: {saved['model.encoder']!r} -> {expected['model.encoder']!r}")
    if saved["tokenizer"] != expected["tokenizer"]:
        differ.append("tokenizer: the encoder's tokenizer is not the one the dataset was built with")
    return differ
