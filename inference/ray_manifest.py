"""The output folder of a Ray run: which input files it reads, where each one's shard goes, and the manifest.

`OUT/_manifest.json` records the run's settings and, for each input file done, its size and modification time,
its shard and its counts. A rerun over the same folder skips every file whose entry still matches it, so an
interrupted run picks up at the first file it had not finished and a grown dump costs only its new files.
Names starting with "_" or "." are what Parquet readers skip in a folder, so the manifest, the rejects
(`OUT/_rejects/`) and the shards being written (`OUT/.NAME.partial...`) stay out of `pd.read_parquet(OUT)`.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from parley.inference.news_io import INPUT_SUFFIXES

MANIFEST = "_manifest.json"
REJECTS_FOLDER = "_rejects"
MANIFEST_VERSION = 1


@dataclass
class FileDone:
    """One input file a run has finished: what it was when read, and what it gave."""

    size: int
    mtime_ns: int
    shard: str
    articles: int = 0
    rejected: int = 0
    rows: int = 0


@dataclass
class Manifest:
    """What the run writing an output folder has finished, and the settings its shards were made with."""

    run: dict[str, Any]
    files: dict[str, FileDone] = field(default_factory=dict)
    version: int = MANIFEST_VERSION

    def shard_path(self, folder: Path, shard: str) -> Path:
        """Where a shard of this run lies (its suffix is the run's output format)."""
        return folder / f"{shard}.{self.run['format']}"

    def is_done(self, path: Path, folder: Path) -> bool:
        """Whether `path` was finished as it is now and its shard is still there."""
        entry = self.files.get(str(path))
        if entry is None or not self.shard_path(folder, entry.shard).is_file():
            return False
        stat = path.stat()
        return (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def input_files(spec: str, output: Path) -> list[Path]:
    """The dumps a run reads: a file, the dumps in a folder, or those a glob matches; sorted, outputs left out."""
    path = Path(spec)
    if path.is_file():
        candidates = [path]
        if not _is_dump(path):
            raise ValueError(f"{spec}: unsupported input; expected {', '.join(INPUT_SUFFIXES)} files")
    elif path.is_dir():
        candidates = [p for p in path.iterdir() if p.is_file()]
    elif glob.has_magic(spec):
        candidates = [Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file()]
    else:
        raise FileNotFoundError(f"{spec}: no such file or folder, and not a glob pattern")
    output = output.resolve()
    files = sorted({p.resolve() for p in candidates if _is_dump(p) and output not in p.resolve().parents})
    if not files:
        raise ValueError(f"{spec}: no input files ({', '.join(INPUT_SUFFIXES)}) outside the output folder")
    return files


def _is_dump(path: Path) -> bool:
    return path.name.lower().endswith(INPUT_SUFFIXES)


def shard_name(path: Path) -> str:
    """The shard of an input file: its name without suffix, and a hash of its full path that keeps
    same-named files of different folders apart (`news-3f2a9c1e`)."""
    name = path.name
    for suffix in INPUT_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return f"{name}-{hashlib.sha1(str(path).encode('utf-8')).hexdigest()[:8]}"


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest of an output folder, or None if it has none."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != MANIFEST_VERSION:
            raise ValueError(f"version {raw.get('version')!r}, expected {MANIFEST_VERSION}")
        files = {name: FileDone(**entry) for name, entry in raw["files"].items()}
        return Manifest(raw["run"], files)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise ValueError(f"{path}: unreadable manifest ({err}); --overwrite starts the run again") from None


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically (write, fsync, rename): a crash leaves the old one or the new one."""
    path = folder / MANIFEST
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(asdict(manifest), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def starting_manifest(folder: Path, run: dict[str, Any], overwrite: bool) -> Manifest:
    """The manifest a run starts from: the folder's own when its settings match; a fresh one with `overwrite`
    (the shards it lists removed), which a folder from a run with other settings needs."""
    existing = read_manifest(folder)
    if existing is not None and overwrite:
        for entry in existing.files.values():
            existing.shard_path(folder, entry.shard).unlink(missing_ok=True)
            (folder / REJECTS_FOLDER / f"{entry.shard}.jsonl").unlink(missing_ok=True)
        existing = None
    if existing is None:
        return Manifest(run)
    differ = sorted(key for key in {*run, *existing.run} if run.get(key) != existing.run.get(key))
    if differ:
        raise ValueError(
            f"{folder / MANIFEST}: the run that wrote this folder differs in {differ}; "
            "--overwrite starts again, or write to another folder"
        )
    return existing
