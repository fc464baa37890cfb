"""Two processes under `accelerate launch` on the CPU (gloo): training and `parley predict --shard auto`.

`accelerate launch --cpu --num_processes 2` starts one process only (accelerate sends --cpu to its simple,
single-process launcher), so the two processes come from `--multi_gpu --num_processes 2`: torchrun starts
them, and the run's `device: cpu` makes accelerate join them over gloo (MULTI_CPU), no GPU involved.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_checkpoint import build_checkpoint
from safetensors.torch import load_file

from parley.cli import main

REPO = Path(__file__).resolve().parents[1]
# The installed `parley` command: parley.cli is a package without __main__, so `-m parley.cli` cannot start it.
PARLEY = Path(sys.executable).with_name("parley")
LAUNCH = [
    sys.executable,
    "-m",
    "accelerate.commands.launch",
    "--multi_gpu",
    "--num_processes",
    "2",
    "--num_machines",
    "1",
    "--mixed_precision",
    "no",
    "--dynamo_backend",
    "no",
    "--num_cpu_threads_per_process",
    "1",
]

pytestmark = pytest.mark.slow


def launch(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    port = str(29500 + os.getpid() % 1000)  # two test runs on one machine must not share a port
    done = subprocess.run(
        [*LAUNCH, "--main_process_port", port, str(PARLEY), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_two_processes_train_one_run_pick_one_model_and_resume_to_the_same_weights(
    hand_articles, write_articles, tiny_encoder_dir, tmp_path
):
    data = write_articles(hand_articles)
    out = tmp_path / "run"
    args = [
        "train",
        "configs/train/tiny.yaml",
        f"output_dir={out}",
        f"data.paths={data}",
        f"model.encoder={tiny_encoder_dir}",
        "data.max_length=64",
        "train.batch_size=2",
        "train.eval_every_steps=1",
    ]
    first = launch(*args)
    assert first.stdout.count("model saved to") == 1  # one process reports
    checkpoints = out / "checkpoints"
    # One checkpoint per evaluation (the last two kept), each with both processes' RNG states and one copy of the
    # weights; no half-written folder left behind.
    assert sorted(p.name for p in checkpoints.iterdir()) == ["step-3", "step-4"]
    for step in checkpoints.iterdir():
        names = {p.name for p in step.iterdir()}
        assert {"random_states_0.pkl", "random_states_1.pkl", "trainer_state.json", "model.safetensors"} <= names
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history] == [1, 2, 3, 4]
    # Both processes kept the same model (train() compares them across processes and fails otherwise).
    state = json.loads((checkpoints / "step-4" / "trainer_state.json").read_text())
    assert state["best_step"] in (1, 2, 3, 4)

    # Lose the last checkpoint as a crash after step 3 would, then resume: the same step 4, the same weights.
    finished = load_file(str(checkpoints / "step-4" / "model.safetensors"))
    shutil.rmtree(checkpoints / "step-4")
    resumed = launch(*args, "--resume")
    assert "resumed from" in resumed.stdout + resumed.stderr
    again = load_file(str(checkpoints / "step-4" / "model.safetensors"))
    assert finished.keys() == again.keys() and all((finished[k] == again[k]).all() for k in finished)
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3, 4]


def test_predict_shard_auto_under_two_processes_merges_into_the_single_run(tmp_path):
    model = build_checkpoint(tmp_path / "model")
    seeds = [json.loads(line) for line in (REPO / "data" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    dump = tmp_path / "news.jsonl"
    lines = [json.dumps({"id": f"n{i}", "text": s["text"][:400], "date": s["date"]}) for i, s in enumerate(seeds * 4)]
    lines.insert(5, "not json")
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    single = tmp_path / "single.jsonl"
    common = ["--model", str(model), "--input", str(dump), "--chunk-size", "3", "--quiet"]
    assert main(["predict", *common, "--output", str(single)]) == 0

    sharded = tmp_path / "out.jsonl"
    launch("predict", *common, "--output", str(sharded), "--shard", "auto")
    shards = [tmp_path / f"out.shard-{i}-of-2.jsonl" for i in range(2)]
    assert all(shard.exists() for shard in shards)
    assert main(["merge", str(sharded), *map(str, shards)]) == 0
    assert sharded.read_bytes() == single.read_bytes()
    rejects = [single.with_name(single.name + ".rejects.jsonl"), sharded.with_name(sharded.name + ".rejects.jsonl")]
    assert rejects[0].read_bytes() == rejects[1].read_bytes() and rejects[0].read_text().count("\n") == 1
