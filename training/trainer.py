"""The training loop: config in, fine-tuned checkpoint out, on CPU, one GPU or many through accelerate."""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator, skip_first_batches
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from parley.config import RunConfig
from parley.schema import Schema
from parley.training.checkpoints import (
    STATE_FILE,
    TrainerState,
    latest_checkpoint,
    replace_dir,
    restore_interrupted_swap,
)
from parley.training.collate import Collator
from parley.training.dataset_builder import build_dataset
from parley.training.dev_metrics import dev_metrics
from parley.training.run_inputs import build_model, check_inputs, runs_on_cpu
from parley.training.sampler import EpochShuffleSampler
from parley.training.saved_dataset import load_built_dataset

__all__ = ["EpochShuffleSampler", "Trainer", "build_model", "latest_checkpoint", "train"]


@dataclass
class SinceEvaluation:
    """Train loss, time and real (unpadded) tokens since the last evaluation."""

    loss: float = 0.0
    steps: int = 0
    seconds: float = 0.0
    tokens: int = 0


class Trainer:
    """One training run: the prepared model, optimiser, scheduler and loaders, and where the run stands.

    `train()` runs the loop; every evaluation scores dev, keeps the best model and writes a checkpoint that
    `train.resume` continues from at the same step, with the same weights as an uninterrupted run.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset_dir: str | Path | None = None,
        on_step: Callable[[int], None] | None = None,
        quiet: bool = False,
    ):
        """`dataset_dir`: a dataset `parley build-dataset` saved for `config`; None builds the rows in the run."""
        self.config, self.dataset_dir, self.on_step, self.quiet = config, dataset_dir, on_step, quiet
        # Checked first: a refused dataset must leave no output_dir behind.
        built = None if dataset_dir is None else load_built_dataset(dataset_dir, config)
        self.out = Path(config.train.output_dir)
        weights = config.train.loss_weights
        self.loss_weights = {name: getattr(weights, name) for name in ("mention", "trigger", "relation", "status")}
        self.state = TrainerState()
        self.since_evaluation = SinceEvaluation()
        self.recent_losses: deque[float] = deque(maxlen=config.train.log_every)
        self.out.mkdir(parents=True, exist_ok=True)
        restore_interrupted_swap(self.out / "model")
        self.accelerator = Accelerator(mixed_precision=config.train.mixed_precision, cpu=runs_on_cpu(config))
        set_seed(config.train.seed)
        self._setup_data_and_model(built)
        self._setup_optimisation()

    def log(self, *parts: Any) -> None:
        if not self.quiet:
            self.accelerator.print(*parts)

    def _setup_data_and_model(self, built: tuple[Any, Schema] | None) -> None:
        """The datasets (loaded from `dataset_dir`, or built now), the new model and the data loaders."""
        config = self.config
        if built is None:
            fresh = build_dataset(config)
            self.log(fresh.summary.format())
            built = fresh.datasets, fresh.schema
        else:
            self.log(f"training on the dataset built in {self.dataset_dir} (its summary: build_summary.json there)")
        self.datasets, schema = built
        self.model, self.tokenizer = build_model(config, schema.to_dict())
        collate = Collator(pad_token_id=self.tokenizer.pad_token_id)
        train_rows = self.datasets["train"]
        if len(train_rows) == 0:
            raise ValueError("the train split is empty: add labeled articles or change data.split")
        lengths = [len(ids) for ids in train_rows["input_ids"]] if config.train.group_by_length else None
        self.sampler = EpochShuffleSampler(len(train_rows), config.train.seed, lengths, config.train.batch_size)
        # Its own generator: a DataLoader without one draws from the global RNG each time it starts an epoch, which
        # would shift dropout in a resumed run against an uninterrupted one.
        self.train_loader = DataLoader(
            train_rows,
            batch_size=config.train.batch_size,
            sampler=self.sampler,
            collate_fn=collate,
            generator=torch.Generator().manual_seed(config.train.seed),
        )
        dev_rows = self.datasets["dev"] if "dev" in self.datasets else []
        self.dev_loader = None
        # Not prepared: every process scores the whole dev set, so all of them take the same best-model and
        # early-stopping decisions under `accelerate launch`.
        if len(dev_rows):
            self.dev_loader = DataLoader(
                dev_rows,
                batch_size=config.train.batch_size,
                collate_fn=collate,
                generator=torch.Generator().manual_seed(0),
            )

    def _setup_optimisation(self) -> None:
        """AdamW (no decay on biases and norms) and a linear schedule, prepared with the model and train loader."""
        train = self.config.train
        decay, no_decay = [], []
        for param in self.model.parameters():
            (no_decay if param.ndim < 2 else decay).append(param)
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": train.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=train.learning_rate,
        )
        # The schedule counts single-process steps: under accelerate launch the prepared scheduler advances once
        # per process at every optimiser step.
        schedule_steps = math.ceil(len(self.datasets["train"]) / train.batch_size) * train.epochs
        if train.max_steps is not None:
            schedule_steps = min(schedule_steps, train.max_steps * self.accelerator.num_processes)
        scheduler = get_linear_schedule_with_warmup(optimizer, int(train.warmup_ratio * schedule_steps), schedule_steps)
        self.model, self.optimizer, self.train_loader, self.scheduler = self.accelerator.prepare(
            self.model, optimizer, self.train_loader, scheduler
        )
        # Optimiser steps of this process: each of n processes takes 1/n of the batches of an epoch.
        self.steps_per_epoch = len(self.train_loader)
        self.total_steps = self.steps_per_epoch * train.epochs
        if train.max_steps is not None:
            self.total_steps = min(self.total_steps, train.max_steps)

    def start_or_resume(self) -> None:
        """Resume from the run's last checkpoint if asked, else clear an earlier run's; record config and splits."""
        accelerator, out, resume = self.accelerator, self.out, self.config.train.resume
        if not resume and (out / "checkpoints").exists():
            # A fresh run in a used folder: the old checkpoints must not be resumed into this run later.
            self.log(f"note: {out} holds an earlier run; replacing its checkpoints (train.resume=true continues it)")
            if accelerator.is_main_process:
                shutil.rmtree(out / "checkpoints")
                (out / "metrics.jsonl").unlink(missing_ok=True)
            accelerator.wait_for_everyone()
        checkpoint = latest_checkpoint(out) if resume else None
        if resume and checkpoint is None:
            self.log(f"resume: no checkpoint in {out / 'checkpoints'}; starting from scratch")
        if checkpoint is not None:
            accelerator.load_state(str(checkpoint))
            self.state = TrainerState(**json.loads((checkpoint / STATE_FILE).read_text()))
            self.log(f"resumed from {checkpoint} at step {self.state.global_step}")
        if accelerator.is_main_process:
            (out / "run_config.json").write_text(json.dumps(self.config.to_dict(), indent=2))
            splits = {name: list(dict.fromkeys(rows["article_id"])) for name, rows in self.datasets.items()}
            (out / "splits.json").write_text(json.dumps(splits, indent=2))

    def train(self) -> Path:
        """Run the loop to the end (or early stop); return the folder of the selected model."""
        self.start_or_resume()
        state, train = self.state, self.config.train
        self.model.train()
        self.progress = tqdm(
            total=self.total_steps,
            initial=state.global_step,
            disable=self.quiet or not self.accelerator.is_main_process,
            desc="train",
            unit="step",
        )
        stop = state.global_step >= self.total_steps
        while not stop and state.epoch < train.epochs:
            self.sampler.set_epoch(state.epoch)
            loader = self.train_loader
            batches = skip_first_batches(loader, state.step_in_epoch) if state.step_in_epoch else loader
            for batch in batches:
                self.training_step(batch)
                end_of_epoch = state.step_in_epoch >= self.steps_per_epoch
                if end_of_epoch:
                    state.epoch += 1
                    state.step_in_epoch = 0
                every = train.eval_every_steps
                due = (every is not None and state.global_step % every == 0) or (every is None and end_of_epoch)
                if due or state.global_step >= self.total_steps:
                    stop = self.evaluate_and_select() or state.global_step >= self.total_steps
                    self.save_checkpoint()
                if self.on_step is not None:
                    self.on_step(state.global_step)
                if stop or end_of_epoch:
                    break
        self.progress.close()
        return self.finish()

    def training_step(self, batch: dict[str, torch.Tensor]) -> None:
        """One optimiser step on one batch; adds its loss, time and tokens to the running totals."""
        started = time.perf_counter()
        train = self.config.train
        output = self.model(
            **batch,
            loss_weights=self.loss_weights,
            label_smoothing=train.label_smoothing,
            trigger_tag_weight=train.trigger_tag_weight,
        )
        self.accelerator.backward(output.loss)
        if train.max_grad_norm is not None:
            self.accelerator.clip_grad_norm_(self.model.parameters(), train.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad()
        self.state.global_step += 1
        self.state.step_in_epoch += 1
        loss = float(output.loss.detach())
        totals = self.since_evaluation
        totals.loss += loss
        totals.steps += 1
        totals.tokens += int(batch["attention_mask"].sum())
        totals.seconds += time.perf_counter() - started
        self.progress.update(1)
        self.log_recent_loss(loss)

    def log_recent_loss(self, loss: float) -> None:
        """Every `train.log_every` steps, log the mean train loss of those steps (the progress bar shows it too)."""
        self.recent_losses.append(loss)
        if self.state.global_step % self.config.train.log_every:
            return
        mean = sum(self.recent_losses) / len(self.recent_losses)
        self.progress.set_postfix(loss=f"{mean:.3f}", epoch=self.state.epoch)
        key = f"train_loss_last_{len(self.recent_losses)}"
        self.log(f"step={self.state.global_step}  epoch={self.state.epoch}  {key}={mean:.6f}")

    def evaluate_and_select(self) -> bool:
        """Score dev, keep the model if it is the best so far; True when early stopping says stop."""
        state, totals = self.state, self.since_evaluation
        metrics: dict[str, Any] = {"step": state.global_step, "epoch": state.epoch}
        if totals.steps:
            metrics["train_loss"] = totals.loss / totals.steps
            metrics["train_seconds"] = totals.seconds
            metrics["train_tokens"] = int(totals.tokens)
            self.since_evaluation = SinceEvaluation()
        if self.dev_loader is not None:
            metrics.update(dev_metrics(self.accelerator.unwrap_model(self.model), self.dev_loader, self.loss_weights))
        self.model.train()
        state.history.append(metrics)
        self.log("  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()))
        self._write_metrics()
        value = metrics.get(self.config.train.select_best_by)
        if value is None:  # no dev split: the newest model is the selected one
            self.save_model(self.out / "model")
            return False
        if state.best_metric is None or value > state.best_metric:
            state.best_metric, state.best_step = value, state.global_step
            state.evaluations_without_improvement = 0
            self.save_model(self.out / "model")
            return False
        state.evaluations_without_improvement += 1
        patience = self.config.train.early_stopping_patience
        return patience is not None and state.evaluations_without_improvement >= patience

    def _write_metrics(self) -> None:
        """Rewrite metrics.jsonl from the state, so a resumed run never repeats or loses a line."""
        if self.accelerator.is_main_process:
            tmp = self.out / ".metrics.jsonl.tmp"
            tmp.write_text("".join(json.dumps(m) + "\n" for m in self.state.history), encoding="utf-8")
            os.replace(tmp, self.out / "metrics.jsonl")

    def save_checkpoint(self) -> None:
        """Save weights, optimiser, scheduler, RNG states and the run's state as checkpoints/step-N (last two kept)."""
        accelerator, folder = self.accelerator, self.out / "checkpoints"
        tmp = folder / f".tmp-step-{self.state.global_step}"
        if accelerator.is_main_process and tmp.exists():
            shutil.rmtree(tmp)
        accelerator.wait_for_everyone()
        # Every process takes part: each saves its own RNG state beside the shared weights.
        accelerator.save_state(str(tmp))
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            (tmp / STATE_FILE).write_text(json.dumps(self.state.__dict__, indent=2))
            replace_dir(tmp, folder / f"step-{self.state.global_step}")
            for stale in sorted(folder.glob("step-*"), key=lambda p: int(p.name.split("-")[1]))[:-2]:
                shutil.rmtree(stale)
        accelerator.wait_for_everyone()

    def save_model(self, target: Path) -> None:
        """Save the model and tokenizer (`from_pretrained` reads them) into `target`, replacing it whole."""
        if not self.accelerator.is_main_process:
            return
        tmp = target.with_name(f".tmp-{target.name}")
        if tmp.exists():
            shutil.rmtree(tmp)
        self.accelerator.unwrap_model(self.model).save_pretrained(tmp, safe_serialization=True)
        self.tokenizer.save_pretrained(tmp)
        replace_dir(tmp, target)

    def finish(self) -> Path:
        """Make sure a model is saved and that every process kept the same one; return its folder."""
        accelerator, state = self.accelerator, self.state
        accelerator.wait_for_everyone()
        if not (self.out / "model").exists():
            self.save_model(self.out / "model")
        # Every process scored the whole dev set, so all must have kept the same model; say so if they did not.
        steps = [state.global_step, -1 if state.best_step is None else state.best_step]
        picked = accelerator.gather(torch.tensor(steps, device=accelerator.device))  # NCCL gathers GPU tensors only
        if len({tuple(row) for row in picked.view(-1, 2).tolist()}) > 1:
            raise RuntimeError(
                f"processes disagree on the step reached and the model selected: {picked.view(-1, 2).tolist()}"
            )
        accelerator.wait_for_everyone()
        return self.out / "model"


def train(
    config: RunConfig,
    on_step: Callable[[int], None] | None = None,
    quiet: bool = False,
    force: bool = False,
    dataset: str | Path | None = None,
) -> Path:
    """Fine-tune the event model as the config says; return the folder of the selected model.

    `dataset`: a folder `parley build-dataset` wrote for this config, trained on instead of building the rows again.
    `on_step(global_step)` is called after every optimiser step (tests use it to interrupt a run). A resumed
    run must have the config of the run it continues; `force=True` continues with the new one anyway.
    """
    check_inputs(config, force)
    return Trainer(config, dataset_dir=dataset, on_step=on_step, quiet=quiet).train()
