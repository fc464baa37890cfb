"""The run config: every shipped YAML loads, bad keys and values fail naming the key, overrides work."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from conftest import CONFIGS
from torch.utils.data import DataLoader

from parley.config import DEV_METRICS, ConfigError, RunConfig, config_from_dict, load_config
from parley.inference.actor_dictionary import load_actor_config
from parley.model import ParleyConfig, ParleyModel
from parley.schema import load_schema
from parley.training.collate import Collator
from parley.training.dataset_builder import build_dataset
from parley.training.dev_metrics import dev_metrics


def _loader(path):
    """The loader of a YAML file under configs/ (a new kind of file needs a loader here)."""
    if path.parent.name == "train":
        return load_config
    if path.name.startswith("schema"):
        return load_schema
    if path.parent.name == "actors":
        return load_actor_config
    raise AssertionError(f"{path}: no loader known for this config file; add one to tests/test_config.py")


@pytest.mark.parametrize("path", sorted(CONFIGS.rglob("*.yaml")), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_yaml_in_configs_loads(path):
    assert _loader(path)(path) is not None


def test_configs_folder_has_the_train_configs():
    names = {p.name for p in (CONFIGS / "train").glob("*.yaml")}
    assert {"default.yaml", "tiny.yaml"} <= names


def test_default_config_values():
    config = load_config(CONFIGS / "train" / "default.yaml")
    assert config.model.encoder == "all-MiniLM-L6-v2"
    assert config.data.paths == ["data/"]
    assert config.data.max_length == 128
    assert config.train.batch_size == 16
    assert config.train.mixed_precision == "no"
    assert isinstance(config.train.learning_rate, float)


def test_to_dict_loads_back_equal(tmp_path):
    config = load_config(CONFIGS / "train" / "default.yaml", ["train.epochs=3", "data.dev_paths=null"])
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config.to_dict()))
    assert load_config(path) == config


def test_empty_file_gives_the_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert load_config(path) == RunConfig()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"train": {"learning_rate": "abc"}}, "train.learning_rate: expected a positive float, got 'abc'"),
        ({"train": {"learning_rate": 0}}, "train.learning_rate: expected a positive float, got 0"),
        ({"train": {"batch_size": 2.5}}, "train.batch_size: expected a positive integer, got 2.5"),
        ({"train": {"epochs": True}}, "train.epochs: expected a positive integer, got True"),
        ({"train": {"loss_weights": {"relation": -1}}}, "train.loss_weights.relation: expected a non-negative float"),
        ({"train": {"mixed_precision": "fp8"}}, "train.mixed_precision: expected one of ['no', 'fp16', 'bf16']"),
        ({"train": {"max_steps": "many"}}, "train.max_steps: expected a positive integer or null, got 'many'"),
        ({"train": {"resume": "yes please"}}, "train.resume: expected true or false"),
        ({"data": {"max_length": 4}}, "data.max_length: expected an integer >= 8, got 4"),
        ({"data": {"paths": "a.jsonl b.jsonl".split() + [3]}}, "data.paths: expected a list of strings"),
        ({"data": {"split": {"dev": 1.5}}}, "data.split.dev: expected a float in [0, 1], got 1.5"),
        ({"data": {"split": {"train": 0.5}}}, "data.split: train + dev + test must sum to 1, got 0.7"),
        ({"data": {"split": "80/10/10"}}, "data.split: expected a mapping"),
        ({"data": {"dev_paths": ["dev.jsonl"]}}, "data.train_paths: required when data.dev_paths"),
        ({"data": {"paths": []}}, "data.paths: expected at least one file or folder"),
        ({"model": {"relation_representation": "cls"}}, "model.relation_representation: expected one of"),
        ({"model": {"dropout": 1.0}}, "model.dropout: expected a float in [0, 1), got 1.0"),
        ({"device": "gpu"}, "device: expected auto, cpu, cuda, cuda:N or mps, got 'gpu'"),
        ({"trian": {}}, "trian: unknown key"),
        ({"train": {"lr": 1e-3}}, "train.lr: unknown key"),
        ({"train": {"loss_weights": {"events": 1}}}, "train.loss_weights.events: unknown key"),
    ],
)
def test_bad_values_fail_naming_the_key(raw, message):
    with pytest.raises(ConfigError) as caught:
        config_from_dict(raw)
    assert message in str(caught.value)


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  learning_rate: abc\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: train\.learning_rate: expected a positive float, got 'abc'"):
        load_config(path)


def test_yaml_quirks_are_read_as_meant():
    # YAML 1.1 reads 5e-5 as a string and a bare `no` as false.
    config = config_from_dict({"train": {"learning_rate": "5e-5", "mixed_precision": False}})
    assert config.train.learning_rate == pytest.approx(5e-5)
    assert config.train.mixed_precision == "no"


def test_overrides_replace_values_with_the_same_validation():
    config = load_config(
        CONFIGS / "train" / "default.yaml",
        [
            "train.learning_rate=3e-5",
            "train.loss_weights.status=0.5",
            "data.paths=[a.jsonl, b/]",
            "data.split.train=0.6",
            "data.split.dev=0.2",
            "data.split.test=0.2",
            "train.eval_every_steps=50",
            "device=cpu",
        ],
    )
    assert config.train.learning_rate == pytest.approx(3e-5)
    assert config.train.loss_weights.status == 0.5
    assert config.data.paths == ["a.jsonl", "b/"]
    assert (config.data.split.train, config.data.split.dev) == (0.6, 0.2)
    assert config.train.eval_every_steps == 50
    assert config.device == "cpu"


def test_a_single_path_override_becomes_a_list():
    config = load_config(CONFIGS / "train" / "tiny.yaml", ["data.paths=more.jsonl"])
    assert config.data.paths == ["more.jsonl"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.learning_rate=abc", "train.learning_rate: expected a positive float, got 'abc'"),
        ("train.nope=1", "train.nope: unknown key"),
        ("model.encoder.name=x", "model.encoder is not a section"),
        ("train.learning_rate", "expected key=value"),
        ("data.paths=[a", "value is not valid YAML"),
    ],
)
def test_bad_overrides_fail_naming_the_key(override, message):
    with pytest.raises(ConfigError) as caught:
        load_config(CONFIGS / "train" / "tiny.yaml", [override])
    assert message in str(caught.value)


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)


def test_explicit_split_paths():
    config = config_from_dict({"data": {"train_paths": ["t.jsonl"], "test_paths": ["x.jsonl"]}})
    assert config.data.train_paths == ["t.jsonl"] and config.data.dev_paths is None
    with pytest.raises(ConfigError, match="data.train_paths: expected at least one"):
        config_from_dict({"data": {"train_paths": []}})


def test_select_best_by_takes_exactly_the_dev_metrics():
    for metric in DEV_METRICS:
        assert config_from_dict({"train": {"select_best_by": metric}}).train.select_best_by == metric
    with pytest.raises(ConfigError, match=r"train.select_best_by: expected one of \['mention_f1'"):
        config_from_dict({"train": {"select_best_by": "loss"}})


def test_dev_metrics_reports_every_select_best_by_choice(
    tiny_encoder_dir, tiny_bert_config, tokenizer, schema, hand_articles, write_articles
):
    # DEV_METRICS is the one list of names: a checkpoint picked by a name the trainer never computes is never picked.
    train, dev = write_articles(hand_articles[:4], "train.jsonl"), write_articles(hand_articles[4:], "dev.jsonl")
    overrides = [f"model.encoder={tiny_encoder_dir}", f"data.train_paths=[{train}]", f"data.dev_paths=[{dev}]"]
    config = load_config(CONFIGS / "train" / "tiny.yaml", overrides)
    dev_rows = build_dataset(config).datasets["dev"]
    loader = DataLoader(dev_rows, batch_size=4, collate_fn=Collator(pad_token_id=tokenizer.pad_token_id))
    model = ParleyModel(ParleyConfig(encoder=tiny_bert_config.to_dict(), schema=schema.to_dict()))
    metrics = dev_metrics(model, loader, dataclasses.asdict(config.train.loss_weights))
    assert set(metrics) == {"loss", *DEV_METRICS}
