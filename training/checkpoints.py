"""Where a run stands on disk: its state, its checkpoints, atomic folder swaps, and the check before resuming."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parley.config import RunConfig

STATE_FILE = "trainer_state.json"


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


def replace_dir(tmp: Path, target: Path) -> None:
    """Move a finished folder into place so readers see the old one or the new one, never half of one."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    if old.exists():
        shutil.rmtree(old)


def restore_interrupted_swap(target: Path) -> None:
    """Put back a folder whose replacement was interrupted between its two renames."""
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
    saved = dotted(json.loads(saved_path.read_text(encoding="utf-8")))
    current = dotted(config.to_dict())
    differ = sorted(
        k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k) and k not in RESUME_FREE_KEYS
    )
    if differ:
        changes = "; ".join(f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in differ)
        raise ValueError(
            f"{saved_path}: cannot resume, the config differs from the run's in {changes} "
            "(--force resumes with the new config)"
        )


def dotted(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict flattened to dotted keys: {"train": {"epochs": 3}} -> {"train.epochs": 3}."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
