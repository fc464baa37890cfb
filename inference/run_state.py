"""The state file of a `parley predict` run (`OUT.state.json`) and what resuming from it checks and reopens."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

SIDE_FILES = ("rejects.jsonl", "state.json", "state.json.tmp", "index", "journal.jsonl")
STATE_VERSION = 1
# State keys that must match for a run to be resumed, or for shard outputs to be merged.
RUN_KEYS = ("input", "input_size", "model", "format", "dyads", "batch_size", "chunk_size", "int8", "dtype", "runtime")


@dataclass
class RunState:
    """What a run has committed (the content of `OUT.state.json`)."""

    input: str
    input_size: int
    model: str
    format: str
    dyads: bool
    batch_size: int
    chunk_size: int = 64
    shard: list[int] | None = None
    int8: bool = False
    dtype: str | None = None
    runtime: str = "torch"  # a state written before runtimes existed ran torch
    records: int = 0  # input records consumed (the next index to read)
    articles: int = 0
    rejected: int = 0
    rows: int = 0
    output_bytes: int = 0
    rejects_bytes: int = 0
    index_bytes: int = 0
    journal_bytes: int = 0
    done: bool = False
    version: int = STATE_VERSION

    def run_key(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in RUN_KEYS}


@dataclass
class PredictSummary:
    """What a run (or a merge) wrote."""

    output: Path
    rejects: Path
    articles: int
    rejected: int
    rows: int
    resumed_from: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def format(self) -> str:
        rows = f", {self.rows} dyad row(s)" if self.rows else ""
        resumed = f" (resumed after {self.resumed_from} record(s))" if self.resumed_from else ""
        return (
            f"{self.articles} article(s){rows} written to {self.output}{resumed}; {self.rejected} rejected "
            f"(see {self.rejects})"
        )


def side_path(output: str | Path, what: str) -> Path:
    """A file kept beside the output: rejects.jsonl, state.json, index, journal.jsonl."""
    output = Path(output)
    return output.with_name(f"{output.name}.{what}")


def read_state(output: str | Path) -> RunState | None:
    """The committed state of the run writing `output`, or None if there is none."""
    path = side_path(output, "state.json")
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != STATE_VERSION:
            raise ValueError(f"state version {raw.get('version')!r}, expected {STATE_VERSION}")
        return RunState(**raw)
    except (ValueError, TypeError, AttributeError) as err:
        raise ValueError(f"{path}: unreadable run state ({err}); --overwrite starts the run again") from None


def write_state(output: str | Path, state: RunState) -> None:
    """Replace the state file atomically (write, fsync, rename), so a crash leaves the old or the new one."""
    path = side_path(output, "state.json")
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(asdict(state), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def check_existing_output(output: Path, state: RunState | None, resume: bool) -> None:
    """Refuse to replace what an earlier run wrote (a finished output, or an interrupted one's work)."""
    if state is not None:
        if resume:
            return
        if state.done:
            raise ValueError(f"{output}: already exists (a finished run); --overwrite replaces it")
        raise ValueError(
            f"{output}: an interrupted run's output ({state.records} input record(s) committed); "
            "--resume continues it, --overwrite starts again"
        )
    if output.exists():
        raise ValueError(
            f"{output}: already exists and has no {side_path(output, 'state.json').name} beside it, so it cannot "
            "be resumed; --overwrite replaces it"
        )


def check_committed_sizes(files: list[tuple[Path, int]]) -> None:
    """Refuse to resume when a file is shorter than the bytes its state says were committed."""
    for path, size in files:
        if size and (not path.exists() or path.stat().st_size < size):
            raise ValueError(
                f"{path}: shorter than the {size} bytes its state file says were committed; "
                "cannot resume (start again without --resume)"
            )


def open_at(path: Path, size: int) -> BinaryIO:
    """Open for appending after the first `size` bytes, dropping anything past them (an uncommitted tail)."""
    handle = open(path, "r+b" if path.exists() else "w+b")
    handle.truncate(size)
    handle.seek(size)
    return handle


def sync_files(*handles: BinaryIO | None) -> None:
    """Flush and fsync each open file, so what the next state commits is on disk."""
    for handle in handles:
        if handle is not None:
            handle.flush()
            os.fsync(handle.fileno())
