"""The run config: one YAML file per training run, parsed into pydantic dataclasses with loud validation.

Every key is checked at load time: an unknown key, a value of the wrong type
or out of range fails with the full dotted key, e.g.
`train.learning_rate: expected a positive float, got 'abc'`. Overrides
(`key=value`, dotted keys, values read as YAML) go through the same checks.

The sections are pydantic dataclasses rather than models so that callers keep
plain dataclass behaviour (`dataclasses.replace`, `asdict`, attribute writes).

Relative paths in the config (`data.*paths`, `data.schema`, `train.output_dir`)
are resolved against the current working directory of the process that uses
them, not against the config file's folder, so `parley build-dataset
configs/train/default.yaml` run from the repository root reads `data/`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, WrapValidator, model_validator
from pydantic.dataclasses import dataclass
from pydantic_core import ErrorDetails, PydanticCustomError

# Dev-set metrics the trainer computes; any of them may pick the best checkpoint (higher is better).
DEV_METRICS = ("mention_f1", "trigger_classification_f1", "argument_classification_f1", "status_accuracy")


class ConfigError(ValueError):
    """A run config with an unknown key or a bad value; the message names the dotted key."""


def _expecting(description: str) -> WrapValidator:
    """Report any failure of the wrapped type as `expected <description>, got <value>`."""

    def validate(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(
                "config_value", "expected {expected}, got {got}", {"expected": description, "got": repr(value)}
            ) from None

    return WrapValidator(validate)


def _yaml_number(value: Any) -> Any:
    # YAML 1.1 reads 5e-5 (no dot) as a string; a number written that way is still a number.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _one_path_as_list(value: Any) -> Any:
    # One path alone is the common case on the command line (data.paths=more.jsonl).
    return [value] if isinstance(value, str) else value


def _checked(inner: Any, description: str, nullable: bool = False) -> Any:
    """`inner` (optionally null) whose every failure reads `expected <description>[ or null], got ...`."""
    if nullable:
        return Annotated[inner | None, _expecting(f"{description} or null")]
    return Annotated[inner, _expecting(description)]


def _float(**bounds: float) -> Any:
    # Strict so that true/false is no number; ints and numeric strings are still read as floats.
    return Annotated[float, Field(strict=True, allow_inf_nan=False, **bounds), BeforeValidator(_yaml_number)]


def _int(**bounds: int) -> Any:
    return Annotated[int, Field(strict=True, **bounds)]


def _choice(*options: str) -> Any:
    # YAML 1.1 reads a bare `no` as false; accept it for a choice named "no".
    no_if_false = BeforeValidator(lambda value: "no" if value is False and "no" in options else value)
    return Annotated[Literal[options], no_if_false, _expecting(f"one of {list(options)}")]


_TEXT = Annotated[str, Field(strict=True, min_length=1)]
_PATHS = Annotated[list[_TEXT], Field(strict=True), BeforeValidator(_one_path_as_list)]
Paths = _checked(_PATHS, "a list of strings")
OptionalPaths = _checked(_PATHS, "a list of strings", nullable=True)
Fraction = _checked(_float(ge=0, le=1), "a float in [0, 1]")
TrainFraction = _checked(_float(gt=0, le=1), "a float in (0, 1]")
OpenFraction = _checked(_float(ge=0, lt=1), "a float in [0, 1)")
PositiveFloat = _checked(_float(gt=0), "a positive float")
OptionalPositiveFloat = _checked(_float(gt=0), "a positive float", nullable=True)
NonNegativeFloat = _checked(_float(ge=0), "a non-negative float")
PositiveInt = _checked(_int(ge=1), "a positive integer")
OptionalPositiveInt = _checked(_int(ge=1), "a positive integer", nullable=True)
NonNegativeInt = _checked(_int(ge=0), "a non-negative integer")
Int = _checked(_int(), "an integer")
MaxLength = _checked(_int(ge=8), "an integer >= 8")
Bool = _checked(Annotated[bool, Field(strict=True)], "true or false")
Text = _checked(_TEXT, "a non-empty string")
OptionalText = _checked(_TEXT, "a non-empty string", nullable=True)
RelationRepresentation = _choice("span_pool", "span_endpoints")
DevMetric = _choice(*DEV_METRICS)
MixedPrecision = _choice("no", "fp16", "bf16")
Device = _checked(
    Annotated[str, Field(strict=True, pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$")], "auto, cpu, cuda, cuda:N or mps"
)
# A section left empty in YAML (`split:`) reads as null: it means the section's defaults.
_DEFAULTS_IF_NULL = BeforeValidator(lambda value: {} if value is None else value)
_SECTION = ConfigDict(extra="forbid")


@dataclass(config=_SECTION)
class SplitRatios:
    """Fractions of articles (by groups that share a sentence) for each split; they sum to 1."""

    train: TrainFraction = 0.8
    dev: Fraction = 0.1
    test: Fraction = 0.1


@dataclass(config=_SECTION)
class DataConfig:
    """Where the labeled articles are and how they become model inputs."""

    # Files (.jsonl, .jsonl.gz, .ann, .json) or folders of labeled articles; split by `split` ratios.
    paths: Paths = Field(default_factory=lambda: ["data/"])
    # Schema YAML; null uses the shipped configs/schema.yaml.
    schema: OptionalText = None
    # Longest model input in subword tokens, special tokens included; longer sentences are windowed.
    max_length: MaxLength = 128
    # How many words consecutive windows of a long sentence share.
    window_stride: NonNegativeInt = 16
    # Label every subword of a word (B- becomes I- after the first) instead of the first only.
    label_all_subwords: Bool = False
    # Seed of the article-to-split assignment.
    split_seed: Int = 13
    split: Annotated[SplitRatios, _DEFAULTS_IF_NULL] = Field(default_factory=SplitRatios)
    # Skip articles that break the schema (each one's error is reported) instead of stopping.
    lenient: Bool = False
    # Copies of each training article with its person and place names swapped for others of the training set
    # (0: none); dev and test are never augmented.
    augment_names: NonNegativeInt = 0
    # Explicit splits: when train_paths is set, `paths` and `split` are not used. test_paths alone may go with
    # `paths` when split.test is 0: `paths` is split into train/dev by ratio and test_paths is the test split.
    train_paths: OptionalPaths = None
    dev_paths: OptionalPaths = None
    test_paths: OptionalPaths = None


@dataclass(config=_SECTION)
class ModelConfig:
    """The network: encoder and how relation candidates are represented."""

    # A packaged alias ("all-MiniLM-L6-v2"), a local folder or a hub name (see parley.encoders.resolve_encoder).
    encoder: Text = "all-MiniLM-L6-v2"
    # How a (trigger, mention) pair is represented from one encoding of the sentence:
    # span_pool: mean of each span's token states; span_endpoints: first and last token state of each span.
    relation_representation: RelationRepresentation = "span_endpoints"
    dropout: OpenFraction = 0.1


@dataclass(config=_SECTION)
class LossWeights:
    """Weight of each head's loss in the summed training loss."""

    mention: NonNegativeFloat = 1.0
    trigger: NonNegativeFloat = 1.0
    relation: NonNegativeFloat = 1.0
    status: NonNegativeFloat = 1.0


