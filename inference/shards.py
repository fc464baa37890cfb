"""Splitting a `parley predict` run into shards: `--shard i/n`, or `auto` under `accelerate launch`."""

from __future__ import annotations

import os
import re
from pathlib import Path


def shard_output_path(output: str | Path, index: int, count: int) -> Path:
    """Where shard `index` of `count` writes when the shard comes from accelerate: `out.shard-0-of-2.jsonl`."""
    output = Path(output)
    return output.with_name(f"{output.stem}.shard-{index}-of-{count}{output.suffix}")


def parse_shard(value: str | None) -> tuple[int, int] | None:
    """ "i/n" -> (i, n); "auto" -> accelerate's (process index, process count), None for a single process."""
    if value is None:
        return None
    if value == "auto":
        import torch
        from accelerate import PartialState

        # Without a GPU, accelerate joins the launched processes only when told they run on the CPU.
        state = PartialState(cpu=not torch.cuda.is_available())
        launched = int(os.environ.get("WORLD_SIZE", "1"))
        if state.num_processes != launched:
            raise ValueError(
                f"--shard auto: {launched} processes were launched but accelerate sees {state.num_processes}; "
                "give each process --shard i/n instead"
            )
        return None if state.num_processes == 1 else (state.process_index, state.num_processes)
    match = re.fullmatch(r"(\d+)/(\d+)", value.strip())
    if not match or not int(match[1]) < int(match[2]):
        raise ValueError(f"--shard: expected i/n with 0 <= i < n (e.g. 0/4) or 'auto', got {value!r}")
    return int(match[1]), int(match[2])


def shard_device(device: str | None, shard: tuple[int, int] | None) -> str | None:
    """The device a run uses: the one given; else under accelerate launch each shard's own GPU."""
    if device is not None or shard is None:
        return device
    try:
        from accelerate import PartialState

        return str(PartialState().device)
    except Exception:  # accelerate missing or not configured: let the extractor pick
        return None
