"""The run config: one YAML file per training run, parsed into typed dataclasses with loud validation.

Every key is checked at load time: an unknown key, a value of the wrong type
or out of range fails with the full dotted key, e.g.
`train.learning_rate: expected a positive float, got 'abc'`. Overrides
(`key=value`, dotted keys, values read as YAML) go through the same checks.

Relative paths in the config (`data.*paths`, `data.schema`, `train.output_dir`)
are resolved against the current working directory of the process that uses
them, not against the config file's folder, so `parley build-dataset
configs/train/default.yaml` run from the repository root reads `data/`.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml


class ConfigError(ValueError):
    """A run config with an unknown key or a bad value; the message names the dotted key."""


def _range(lo: float | None = None, hi: float | None = None, lo_open: bool = False, hi_open: bool = False) -> dict:
    return {"lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open}


def _field(default: Any, **bounds: Any) -> Any:
    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=_range(**bounds))
    return field(default=default, metadata=_range(**bounds))


@dataclass
class SplitRatios:
    """Fractions of articles (by groups that share a sentence) for each split; they sum to 1."""

    train: float = _field(0.8, lo=0.0, hi=1.0, lo_open=True)
    dev: float = _field(0.1, lo=0.0, hi=1.0)
    test: float = _field(0.1, lo=0.0, hi=1.0)


@dataclass
class DataConfig:
    """Where the labeled articles are and how they become model inputs."""

    # Files (.jsonl, .jsonl.gz, .ann, .json) or folders of labeled articles; split by `split` ratios.
    paths: list[str] = _field(["data/"])
    # Schema YAML; null uses the shipped configs/schema.yaml.
    schema: str | None = None
    # Longest model input in subword tokens, special tokens included; longer sentences are windowed.
    max_length: int = _field(128, lo=8)
    # How many words consecutive windows of a long sentence share.
    window_stride: int = _field(16, lo=0)
    # Label every subword of a word (B- becomes I- after the first) instead of the first only.
    label_all_subwords: bool = False
    # Seed of the article-to-split assignment.
    split_seed: int = 13
    split: SplitRatios = _field(SplitRatios())
    # Skip articles that break the schema (each one's error is reported) instead of stopping.
    lenient: bool = False
    # Copies of each training article with its person and place names swapped for others of the training set
    # (0: none); dev and test are never augmented.
    augment_names: int = _field(0, lo=0)
    # Explicit splits: when train_paths is set, `paths` and `split` are not used. test_paths alone may go with
    # `paths` when split.test is 0: `paths` is split into train/dev by ratio and test_paths is the test split.
    train_paths: list[str] | None = None
    dev_paths: list[str] | None = None
    test_paths: list[str] | None = None


@dataclass
class ModelConfig:
    """The network: encoder and how relation candidates are represented."""

    # A packaged alias ("all-MiniLM-L6-v2"), a local folder or a hub name (see parley.encoders.resolve_encoder).
    encoder: str = "all-MiniLM-L6-v2"
    # How a (trigger, mention) pair is represented from one encoding of the sentence:
    # span_pool: mean of each span's token states; span_endpoints: first and last token state of each span.
    relation_representation: Literal["span_pool", "span_endpoints"] = "span_endpoints"
    dropout: float = _field(0.1, lo=0.0, hi=1.0, hi_open=True)


@dataclass
class LossWeights:
    """Weight of each head's loss in the summed training loss."""

    mention: float = _field(1.0, lo=0.0)
    trigger: float = _field(1.0, lo=0.0)
    relation: float = _field(1.0, lo=0.0)
    status: float = _field(1.0, lo=0.0)


