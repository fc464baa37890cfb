"""The `parley predict` run over a news dump: streaming chunks through the model, rejects, and commits.

Beside the output `OUT` a run keeps:

- `OUT.rejects.jsonl`: one line per malformed input record (index, file, line, id if known, reason).
- `OUT.state.json`: what is committed: input records consumed and the byte size of each file written.
- `OUT.index` (sharded runs only): one line per article, `input index<TAB>bytes<TAB>rows`, so `merge`
  can interleave shard outputs back into input order.
- `OUT.journal.jsonl` (Parquet output only, until the end): the dyad rows as JSON Lines. A Parquet file
  is unreadable until its footer is written, so rows are journaled as they come and streamed into
  Parquet row groups once every article is done.

Records are processed in chunks of `chunk_size` consecutive input indices (chunk k holds indices
k*chunk_size ... (k+1)*chunk_size-1); after each chunk every file is flushed and fsynced and then the
state is replaced atomically. The sentences of all articles of a chunk are batched together (sorted
by length), so batches span articles; because a chunk's contents depend on the input alone, padding
and batch shapes are the same in a resumed, a sharded and a single run, which is what makes their
outputs equal to the last digit of every score. `resume` truncates the files to the committed sizes
and skips the committed records (run_state.py), so an interrupted run ends identical byte for byte to
an uninterrupted one.

Shards: `shard=(i, n)` takes the chunks whose number % n == i. Under `accelerate launch`, `--shard auto`
takes i and n from the accelerate process index and count (shards.py) and writes `OUT` with
`.shard-i-of-n` before its suffix; `merge_outputs` (merge.py, `parley merge`) joins finished shard
outputs into what one process writes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from parley.inference.heap import long_lived_objects_frozen, release_free_heap
from parley.inference.host_pool import article_output, chunk_pipeline
from parley.inference.news_io import (
    InputRecord,
    ParquetRowWriter,
    csv_header,
    duplicate_ids,
    input_extent,
    input_format,
    iter_records,
    json_line,
)
from parley.inference.predict_options import (
    PredictOptions,  # also imported from here (the CLI, event_predict, benchmarks)
    check_output_path,
    chosen_runtime,
    output_format,
)
from parley.inference.run_state import (
    RUN_KEYS,
    PredictSummary,
    RunState,
    check_committed_sizes,
    check_existing_output,
    open_at,
    read_state,
    side_path,
    sync_files,
    write_state,
)
from parley.inference.shards import shard_device

# -- the run -------------------------------------------------------------------------------------------------------


def predict_file(
    options: PredictOptions, extractor=None, hook: Callable[[int, str], None] | None = None
) -> PredictSummary:
    """Run the model over an input dump and write outputs, rejects and state beside `options.output`.

    `extractor` reuses a loaded `EventExtractor`; `hook(chunk, stage)` is called after each chunk is written
    ("written") and after it is committed ("committed"); tests raise from it to simulate a crash.
    """
    started = time.perf_counter()
    fmt = output_format(options)
    input_path = Path(options.input).resolve()
    if not input_path.exists():
        raise FileNotFoundError(f"{options.input}: no such file or folder")
    output = Path(options.output)
    # Every check that can refuse the run comes before the first byte is written.
    check_output_path(input_path, output)
    input_format(input_path)  # an unsupported input is refused here, not after the model has loaded
    device = shard_device(options.device, options.shard)
    options = chosen_runtime(options, device, extractor, output)
    state, summary = _starting_state(options, fmt, input_path, output)
    if state.done:
        summary.notes.append("already complete, nothing to do")
        return summary
    if extractor is None:
        from parley.inference.extractor import EventExtractor

        extractor = EventExtractor.from_pretrained(
            options.model, device=device, int8=options.int8, dtype=options.dtype, runtime=options.runtime
        )
    with long_lived_objects_frozen():
        body = _run_chunks(options, extractor, fmt, input_path, state, hook)
    if fmt == "parquet":
        _journal_to_parquet(body, output)
        state.output_bytes, state.done = output.stat().st_size, True
        write_state(output, state)
        body.unlink()
    summary.articles, summary.rejected, summary.rows = state.articles, state.rejected, state.rows
    summary.seconds = time.perf_counter() - started
    return summary


def _starting_state(
    options: PredictOptions, fmt: str, input_path: Path, output: Path
) -> tuple[RunState, PredictSummary]:
    """The state a run starts from (fresh, or the committed one it resumes) and its summary so far."""
    existing = read_state(output) if options.resume or not options.overwrite else None
    if not options.overwrite:
        check_existing_output(output, existing, options.resume)
    output.parent.mkdir(parents=True, exist_ok=True)
    fresh = RunState(
        input=str(input_path),
        input_size=_input_size(input_path),
        model=str(Path(options.model).resolve()),
        format=fmt,
        dyads=options.dyads,
        batch_size=options.batch_size,
        chunk_size=options.chunk_size,
        shard=list(options.shard) if options.shard else None,
        int8=options.int8,
        dtype=options.dtype,
        runtime=options.runtime,
    )
    state = existing if options.resume else None
    notes: list[str] = []
    if state is None:
        if options.resume:
            notes.append(f"no state beside {output}: starting from the beginning")
        # A stale state must not outlive the files this fresh start truncates.
        side_path(output, "state.json").unlink(missing_ok=True)
        state = fresh
    elif state.run_key() != fresh.run_key() or state.shard != fresh.shard:
        differ = [key for key in (*RUN_KEYS, "shard") if getattr(state, key) != getattr(fresh, key)]
        raise ValueError(f"{side_path(output, 'state.json')}: cannot resume, the run differs in {differ}")
    rejects = side_path(output, "rejects.jsonl")
    summary = PredictSummary(output, rejects, state.articles, state.rejected, state.rows, state.records, notes=notes)
    return state, summary


def _run_chunks(options: PredictOptions, extractor, fmt: str, input_path: Path, state: RunState, hook) -> Path:
    """Stream the input through the model chunk by chunk, committing each; the file the rows went to."""
    output = Path(options.output)
    # Parquet rows are journaled as JSON Lines and converted at the end (see the module docstring).
    body = side_path(output, "journal.jsonl") if fmt == "parquet" else output
    body_committed = state.journal_bytes if fmt == "parquet" else state.output_bytes
    rejects, index = side_path(output, "rejects.jsonl"), side_path(output, "index")
    check_committed_sizes([(body, body_committed), (rejects, state.rejects_bytes), (index, state.index_bytes)])
    with (
        open_at(body, body_committed) as out,
        open_at(rejects, state.rejects_bytes) as rejects_file,
        open_at(index, state.index_bytes) if options.shard else nullcontext() as index_file,
    ):
        if fmt == "csv" and body_committed == 0:
            out.write(csv_header())
        progress = _progress(options.progress, *input_extent(input_path))
        chunks = _ChunkWriter(options, extractor, fmt, state, out, rejects_file, index_file, progress, hook)
        pipeline = chunk_pipeline(extractor, options.workers, fmt, options.dyads, options.batch_size, chunks.commit)
        with pipeline:
            _read_chunks(options, input_path, state, progress, pipeline.submit)
        progress.close()
    return body


def _read_chunks(options: PredictOptions, input_path: Path, state: RunState, progress, submit: Callable) -> None:
    """Read the input from the committed record on and hand `submit` each chunk (the last one with done=True)."""
    # Every run finds the same duplicates whatever its shard or resume point: the whole input is scanned.
    duplicates = duplicate_ids(input_path)
    chunk: list[InputRecord] = []
    last, size = state.records - 1, options.chunk_size
    for record in iter_records(input_path, start=state.records, shard=options.shard, block=size):
        if chunk and record.index // size != chunk[0].index // size:
            submit(chunk, last + 1)
            chunk = []
        if record.article is not None and record.index in duplicates:
            record = replace(record, article=None, error=duplicates[record.index])
        chunk.append(record)
        last = record.index
        if record.position is not None:
            if progress.n == 0 and state.records:
                # A resumed run starts the bar where it stands, so the time left counts this run's speed.
                progress.initial = progress.n = record.position
            progress.update(record.position - progress.n)
    submit(chunk, last + 1, done=True)


@dataclass
class _ChunkWriter:
    """Writes each chunk of a run through the model to the open files, then commits it (files, then state)."""

    options: PredictOptions
    extractor: Any
    fmt: str
    state: RunState
    out: BinaryIO
    rejects: BinaryIO
    index: BinaryIO | None
    progress: Any
    hook: Callable[[int, str], None] | None
    chunks: int = 0

    def commit(self, chunk: list[InputRecord], records: int, done: bool = False, outputs: list | None = None) -> None:
        """Write `chunk`, fsync every file, then replace the state: `records` input records consumed.

        `outputs`: each valid article's (bytes, rows), already made by a worker; None: made here.
        """
        self.chunks += 1
        self._write(chunk, self._outputs(chunk) if outputs is None else outputs)
        if self.hook:
            self.hook(self.chunks, "written")
        sync_files(self.out, self.rejects, self.index)
        state = self.state
        state.records = records
        size = self.out.tell()
        state.journal_bytes, state.output_bytes = (size, 0) if self.fmt == "parquet" else (0, size)
        state.rejects_bytes, state.index_bytes = self.rejects.tell(), self.index.tell() if self.index else 0
        state.done = done and self.fmt != "parquet"
        write_state(self.options.output, state)
        release_free_heap()
        if self.hook:
            self.hook(self.chunks, "committed")

    def _outputs(self, chunk: list[InputRecord]) -> list[tuple[bytes, int]]:
        # One model pass over the whole chunk: batches span its articles (see the module docstring).
        valid = [record.article for record in chunk if record.article is not None]
        extractions = self.extractor.extract(valid, batch_size=self.options.batch_size)
        schema, fmt, dyads = self.extractor.schema, self.fmt, self.options.dyads
        return [article_output(extraction, schema, fmt, dyads) for extraction in extractions]

    def _write(self, chunk: list[InputRecord], outputs: list[tuple[bytes, int]]) -> None:
        outputs_left, state = iter(outputs), self.state
        for record in chunk:
            if record.article is None:
                self.rejects.write(json_line(record.reject()))
                state.rejected += 1
                continue
            data, rows = next(outputs_left)
            self.out.write(data)
            if self.index is not None:
                self.index.write(f"{record.index}\t{len(data)}\t{rows}\n".encode())
            state.articles += 1
            state.rows += rows if self.options.dyads else 0
        self.progress.set_postfix(articles=state.articles, rejected=state.rejected)


def _journal_to_parquet(journal: Path, output: Path) -> None:
    with open(journal, "rb") as lines, ParquetRowWriter(output) as writer:
        writer.write(json.loads(line) for line in lines)


def _input_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
    return path.stat().st_size


def _progress(enabled: bool, total: int | None, unit: str):
    """The progress bar of a run: input bytes (or records) read of the total, with the time left."""
    from tqdm.auto import tqdm

    scale = unit == "B"  # 1.2MB/31.4MB rather than 1234567/31415926
    return tqdm(
        total=total,
        unit=unit,
        unit_scale=scale,
        unit_divisor=1024 if scale else 1000,
        desc="predict",
        disable=not enabled,
        dynamic_ncols=True,
    )