@dataclass(config=_SECTION)
class TrainConfig:
    """The optimisation loop."""

    output_dir: Text = "runs/default"
    batch_size: PositiveInt = 16
    learning_rate: PositiveFloat = 5e-5
    epochs: PositiveInt = 20
    # Stop after this many optimiser steps even if epochs remain; null: run all epochs.
    max_steps: OptionalPositiveInt = None
    warmup_ratio: OpenFraction = 0.1
    weight_decay: NonNegativeFloat = 0.01
    seed: Int = 42
    loss_weights: Annotated[LossWeights, _DEFAULTS_IF_NULL] = Field(default_factory=LossWeights)
    # After training, pick trigger/argument score thresholds on dev and save them with the model (parley train).
    tune_thresholds: Bool = False
    # Batch training windows of similar length together (less padding, the same windows each epoch).
    group_by_length: Bool = False
    # Cross-entropy label smoothing of every head (0: none).
    label_smoothing: OpenFraction = 0.0
    # Loss weight of trigger tags other than O against O's 1: above 1 trades precision for trigger recall.
    trigger_tag_weight: PositiveFloat = 1.0
    # Evaluate on dev every N steps; null: once per epoch.
    eval_every_steps: OptionalPositiveInt = None
    # Dev metric that picks the checkpoint kept as best (higher is better).
    select_best_by: DevMetric = "argument_classification_f1"
    # Stop after this many evaluations without improvement; null: never stop early.
    early_stopping_patience: OptionalPositiveInt = None
    mixed_precision: MixedPrecision = "no"
    # Continue from the last checkpoint in output_dir if there is one.
    resume: Bool = False
    # Clip gradients to this norm; null: no clipping.
    max_grad_norm: OptionalPositiveFloat = 1.0
    log_every: PositiveInt = 10


