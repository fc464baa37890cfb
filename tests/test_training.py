"""The training loop on a tiny random BERT: loss falls, runs are deterministic, resume continues exactly, a built
dataset trains only the config it was built for."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
import yaml
from safetensors.torch import load_file
from transformers import AutoTokenizer

from parley.cli import main
from parley.config import load_config
from parley.schema import default_schema_path
from parley.training.dataset_builder import build_dataset
from parley.training.trainer import latest_checkpoint, train

TINY = "configs/train/tiny.yaml"


class Interrupted(Exception):
    pass


@pytest.fixture
def config_for(hand_articles, write_articles, tiny_encoder_dir, tmp_path):
    data = write_articles(hand_articles)

    def make(name: str, *overrides: str):
        return load_config(
            TINY,
            [
                f"data.paths={data}",
                f"model.encoder={tiny_encoder_dir}",
                f"train.output_dir={tmp_path / name}",
                "data.max_length=64",
                "train.max_steps=null",
                "train.batch_size=2",
                "train.learning_rate=3e-3",
                *overrides,
            ],
        )

    return make


def _weights(folder) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "model.safetensors"))


def test_loss_falls(config_for):
    config = config_for("falls", "train.epochs=12", "data.split={train: 1.0, dev: 0.0, test: 0.0}")
    model_dir = train(config, quiet=True)
    history = [json.loads(line) for line in (model_dir.parent / "metrics.jsonl").read_text().splitlines()]
    assert len(history) == 12
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert (model_dir / "model.safetensors").exists() and (model_dir / "tokenizer.json").exists()
    saved = json.loads((model_dir / "config.json").read_text())
    assert [t["name"] for t in saved["schema"]["event_types"]] == [
        "INVITE",
        "ACCEPT",
        "DECLINE",
        "MEET",
        "ATTEND",
        "BOYCOTT",
    ]


def test_same_seed_same_weights(config_for):
    a = train(config_for("a", "train.epochs=2"), quiet=True)
    b = train(config_for("b", "train.epochs=2"), quiet=True)
    wa, wb = _weights(a), _weights(b)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_resume_reaches_same_step_and_weights(config_for):
    overrides = ("train.epochs=3", "train.eval_every_steps=2", "data.split={train: 1.0, dev: 0.0, test: 0.0}")
    whole = train(config_for("whole", *overrides), quiet=True)

    def stop_at_5(step: int) -> None:
        if step == 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(config_for("cut", *overrides), on_step=stop_at_5, quiet=True)
    checkpoint = latest_checkpoint(whole.parent.parent / "cut")
    assert checkpoint is not None and checkpoint.name == "step-4"

    resumed = train(config_for("cut", *overrides, "train.resume=true"), quiet=True)
    state = json.loads((latest_checkpoint(resumed.parent) / "trainer_state.json").read_text())
    whole_state = json.loads((latest_checkpoint(whole.parent) / "trainer_state.json").read_text())
    assert state["global_step"] == whole_state["global_step"]

    def timeless(history: list[dict]) -> list[dict]:
        return [{k: v for k, v in h.items() if k != "train_seconds"} for h in history]

    assert timeless(state["history"]) == timeless(whole_state["history"])
    wa, wb = _weights(whole), _weights(resumed)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_half_written_checkpoint_is_ignored(config_for):
    model_dir = train(config_for("partial", "train.epochs=1"), quiet=True)
    checkpoints = model_dir.parent / "checkpoints"
    (checkpoints / ".tmp-step-99").mkdir()  # what an interrupted save leaves behind
    assert latest_checkpoint(model_dir.parent).name != ".tmp-step-99"


def test_fresh_run_in_a_used_folder_drops_the_old_checkpoints(config_for):
    first = train(config_for("reused", "train.epochs=2"), quiet=True)
    old = latest_checkpoint(first.parent)
    (old.parent / "step-999").mkdir()  # a stale, higher-numbered checkpoint of an earlier run
    (old.parent / "step-999" / "trainer_state.json").write_text("{}")
    second = train(config_for("reused", "train.epochs=1"), quiet=True)
    assert latest_checkpoint(second.parent).name != "step-999"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when no GPU is present")
def test_asking_for_cuda_without_a_gpu_fails_clearly(config_for):
    with pytest.raises(ValueError, match="device"):
        train(config_for("nogpu", "device=cuda"), quiet=True)


def test_the_model_config_keeps_the_window_stride_it_was_trained_with(config_for):
    config = config_for("stride", "train.epochs=1", "data.window_stride=5")
    saved = json.loads((train(config, quiet=True) / "config.json").read_text())
    assert saved["window_stride"] == 5


def test_log_every_logs_the_mean_train_loss_of_the_last_steps(config_for, capsys):
    def logged(name: str, every: int) -> list[float]:
        train(config_for(name, "train.epochs=3", f"train.log_every={every}"))
        lines = capsys.readouterr().out.splitlines()
        return [float(line.rsplit("=", 1)[1]) for line in lines if f"train_loss_last_{every}=" in line]

    each = logged("every-step", 1)
    pairs = logged("every-2-steps", 2)
    assert len(each) >= 4 and len(pairs) == len(each) // 2
    # The same seed gives the same steps, so each logged pair mean is the mean of two per-step losses.
    assert pairs == pytest.approx([(a + b) / 2 for a, b in zip(each[::2], each[1::2], strict=False)], abs=1e-5)


def test_training_on_a_built_dataset_gives_the_weights_of_building_it_in_the_run(config_for, tmp_path):
    config = config_for("built", "train.epochs=2")
    build_dataset(config).save(str(tmp_path / "dataset"))
    from_dataset = train(config, quiet=True, dataset=tmp_path / "dataset")
    rebuilt = train(config_for("rebuilt", "train.epochs=2"), quiet=True)
    wa, wb = _weights(from_dataset), _weights(rebuilt)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_a_dataset_built_for_another_config_is_refused_naming_what_differs(config_for, tiny_encoder_dir, tmp_path):
    build_dataset(config_for("built")).save(str(tmp_path / "dataset"))
    longer = config_for("longer", "data.max_length=48", "data.window_stride=2")
    with pytest.raises(ValueError, match=r"data\.max_length: 64 -> 48; data\.window_stride: 4 -> 2"):
        train(longer, quiet=True, dataset=tmp_path / "dataset")
    other_tokenizer = tmp_path / "other-tokenizer"
    shutil.copytree(tiny_encoder_dir, other_tokenizer)
    tokenizer = AutoTokenizer.from_pretrained(other_tokenizer)
    tokenizer.add_tokens(["walkout"])
    tokenizer.save_pretrained(other_tokenizer)
    with pytest.raises(ValueError, match="model.encoder: .*; tokenizer: the encoder's tokenizer"):
        train(config_for("tokens", f"model.encoder={other_tokenizer}"), quiet=True, dataset=tmp_path / "dataset")
    schema = yaml.safe_load(default_schema_path().read_text(encoding="utf-8"))
    schema["event_types"]["WALKOUT"] = {"description": "leaves a meeting"}
    (tmp_path / "schema.yaml").write_text(yaml.safe_dump(schema), encoding="utf-8")
    with pytest.raises(ValueError, match="label space event_types: .* -> .*'WALKOUT'"):
        train(
            config_for("walkout", f"data.schema={tmp_path / 'schema.yaml'}"), quiet=True, dataset=tmp_path / "dataset"
        )
    assert not (tmp_path / "longer").exists()  # refused before the run wrote anything


def test_parley_train_dataset_from_the_command_line(hand_articles, write_articles, tiny_encoder_dir, tmp_path, capsys):
    common = [f"data.paths={write_articles(hand_articles)}", f"model.encoder={tiny_encoder_dir}", "data.max_length=64"]
    dataset = str(tmp_path / "dataset")
    assert main(["build-dataset", TINY, *common, "--output", dataset]) == 0
    assert main(["train", TINY, f"output_dir={tmp_path / 'run'}", *common, "--dataset", dataset]) == 0
    assert f"training on the dataset built in {dataset}" in capsys.readouterr().out
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()
    assert (
        main(["train", TINY, f"output_dir={tmp_path / 'other'}", *common, "data.split_seed=7", "--dataset", dataset])
        == 1
    )
    assert "data.split_seed: 1 -> 7" in capsys.readouterr().err
    assert (
        main(["train", TINY, f"output_dir={tmp_path / 'none'}", *common, "--dataset", str(tmp_path / "nothing")]) == 1
    )
    assert f"{tmp_path / 'nothing'}: no dataset here" in capsys.readouterr().err
