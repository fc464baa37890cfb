"""Training throughput: `parley train` against a plain transformers `Trainer` token-classification run.

    python benchmarks/train_throughput.py [--config configs/train/default.yaml] [--steps 40] [--threads T]
                                          [key=value ...]

Both train for the same number of optimiser steps on the same built dataset rows (the config's train
split), with the same encoder, batch size, max_length, learning rate and thread count, each in its own
subprocess. parley trains its full model (mention and trigger taggers, relation and status heads);
the peer is `AutoModelForTokenClassification` on the rows' mention tags. Tokens/s is real (unpadded)
tokens over the seconds spent in training steps (forward, backward, optimiser step): parley's trainer
records both in `metrics.jsonl`; the peer measures them from `on_step_begin` to `on_step_end` the same
way. Wall seconds (the whole call: data loading, model set-up, dev evaluation) are shown beside them.
The last line is `train_ratio_vs_trainer=X` (parley tokens/s over the peer's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # child_result.py, beside this file
from child_result import print_result, run_child  # noqa: E402


def run_parley(args: argparse.Namespace) -> dict:
    """`parley train` for `--steps` steps; tokens and step seconds from its metrics.jsonl."""
    from parley.config import load_config
    from parley.training.trainer import train

    output = Path(args.work) / "parley"
    config = load_config(args.config, [*args.overrides, f"train.max_steps={args.steps}", f"train.output_dir={output}"])
    started = time.perf_counter()
    train(config, quiet=True)
    wall = time.perf_counter() - started
    lines = [json.loads(line) for line in (output / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    timed = [line for line in lines if "train_seconds" in line]
    return {
        "steps": lines[-1]["step"],
        "tokens": sum(line["train_tokens"] for line in timed),
        "seconds": sum(line["train_seconds"] for line in timed),
        "wall_seconds": wall,
        "batch_size": config.train.batch_size,
        "max_length": config.data.max_length,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_trainer(args: argparse.Namespace) -> dict:
    """A transformers `Trainer` token-classification run on the same rows' mention tags for `--steps` steps."""
    import torch
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )
    from transformers.utils import logging

    from parley.config import load_config
    from parley.encoders import resolve_encoder
    from parley.training.dataset_builder import build_dataset

    config = load_config(args.config, [*args.overrides, f"train.max_steps={args.steps}"])
    started = time.perf_counter()
    built = build_dataset(config)
    keep = [c for c in ("input_ids", "attention_mask", "token_type_ids") if c in built.datasets["train"].column_names]
    rows = built.datasets["train"].select_columns([*keep, "mention_labels"]).rename_column("mention_labels", "labels")
    tags = built.label_space.mention_tags
    encoder = resolve_encoder(config.model.encoder)
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # "newly initialised classifier" is the point here
    model = AutoModelForTokenClassification.from_pretrained(
        encoder, num_labels=len(tags), id2label=dict(enumerate(tags)), label2id={t: i for i, t in enumerate(tags)}
    )
    logging.set_verbosity(verbosity)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    collate = DataCollatorForTokenClassification(tokenizer)
    batch_tokens: list[int] = []

    def counting_collator(features):
        batch = collate(features)
        batch_tokens.append(int(batch["attention_mask"].sum()))
        return batch

    class StepClock(TrainerCallback):
        """Seconds inside training steps, as parley's trainer counts them (the batch already loaded)."""

        seconds, began = 0.0, 0.0

        def on_step_begin(self, *_, **__):
            _synchronize()
            StepClock.began = time.perf_counter()

        def on_step_end(self, *_, **__):
            # Trainer never reads the loss back per step, so a GPU would still be busy here: wait, as
            # parley's loop does when it reads its loss.
            _synchronize()
            StepClock.seconds += time.perf_counter() - StepClock.began

    def _synchronize() -> None:
        if torch.cuda.is_available() and not arguments.use_cpu:
            torch.cuda.synchronize()

    train = config.train
    arguments = TrainingArguments(
        output_dir=str(Path(args.work) / "trainer"),
        per_device_train_batch_size=train.batch_size,
        max_steps=args.steps,
        learning_rate=train.learning_rate,
        weight_decay=train.weight_decay,
        warmup_steps=int(train.warmup_ratio * args.steps),
        max_grad_norm=train.max_grad_norm if train.max_grad_norm is not None else 0.0,
        seed=train.seed,
        use_cpu=config.device == "cpu" or not torch.cuda.is_available(),
        # The same mixed precision as parley's run (train.mixed_precision in the config).
        bf16=train.mixed_precision == "bf16",
        fp16=train.mixed_precision == "fp16",
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(
        model=model, args=arguments, train_dataset=rows, data_collator=counting_collator, callbacks=[StepClock()]
    )
    output = trainer.train()
    wall = time.perf_counter() - started
    return {
        "steps": output.global_step,
        # The collator may run ahead of the last step; count the batches that were trained on.
        "tokens": sum(batch_tokens[: output.global_step]),
        "seconds": StepClock.seconds,
        "wall_seconds": wall,
        "batch_size": train.batch_size,
        "max_length": config.data.max_length,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


RUNS = {"parley": ("parley train", run_parley), "trainer": ("transformers Trainer (token-cls)", run_trainer)}


def spawn(run: str, args: argparse.Namespace, threads: int) -> dict:
    """One run in a fresh interpreter; what it reports."""
    command = [
        str(Path(__file__).resolve()),
        "--run",
        run,
        "--config",
        args.config,
        "--steps",
        str(args.steps),
        "--threads",
        str(threads),
        "--work",
        str(Path(args.work) / run),
        *args.overrides,
    ]
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
    return run_child(command, env, f"--run {run}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train/default.yaml")
    parser.add_argument("--steps", type=int, default=40, help="optimiser steps of each run")
    parser.add_argument("--threads", type=int, default=None, help="torch threads in both runs (default: torch's)")
    parser.add_argument("--work", default=None, help="folder for the runs' outputs (default: a temp folder)")
    parser.add_argument("--run", choices=RUNS, help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides for both runs")
    args = parser.parse_args()

    if args.run:
        import torch

        torch.set_num_threads(args.threads)
        print_result(RUNS[args.run][1](args))
        return 0

    if args.threads is None:
        # Asked of a child: the parent's peak RSS would carry into the runs' ru_maxrss (fork and exec keep it).
        query = [sys.executable, "-c", "import torch; print(torch.get_num_threads())"]
        args.threads = int(subprocess.run(query, capture_output=True, text=True, check=True).stdout.split()[-1])
    threads = args.threads
    args.work = args.work or tempfile.mkdtemp(prefix="parley-train-throughput-")
    print(f"config: {args.config} {' '.join(args.overrides)}; {args.steps} steps; {threads} thread(s)", flush=True)
    results = {run: spawn(run, args, threads) for run in RUNS}
    first = next(iter(results.values()))
    print(f"batch size {first['batch_size']}, max_length {first['max_length']}")
    print(f"{'':<34}{'steps':>6}{'tokens':>9}{'step s':>9}{'tokens/s':>10}{'wall s':>9}{'peak RSS MB':>12}")
    for run, result in results.items():
        rate = result["tokens"] / result["seconds"]
        print(
            f"{RUNS[run][0]:<34}{result['steps']:>6}{result['tokens']:>9,}{result['seconds']:>9.1f}{rate:>10,.0f}"
            f"{result['wall_seconds']:>9.1f}{result['peak_rss_mb']:>12,.0f}"
        )
    ours, peer = (results[run]["tokens"] / results[run]["seconds"] for run in RUNS)
    print(f"train_ratio_vs_trainer={ours / peer:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
