"""`parley predict --engine ray`: the input files through the Ray engine into shards of an output folder.

Reading is a Ray task per input file (parley.inference.news_io's readers, so ids, lines and rejects are those
of `parley predict`); the model runs in the actor pool of ray_engine.py; the driver receives the results in
input order and writes each input file's shard (`OUT/NAME.jsonl` or `.parquet`) and rejects
(`OUT/_rejects/NAME.jsonl`), then records the file in the manifest (ray_manifest.py). A shard is written under
a hidden name and renamed when complete, so a folder never holds half a shard under a shard's name.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path
from typing import Any

from parley.inference.actors import ActorCoder
from parley.inference.checkpoint import check_model_folder, run_runtime
from parley.inference.news_io import InputRecord, ParquetRowWriter, json_line
from parley.inference.ray_engine import EngineSettings, extract_records, read_input_files
from parley.inference.ray_manifest import (
    REJECTS_FOLDER,
    FileDone,
    Manifest,
    input_files,
    read_manifest,
    shard_name,
    starting_manifest,
    write_manifest,
)
from parley.model.configuration import ParleyConfig

SHARD_FORMATS = ("jsonl", "parquet")
# Ray Data merges the blocks a task yields until they reach DataContext.target_max_block_size (128 MiB by
# default) before passing them on, so a file's records would reach the actor pool as one bundle and one actor
# would extract the whole file while the others wait. Small blocks keep a single file spread over every actor:
# 256 KiB is one or two actor calls of real-length articles.
RUN_BLOCK_BYTES = 256 * 1024


@dataclass
class RayPredictOptions:
    """One `parley predict --engine ray` run."""

    input: str  # a file, a folder or a glob of .jsonl, .jsonl.gz, .csv, .parquet
    output: str  # the output folder
    settings: EngineSettings
    format: str = "jsonl"  # of the shards: jsonl or parquet (parquet holds dyad or event-table rows)
    address: str | None = None  # an existing Ray cluster; None: a local Ray, or the one already started
    overwrite: bool = False
    progress: bool = True


@dataclass
class RaySummary:
    """What a Ray run did."""

    output: Path
    kind: str
    files_done: int = 0
    files_skipped: int = 0
    articles: int = 0
    rejected: int = 0
    rows: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def format(self) -> str:
        rows = f", {self.rows} {self.kind} row(s)" if self.kind != "extractions" else ""
        return (
            f"{self.files_done} input file(s) done, {self.files_skipped} already done; {self.articles} article(s)"
            f"{rows} written to {self.output}; {self.rejected} rejected (see {self.output / REJECTS_FOLDER})"
        )


def _chosen_runtime(settings: EngineSettings, existing: Manifest | None) -> EngineSettings:
    """`settings` with "auto" replaced by the runtime the actors run, so the manifest records it (`run_runtime`:
    the folder's own when a run wrote it, else what "auto" means on the actors' device)."""
    recorded = (existing.run.get("runtime", "torch"), existing.run.get("int8", False)) if existing else None
    device = "cuda" if settings.gpus_per_actor > 0 else "cpu"
    runtime, int8 = run_runtime(settings.runtime, settings.int8, device, settings.dtype, recorded)
    return replace(settings, runtime=runtime, int8=int8)


def predict_with_ray(options: RayPredictOptions) -> RaySummary:
    """Run the model over every input file not yet done and write its shard; see the module docstring."""
    started = time.perf_counter()
    settings = options.settings
    if options.format not in SHARD_FORMATS:
        raise ValueError(f"--format: the Ray engine writes {SHARD_FORMATS} shards, got {options.format!r}")
    if options.format == "parquet" and settings.kind == "extractions":
        raise ValueError("Parquet shards hold dyad or event-table rows: add --dyads (extractions are written as JSONL)")
    folder = Path(options.output)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--output {folder}: is a file; the Ray engine writes shards into a folder")
    files = input_files(options.input, folder)
    check_model_folder(settings.model)  # here, not in every actor of the cluster
    if settings.actor_dictionary is not None:
        ActorCoder(settings.actor_dictionary, schema=ParleyConfig.from_pretrained(settings.model).schema_obj)
    settings = _chosen_runtime(settings, None if options.overwrite else read_manifest(folder))
    run = {
        "model": str(Path(settings.model).resolve()),
        "kind": settings.kind,
        "format": options.format,
        "actor_dictionary": settings.actor_dictionary,
        "int8": settings.int8,
        "dtype": settings.dtype,
        # Only when not the default, so that folders written before the option existed still resume.
        **({"runtime": settings.runtime} if settings.runtime != "torch" else {}),
    }
    (folder / REJECTS_FOLDER).mkdir(parents=True, exist_ok=True)
    manifest = starting_manifest(folder, run, options.overwrite)
    pending = [path for path in files if not manifest.is_done(path, folder)]
    summary = RaySummary(folder, settings.kind, files_skipped=len(files) - len(pending))
    if pending:
        if settings.runtime == "onnx":
            from parley.inference.onnx_runtime import export_encoder

            export_encoder(settings.model, settings.int8)  # once here, not in every actor as it starts
        # Taken before reading: a file that changes during the run is not recorded as done in its new state.
        stats = {str(path): path.stat() for path in pending}
        with ray_session(options.address, options.progress):
            _write_results(_results(pending, settings), stats, folder, manifest, summary)
    else:
        summary.notes.append(f"all {len(files)} input file(s) already done, nothing to do")
    summary.seconds = time.perf_counter() - started
    return summary


def _results(pending: list[Path], settings: EngineSettings) -> Iterator[dict[str, Any]]:
    """The result rows of the pending files, in input order (ray_engine.RESULT_SCHEMA)."""
    records = article_records(pending, settings)
    for batch in extract_records(records, settings).iter_batches(batch_size=None, batch_format="pyarrow"):
        yield from batch.to_pylist()


def article_records(paths: list[Path], settings: EngineSettings):
    """The Dataset of the files' article rows (ray_engine.ARTICLE_SCHEMA), read as `parley predict` reads them;
    inside `ray_session`, a file's rows come in blocks of about an actor call each (RUN_BLOCK_BYTES)."""
    import ray

    files = ray.data.from_items([{"file": str(path)} for path in paths], override_num_blocks=len(paths))
    # Reading takes no CPU slot of its own: the actors may hold every slot, and reading would then wait forever.
    return files.map_batches(
        read_input_files,
        fn_kwargs={"block_records": settings.batch_size},
        batch_size=1,
        batch_format="pyarrow",
        num_cpus=0,
    )


