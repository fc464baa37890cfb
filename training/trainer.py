"""The training loop: config in, fine-tuned checkpoint out, on CPU, one GPU or many through accelerate."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator, skip_first_batches
from accelerate.utils import set_seed
from torch.utils.data import DataLoader, Sampler
from tqdm.auto import tqdm
from transformers import AutoConfig, AutoTokenizer, get_linear_schedule_with_warmup

from parley.config import RunConfig
from parley.encoders import resolve_encoder
from parley.model import ParleyConfig, ParleyModel
from parley.training.collate import Collator
from parley.training.dataset_builder import build_dataset
from parley.training.dev_metrics import dev_metrics

STATE_FILE = "trainer_state.json"


class EpochShuffleSampler(Sampler[int]):
    """A fresh permutation each epoch from (seed, epoch) alone, so a resumed run sees the same order.

    With `lengths`, batches are grouped by length: the permutation is cut into chunks of `MEGABATCH`
    batches, each chunk sorted by length and cut into batches, and the full batches are shuffled (a
    last, partial batch stays last, so the loader's cuts fall on batch edges). Each batch then pads to
    nearly its own length: on news articles, whose eventless sentences are short, about half the padded
    tokens of a random order.
    """

    MEGABATCH = 50

    def __init__(self, size: int, seed: int, lengths: list[int] | None = None, batch_size: int = 1):
        self.size, self.seed, self.epoch = size, seed, 0
        self.lengths, self.batch_size = lengths, batch_size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1000 + self.epoch)
        order = torch.randperm(self.size, generator=generator).tolist()
        if self.lengths is None:
            return iter(order)
        size, chunk = self.batch_size, self.batch_size * self.MEGABATCH
        batches = []
        for start in range(0, len(order), chunk):
            ranked = sorted(order[start : start + chunk], key=lambda i: -self.lengths[i])
            batches += [ranked[b : b + size] for b in range(0, len(ranked), size)]
        tail = [batches.pop()] if len(batches[-1]) < size else []
        shuffled = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()] + tail
        return iter([i for batch in shuffled for i in batch])

    def __len__(self) -> int:
        return self.size


@dataclass
class TrainerState:
    """Where a run stands; written with every checkpoint so `resume` continues at the same step."""

    global_step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0
    best_metric: float | None = None
    best_step: int | None = None
    evaluations_without_improvement: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


def _replace_dir(tmp: Path, target: Path) -> None:
    """Move a finished folder into place so readers see the old one or the new one, never half of one."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    if old.exists():
        shutil.rmtree(old)


def _restore_interrupted_swap(target: Path) -> None:
    old = target.with_name(target.name + ".old")
    if old.exists() and not target.exists():
        with contextlib.suppress(FileNotFoundError):  # another process of the same run got there first
            os.replace(old, target)


def latest_checkpoint(output_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run (only finished ones carry the `step-N` name)."""
    folder = output_dir / "checkpoints"
    if not folder.is_dir():
        return None
    steps = [p for p in folder.iterdir() if p.is_dir() and p.name.startswith("step-") and (p / STATE_FILE).exists()]
    return max(steps, key=lambda p: int(p.name.split("-")[1]), default=None)


# Keys a resumed run may change: where the run is, and the resume switch itself.
RESUME_FREE_KEYS = ("train.output_dir", "train.resume")


def check_resumable(config: RunConfig, out: Path) -> None:
    """Refuse to resume a run in `out` under a config that differs from the one it was started with."""
    saved_path = out / "run_config.json"
    if latest_checkpoint(out) is None or not saved_path.exists():
        return  # nothing to resume: the run starts from scratch
    saved = _dotted(json.loads(saved_path.read_text(encoding="utf-8")))
    current = _dotted(config.to_dict())
    differ = sorted(
        k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k) and k not in RESUME_FREE_KEYS
    )
    if differ:
        changes = "; ".join(f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in differ)
        raise ValueError(
            f"{saved_path}: cannot resume, the config differs from the run's in {changes} "
            "(--force resumes with the new config)"
        )


def _dotted(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict flattened to dotted keys: {"train": {"epochs": 3}} -> {"train.epochs": 3}."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def build_model(config: RunConfig, schema_dict: dict) -> tuple[ParleyModel, Any]:
    """A new model on the configured encoder (pretrained weights, random heads) and its tokenizer."""
    encoder_path = resolve_encoder(config.model.encoder)
    model_config = ParleyConfig(
        encoder=AutoConfig.from_pretrained(encoder_path).to_dict(),
        encoder_name=config.model.encoder,
        schema=schema_dict,
        relation_representation=config.model.relation_representation,
        head_dropout=config.model.dropout,
        max_seq_length=config.data.max_length,
    )
    return ParleyModel.from_encoder(encoder_path, model_config), AutoTokenizer.from_pretrained(encoder_path)


def train(
    config: RunConfig, on_step: Callable[[int], None] | None = None, quiet: bool = False, force: bool = False
) -> Path:
    """Fine-tune the event model as the config says; return the folder of the selected model.

    `on_step(global_step)` is called after every optimiser step (tests use it to interrupt a run). A resumed
    run must have the config of the run it continues; `force=True` continues with the new one anyway.
    """
    out = Path(config.train.output_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"train.output_dir {out}: is a file, not a folder")
    if config.train.resume and not force:
        check_resumable(config, out)
    data = config.data
    used = {"data.train_paths": data.train_paths} if data.train_paths else {"data.paths": data.paths}
    used.update({"data.dev_paths": data.dev_paths or [], "data.test_paths": data.test_paths or []})
    for key, paths in used.items():
        for path in paths:
            if not Path(path).exists():
                # Checked before anything is written: a typo must not leave an empty output_dir behind.
                raise FileNotFoundError(f"{key}: {path}: no such file or folder")
    out.mkdir(parents=True, exist_ok=True)
    _restore_interrupted_swap(out / "model")
    # device auto without a GPU is the CPU; saying so lets accelerate join launched CPU processes (gloo).
    no_accelerator = not torch.cuda.is_available() and not torch.backends.mps.is_available()
    cpu = config.device == "cpu" or (config.device == "auto" and no_accelerator)
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device: {config.device!r} asked for, but torch sees no CUDA GPU (use device=auto or cpu)")
    accelerator = Accelerator(mixed_precision=config.train.mixed_precision, cpu=cpu)
    set_seed(config.train.seed)
    log = (lambda *a: None) if quiet else accelerator.print

    built = build_dataset(config)
    if not quiet:
        accelerator.print(built.summary.format())
    model, tokenizer = build_model(config, built.schema.to_dict())
    collate = Collator(pad_token_id=tokenizer.pad_token_id)
    train_rows = built.datasets["train"]
    if len(train_rows) == 0:
        raise ValueError("the train split is empty: add labeled articles or change data.split")
    lengths = [len(ids) for ids in train_rows["input_ids"]] if config.train.group_by_length else None
    sampler = EpochShuffleSampler(len(train_rows), config.train.seed, lengths, config.train.batch_size)
    # Its own generator: a DataLoader without one draws from the global RNG each time it starts an epoch, which
    # would shift dropout in a resumed run against an uninterrupted one.
    train_loader = DataLoader(
        train_rows,
        batch_size=config.train.batch_size,
        sampler=sampler,
        collate_fn=collate,
        generator=torch.Generator().manual_seed(config.train.seed),
    )
    dev_rows = built.datasets["dev"] if "dev" in built.datasets else []
    dev_loader = None
    if len(dev_rows):
        dev_loader = DataLoader(
            dev_rows, batch_size=config.train.batch_size, collate_fn=collate, generator=torch.Generator().manual_seed(0)
        )

    decay, no_decay = [], []
    for param in model.parameters():
        (no_decay if param.ndim < 2 else decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.train.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.train.learning_rate,
    )
    # The schedule counts single-process steps: under accelerate launch the prepared scheduler advances once
    # per process at every optimiser step.
    schedule_steps = math.ceil(len(train_rows) / config.train.batch_size) * config.train.epochs
    if config.train.max_steps is not None:
        schedule_steps = min(schedule_steps, config.train.max_steps * accelerator.num_processes)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(config.train.warmup_ratio * schedule_steps), schedule_steps
    )
    model, optimizer, train_loader, scheduler = accelerator.prepare(model, optimizer, train_loader, scheduler)
    # Optimiser steps of this process: each of n processes takes 1/n of the batches of an epoch.
    steps_per_epoch = len(train_loader)
    total_steps = steps_per_epoch * config.train.epochs
    if config.train.max_steps is not None:
        total_steps = min(total_steps, config.train.max_steps)
    # The dev loader is not prepared: every process scores the whole dev set, so all of them take the same
    # best-model and early-stopping decisions under `accelerate launch`.

    state = TrainerState()
    if not config.train.resume and (out / "checkpoints").exists():
        # A fresh run in a used folder: the old checkpoints must not be resumed into this run later.
        log(f"note: {out} holds an earlier run; replacing its checkpoints (train.resume=true continues it)")
        if accelerator.is_main_process:
            shutil.rmtree(out / "checkpoints")
            (out / "metrics.jsonl").unlink(missing_ok=True)
        accelerator.wait_for_everyone()
    checkpoint = latest_checkpoint(out) if config.train.resume else None
    if config.train.resume and checkpoint is None:
        log(f"resume: no checkpoint in {out / 'checkpoints'}; starting from scratch")
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        state = TrainerState(**json.loads((checkpoint / STATE_FILE).read_text()))
        log(f"resumed from {checkpoint} at step {state.global_step}")
    if accelerator.is_main_process:
        (out / "run_config.json").write_text(json.dumps(config.to_dict(), indent=2))
        splits = {name: list(dict.fromkeys(rows["article_id"])) for name, rows in built.datasets.items()}
        (out / "splits.json").write_text(json.dumps(splits, indent=2))

    weights = {
        "mention": config.train.loss_weights.mention,
        "trigger": config.train.loss_weights.trigger,
        "relation": config.train.loss_weights.relation,
        "status": config.train.loss_weights.status,
    }

    def save_checkpoint() -> None:
        folder = out / "checkpoints"
        tmp = folder / f".tmp-step-{state.global_step}"
        if accelerator.is_main_process and tmp.exists():
            shutil.rmtree(tmp)
        accelerator.wait_for_everyone()
        # Every process takes part: each saves its own RNG state beside the shared weights.
        accelerator.save_state(str(tmp))
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            (tmp / STATE_FILE).write_text(json.dumps(state.__dict__, indent=2))
            _replace_dir(tmp, folder / f"step-{state.global_step}")
            for stale in sorted(folder.glob("step-*"), key=lambda p: int(p.name.split("-")[1]))[:-2]:
                shutil.rmtree(stale)
        accelerator.wait_for_everyone()

    def save_model(target: Path) -> None:
        if not accelerator.is_main_process:
            return
        tmp = target.with_name(f".tmp-{target.name}")
        if tmp.exists():
            shutil.rmtree(tmp)
        accelerator.unwrap_model(model).save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        _replace_dir(tmp, target)

    def evaluate_and_select() -> bool:
        """Score dev, keep the model if it is the best so far; True when early stopping says stop."""
        metrics: dict[str, Any] = {"step": state.global_step, "epoch": state.epoch}
        if running["steps"]:
            metrics["train_loss"] = running["loss"] / running["steps"]
            metrics["train_seconds"] = running["seconds"]
            metrics["train_tokens"] = int(running["tokens"])
            running.update(loss=0.0, steps=0, seconds=0.0, tokens=0)
        if dev_loader is not None:
            metrics.update(dev_metrics(accelerator.unwrap_model(model), dev_loader, weights))
        model.train()
        state.history.append(metrics)
        log("  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()))
        # Rewritten from the state, so a resumed run never repeats or loses a line.
        if accelerator.is_main_process:
            tmp = out / ".metrics.jsonl.tmp"
            tmp.write_text("".join(json.dumps(m) + "\n" for m in state.history), encoding="utf-8")
            os.replace(tmp, out / "metrics.jsonl")
        value = metrics.get(config.train.select_best_by)
        if value is None:  # no dev split: the newest model is the selected one
            save_model(out / "model")
            return False
        if state.best_metric is None or value > state.best_metric:
            state.best_metric, state.best_step = value, state.global_step
            state.evaluations_without_improvement = 0
            save_model(out / "model")
            return False
        state.evaluations_without_improvement += 1
        patience = config.train.early_stopping_patience
        return patience is not None and state.evaluations_without_improvement >= patience

    # Train loss, time and real (unpadded) tokens since the last evaluation.
    running = {"loss": 0.0, "steps": 0, "seconds": 0.0, "tokens": 0}
    model.train()
    progress = tqdm(
        total=total_steps,
        initial=state.global_step,
        disable=quiet or not accelerator.is_main_process,
        desc="train",
        unit="step",
    )
    stop = state.global_step >= total_steps
    while not stop and state.epoch < config.train.epochs:
        sampler.set_epoch(state.epoch)
        batches = skip_first_batches(train_loader, state.step_in_epoch) if state.step_in_epoch else train_loader
        for batch in batches:
            started = time.perf_counter()
            output = model(
                **batch,
                loss_weights=weights,
                label_smoothing=config.train.label_smoothing,
                trigger_tag_weight=config.train.trigger_tag_weight,
            )
            accelerator.backward(output.loss)
            if config.train.max_grad_norm is not None:
                accelerator.clip_grad_norm_(model.parameters(), config.train.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            state.global_step += 1
            state.step_in_epoch += 1
            running["loss"] += float(output.loss.detach())
            running["steps"] += 1
            running["tokens"] += int(batch["attention_mask"].sum())
            running["seconds"] += time.perf_counter() - started
            progress.update(1)
            progress.set_postfix(loss=f"{output.loss.item():.3f}", epoch=state.epoch)
            end_of_epoch = state.step_in_epoch >= steps_per_epoch
            if end_of_epoch:
                state.epoch += 1
                state.step_in_epoch = 0
            every = config.train.eval_every_steps
            due = (every is not None and state.global_step % every == 0) or (every is None and end_of_epoch)
            if due or state.global_step >= total_steps:
                stop = evaluate_and_select() or state.global_step >= total_steps
                save_checkpoint()
            if on_step is not None:
                on_step(state.global_step)
            if stop or end_of_epoch:
                break
    progress.close()
    accelerator.wait_for_everyone()
    if not (out / "model").exists():
        save_model(out / "model")
    # Every process scored the whole dev set, so all must have kept the same model; say so if they did not.
    steps = [state.global_step, -1 if state.best_step is None else state.best_step]
    picked = accelerator.gather(torch.tensor(steps, device=accelerator.device))  # NCCL gathers GPU tensors only
    if len({tuple(row) for row in picked.view(-1, 2).tolist()}) > 1:
        raise RuntimeError(
            f"processes disagree on the step reached and the model selected: {picked.view(-1, 2).tolist()}"
        )
    accelerator.wait_for_everyone()
    return out / "model"