@dataclass
class TrainConfig:
    """The optimisation loop."""

    output_dir: str = "runs/default"
    batch_size: int = _field(16, lo=1)
    learning_rate: float = _field(5e-5, lo=0.0, lo_open=True)
    epochs: int = _field(20, lo=1)
    # Stop after this many optimiser steps even if epochs remain; null: run all epochs.
    max_steps: int | None = _field(None, lo=1)
    warmup_ratio: float = _field(0.1, lo=0.0, hi=1.0, hi_open=True)
    weight_decay: float = _field(0.01, lo=0.0)
    seed: int = 42
    loss_weights: LossWeights = _field(LossWeights())
    # After training, pick trigger/argument score thresholds on dev and save them with the model (parley train).
    tune_thresholds: bool = False
    # Batch training windows of similar length together (less padding, the same windows each epoch).
    group_by_length: bool = False
    # Cross-entropy label smoothing of every head (0: none).
    label_smoothing: float = _field(0.0, lo=0.0, hi=1.0, hi_open=True)
    # Loss weight of trigger tags other than O against O's 1: above 1 trades precision for trigger recall.
    trigger_tag_weight: float = _field(1.0, lo=0.0, lo_open=True)
    # Evaluate on dev every N steps; null: once per epoch.
    eval_every_steps: int | None = _field(None, lo=1)
    # Dev metric that picks the checkpoint kept as best (higher is better).
    select_best_by: Literal[
        "argument_classification_f1", "trigger_classification_f1", "mention_f1", "status_accuracy"
    ] = "argument_classification_f1"
    # Stop after this many evaluations without improvement; null: never stop early.
    early_stopping_patience: int | None = _field(None, lo=1)
    mixed_precision: Literal["no", "fp16", "bf16"] = "no"
    # Continue from the last checkpoint in output_dir if there is one.
    resume: bool = False
    # Clip gradients to this norm; null: no clipping.
    max_grad_norm: float | None = _field(1.0, lo=0.0, lo_open=True)
    log_every: int = _field(10, lo=1)


@dataclass
class RunConfig:
    """One training run: data, model, training loop and device."""

    data: DataConfig = _field(DataConfig())
    model: ModelConfig = _field(ModelConfig())
    train: TrainConfig = _field(TrainConfig())
    # "auto" (GPU if there is one), "cpu", "cuda", "cuda:N" or "mps".
    device: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        """The config as plain nested dicts and lists (loads back to an equal config)."""
        return dataclasses.asdict(self)


