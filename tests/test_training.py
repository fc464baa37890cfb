"""The training loop on a tiny random BERT: loss falls, runs are deterministic, resume continues exactly."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from parley.config import load_config
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