@dataclass(config=_SECTION)
class RunConfig:
    """One training run: data, model, training loop and device."""

    data: Annotated[DataConfig, _DEFAULTS_IF_NULL] = Field(default_factory=DataConfig)
    model: Annotated[ModelConfig, _DEFAULTS_IF_NULL] = Field(default_factory=ModelConfig)
    train: Annotated[TrainConfig, _DEFAULTS_IF_NULL] = Field(default_factory=TrainConfig)
    # "auto" (GPU if there is one), "cpu", "cuda", "cuda:N" or "mps".
    device: Device = "auto"

    # Checked on the whole run rather than on DataConfig, so that `dataclasses.replace` of a section stays free.
    @model_validator(mode="after")
    def _check_data_sources(self) -> RunConfig:
        problem = _data_sources_problem(self.data)
        if problem:
            raise PydanticCustomError("config_data", problem)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The config as plain nested dicts and lists (loads back to an equal config)."""
        return dataclasses.asdict(self)


_RUN_CONFIG = TypeAdapter(RunConfig)


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
    try:
        return _RUN_CONFIG.validate_python(raw)
    except ValidationError as err:
        raise ConfigError("; ".join(_message(error) for error in err.errors())) from None


def _message(error: ErrorDetails) -> str:
    """One pydantic error in this config's words, led by the dotted key."""
    loc = [str(part) for part in error["loc"]]
    key = ".".join(loc) or "the config"
    if error["type"] == "unexpected_keyword_argument":
        return f"{key}: unknown key; expected one of {sorted(_fields_at(loc[:-1]))}"
    if error["type"] in ("dataclass_type", "dataclass_args_type"):
        return f"{key}: expected a mapping, got {error['input']!r}"
    return f"{key}: {error['msg']}" if loc else error["msg"]


def _fields_at(loc: list[str]) -> dict[str, dataclasses.Field]:
    """The fields of the section at a dotted location (every section is a field of the one above)."""
    section: Any = RunConfig
    for part in loc:
        section = _section_fields(section)[part]
    return {f.name: f for f in dataclasses.fields(section)}


def _section_fields(section: Any) -> dict[str, Any]:
    """Name -> dataclass of each field of `section` that is itself a section."""
    return {name: hint for name, hint in typing.get_type_hints(section).items() if dataclasses.is_dataclass(hint)}


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
    sections = _section_fields(RunConfig)
    if parts[0] in {f.name for f in dataclasses.fields(RunConfig)}:
        return parts
    owners = [name for name, section in sections.items() if parts[0] in {f.name for f in dataclasses.fields(section)}]
    return [owners[0], *parts] if len(owners) == 1 else parts


def _data_sources_problem(data: DataConfig) -> str | None:
    """What is wrong with the combination of split ratios and path lists, if anything."""
    ratios = data.split
    total = ratios.train + ratios.dev + ratios.test
    if abs(total - 1.0) > 1e-6:
        return f"data.split: train + dev + test must sum to 1, got {total:g}"
    if data.train_paths is not None:
        return None if data.train_paths else "data.train_paths: expected at least one file or folder, got []"
    if data.dev_paths is not None:
        return "data.train_paths: required when data.dev_paths is set"
    if data.test_paths is not None and ratios.test != 0:
        return (
            f"data.test_paths: with data.paths and no data.train_paths, data.split.test must be 0 "
            f"(the test split is data.test_paths), got {ratios.test:g}"
        )
    if not data.paths:
        return "data.paths: expected at least one file or folder (or set data.train_paths)"
    return None