_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> RunConfig:
    """Read a run config YAML file, apply `key=value` overrides and validate every key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: no such config file") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections (data, model, train, device)")
    for override in overrides:
        _apply_override(raw, override)
    try:
        return config_from_dict(raw)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def config_from_dict(raw: Mapping[str, Any]) -> RunConfig:
    """Validate a nested mapping (as read from YAML) and build the run config."""
    config = _build(RunConfig, raw, "")
    _check_cross_fields(config)
    return config


def _apply_override(raw: dict[str, Any], override: str) -> None:
    key, sep, text = override.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"override {override!r}: expected key=value, e.g. train.learning_rate=3e-5")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"override {override!r}: value is not valid YAML: {err}") from err
    parts = _qualify(key.split("."))
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"override {override!r}: {'.'.join(parts[: depth + 1])} is not a section")
        node = child
    node[parts[-1]] = value


def _qualify(parts: list[str]) -> list[str]:
    """Let a key that names one field of one section stand alone: output_dir -> train.output_dir."""
    top = {f.name: f for f in dataclasses.fields(RunConfig)}
    if parts[0] in top:
        return parts
    hints = typing.get_type_hints(RunConfig)
    owners = [
        name
        for name, f in top.items()
        if dataclasses.is_dataclass(hints[name]) and parts[0] in {g.name for g in dataclasses.fields(hints[name])}
    ]
    return [owners[0], *parts] if len(owners) == 1 else parts


def _build(cls: type, raw: Any, prefix: str) -> Any:
    where = prefix.rstrip(".") or "the config"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {raw!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown key; expected one of {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in raw.items():
        values[name] = _coerce(value, hints[name], f"{prefix}{name}", fields[name].metadata)
    return cls(**values)


def _coerce(value: Any, hint: Any, key: str, bounds: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        if value is None:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(value, inner, key, {**bounds, "nullable": True})
    if dataclasses.is_dataclass(hint):
        return _build(hint, value if value is not None else {}, f"{key}.")
    if origin is Literal:
        # YAML 1.1 reads a bare `no` as false; accept it for a choice named "no".
        if value is False and "no" in args:
            value = "no"
        if value not in args:
            _fail(key, f"one of {list(args)}", value, bounds)
        return value
    if hint is bool:
        if not isinstance(value, bool):
            _fail(key, "true or false", value, bounds)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(key, _describe("integer", bounds), value, bounds)
        _check_range(value, key, "integer", bounds)
        return value
    if hint is float:
        number = _as_float(value)
        if number is None:
            _fail(key, _describe("float", bounds), value, bounds)
        _check_range(number, key, "float", bounds)
        return number
    if hint is str:
        if not isinstance(value, str) or not value:
            _fail(key, "a non-empty string", value, bounds)
        if key == "device" and not _DEVICE.match(value):
            _fail(key, "auto, cpu, cuda, cuda:N or mps", value, bounds)
        return value
    if origin is list and args == (str,):
        # One path alone is the common case on the command line (data.paths=more.jsonl).
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
            _fail(key, "a list of strings", value, bounds)
        return list(items)
    raise TypeError(f"{key}: no validator for type {hint!r}")  # a programming error, not a config error


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    # YAML 1.1 reads 5e-5 (no dot) as a string; a number written that way is still a number.
    if isinstance(value, str) and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value.strip()):
        return float(value)
    return None


def _check_range(number: float, key: str, kind: str, bounds: Mapping[str, Any]) -> None:
    lo, hi = bounds.get("lo"), bounds.get("hi")
    too_low = lo is not None and (number <= lo if bounds.get("lo_open") else number < lo)
    too_high = hi is not None and (number >= hi if bounds.get("hi_open") else number > hi)
    if too_low or too_high or (isinstance(number, float) and not math.isfinite(number)):
        _fail(key, _describe(kind, bounds), number, bounds)


def _describe(kind: str, bounds: Mapping[str, Any]) -> str:
    lo, hi = bounds.get("lo"), bounds.get("hi")
    lo_open, hi_open = bounds.get("lo_open"), bounds.get("hi_open")
    if hi is None and (lo == 0 or (lo == 1 and kind == "integer" and not lo_open)):
        return f"a {'positive' if lo_open or lo == 1 else 'non-negative'} {kind}"
    if lo is not None and hi is not None:
        return f"a {kind} in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    article = "an" if kind == "integer" else "a"
    if lo is not None:
        return f"{article} {kind} {'>' if lo_open else '>='} {lo:g}"
    return f"{article} {kind}"


def _fail(key: str, expected: str, value: Any, bounds: Mapping[str, Any]) -> typing.NoReturn:
    if bounds.get("nullable"):
        expected += " or null"
    raise ConfigError(f"{key}: expected {expected}, got {value!r}")


def _check_cross_fields(config: RunConfig) -> None:
    data = config.data
    ratios = data.split
    total = ratios.train + ratios.dev + ratios.test
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"data.split: train + dev + test must sum to 1, got {total:g}")
    if data.train_paths is None:
        if data.dev_paths is not None:
            raise ConfigError("data.train_paths: required when data.dev_paths is set")
        if data.test_paths is not None and ratios.test != 0:
            raise ConfigError(
                f"data.test_paths: with data.paths and no data.train_paths, data.split.test must be 0 "
                f"(the test split is data.test_paths), got {ratios.test:g}"
            )
        if not data.paths:
            raise ConfigError("data.paths: expected at least one file or folder (or set data.train_paths)")
    elif not data.train_paths:
        raise ConfigError("data.train_paths: expected at least one file or folder, got []")