def _write_results(
    results: Iterable[dict[str, Any]],
    stats: dict[str, os.stat_result],
    folder: Path,
    manifest: Manifest,
    summary: RaySummary,
) -> None:
    """Write each file's results as its shard and record it in the manifest (as `stats` found it before it was
    read) as soon as its last row is in."""
    written: set[str] = set()
    for file, rows in itertools.groupby(results, key=itemgetter("file")):
        if file in written or file not in stats:
            raise RuntimeError(f"{file}: results arrived out of input order; nothing of it is recorded as done")
        written.add(file)
        _finish_file(Path(file), stats[file], rows, folder, manifest, summary)
    for file, stat in stats.items():  # a file with no record (empty) gives an empty shard
        if file not in written:
            _finish_file(Path(file), stat, iter(()), folder, manifest, summary)


def _finish_file(
    path: Path,
    stat: os.stat_result,
    results: Iterable[dict[str, Any]],
    folder: Path,
    manifest: Manifest,
    summary: RaySummary,
) -> None:
    shard = shard_name(path)
    target = manifest.shard_path(folder, shard)
    partial = folder / f".{shard}.partial.{manifest.run['format']}"
    rejects, partial_rejects = folder / REJECTS_FOLDER / f"{shard}.jsonl", folder / f".{shard}.rejects.partial"
    done = FileDone(stat.st_size, stat.st_mtime_ns, shard)
    with open(partial_rejects, "wb") as rejects_file:
        done.rows = _write_rows(_row_lines(results, rejects_file, done), partial, manifest.run)
    os.replace(partial, target)
    os.replace(partial_rejects, rejects)
    manifest.files[str(path)] = done
    write_manifest(folder, manifest)
    summary.files_done += 1
    summary.articles, summary.rejected, summary.rows = (
        summary.articles + done.articles,
        summary.rejected + done.rejected,
        summary.rows + done.rows,
    )


def _row_lines(results: Iterable[dict[str, Any]], rejects, done: FileDone) -> Iterator[str]:
    """The JSON Lines of a file's results, article by article; its rejects go to `rejects` as `parley predict`
    writes them."""
    for result in results:
        if result["error"] is not None:
            record = InputRecord(result["index"], result["line"], result["file"], result["id"], error=result["error"])
            rejects.write(json_line(record.reject()))
            done.rejected += 1
            continue
        done.articles += 1
        yield result["rows"]


def _write_rows(lines: Iterable[str], path: Path, run: dict[str, Any]) -> int:
    """Write the rows to a shard in the run's format; returns their count."""
    if run["format"] == "jsonl":
        count = 0
        with open(path, "wb") as out:
            for text in lines:
                out.write(text.encode("utf-8"))
                count += text.count("\n")  # JSON escapes a newline inside a string, so each is a row's end
        return count
    # Not splitlines(): JSON leaves U+2028 and other line separators inside strings as they are.
    rows = (json.loads(line) for text in lines for line in text.split("\n") if line)
    if run["kind"] == "events":
        from parley.inference.event_table import EVENT_COLUMNS
        from parley.inference.event_table_io import write_rows

        return write_rows(rows, path, EVENT_COLUMNS)
    with ParquetRowWriter(path) as writer:
        writer.write(rows)
    return writer.rows


@contextmanager
def ray_session(address: str | None, progress: bool) -> Iterator[None]:
    """Ray connected (to `address`, else a local Ray) with results kept in input order; a Ray this call
    started is shut down at the end, one already running is left as it was."""
    try:
        import ray
        from ray.data import DataContext
    except ImportError:
        raise ValueError("the Ray engine needs Ray: pip install 'parley-events[ray]'") from None

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=progress)
    context = DataContext.get_current()
    before = (context.execution_options.preserve_order, context.enable_progress_bars, context.target_max_block_size)
    # Input order is what lets each file's shard be finished, and recorded as done, as soon as its last row is in.
    context.execution_options.preserve_order = True
    context.enable_progress_bars = progress
    context.target_max_block_size = RUN_BLOCK_BYTES
    data_logger = logging.getLogger("ray.data")
    level = data_logger.level
    if not progress:
        data_logger.setLevel(logging.WARNING)  # its plan and timing lines are INFO
    try:
        yield
    finally:
        (
            context.execution_options.preserve_order,
            context.enable_progress_bars,
            context.target_max_block_size,
        ) = before
        data_logger.setLevel(level)
        if started:
            ray.shutdown()
