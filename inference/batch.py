"""The `parley predict` run over a news dump: streaming, rejects, resume, shards, and merging shard outputs.

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
and skips the committed records, so an interrupted run ends identical byte for byte to an
uninterrupted one.

Shards: `shard=(i, n)` takes the chunks whose number % n == i. Under `accelerate launch`, `--shard auto`
takes i and n from the accelerate process index and count and writes `OUT` with `.shard-i-of-n` before
its suffix; `merge_outputs` (`parley merge`) joins finished shard outputs into what one process writes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import heapq
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from parley.inference.dyads import event_rows
from parley.inference.news_io import (
    InputRecord,
    ParquetRowWriter,
    csv_header,
    csv_rows,
    duplicate_ids,
    input_extent,
    input_format,
    iter_parquet_rows,
    iter_records,
    json_line,
)

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
# The output suffixes that name a format; any other suffix takes --format (default jsonl).
SUFFIX_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SIDE_FILES = ("rejects.jsonl", "state.json", "state.json.tmp", "index", "journal.jsonl")
STATE_VERSION = 1
# State keys that must match for a run to be resumed, or for shard outputs to be merged.
RUN_KEYS = ("input", "input_size", "model", "format", "dyads", "batch_size", "chunk_size", "int8", "dtype")


@dataclass
class PredictOptions:
    """One `parley predict` run."""

    model: str
    input: str
    output: str
    format: str | None = None  # None: from the output's suffix (.csv, .parquet, else jsonl)
    dyads: bool = False
    batch_size: int = 32
    chunk_size: int = 64  # records per commit
    resume: bool = False
    shard: tuple[int, int] | None = None
    device: str | None = None
    progress: bool = True
    overwrite: bool = False  # replace an existing output; without it (and without resume) one is refused
    int8: bool = False  # int8 dynamically quantised linear layers: faster on CPUs, slightly less accurate
    dtype: str | None = None  # "float16"/"bfloat16": the model cast to half precision (GPUs); None: float32


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


# -- paths and options ---------------------------------------------------------------------------------------------


def side_path(output: str | Path, what: str) -> Path:
    """A file kept beside the output: rejects.jsonl, state.json, index, journal.jsonl."""
    output = Path(output)
    return output.with_name(f"{output.name}.{what}")


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


def output_format(options: PredictOptions) -> str:
    """The output format: given, or from the output suffix; a format that contradicts the suffix is an error.

    CSV and Parquet hold dyad rows only.
    """
    name = Path(options.output).name.lower()
    if name.endswith(".gz"):
        raise ValueError(
            f"--output {options.output}: compressed output is not written; name it .jsonl, .csv or .parquet"
        )
    suffix = Path(name).suffix
    implied = SUFFIX_FORMATS.get(suffix)
    fmt = options.format or implied or "jsonl"
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"--format: expected one of {OUTPUT_FORMATS}, got {fmt!r}")
    if implied is not None and fmt != implied:
        raise ValueError(
            f"--format {fmt} contradicts the output name {options.output} ({suffix} is {implied}); "
            f"name the output .{fmt} or leave --format out"
        )
    if fmt != "jsonl" and not options.dyads:
        raise ValueError(f"--format {fmt} writes dyad rows: add --dyads (full extractions are written as JSONL)")
    return fmt


def check_output_path(input_path: Path, output: Path) -> None:
    """Refuse an output (or a file kept beside it) that is the input itself, reached by any path."""
    if output.is_dir():
        raise ValueError(f"--output {output}: is a folder; name a file (e.g. {output / 'events.jsonl'})")
    for target in (output, *(side_path(output, what) for what in SIDE_FILES)):
        resolved = target.resolve()
        same = resolved == input_path or (
            target.exists() and input_path.exists() and os.path.samefile(target, input_path)
        )
        # A folder input reads every .txt in it: an output written there would be read back as an article.
        inside = input_path.is_dir() and resolved.parent == input_path and resolved.suffix.lower() == ".txt"
        if same or inside:
            raise ValueError(
                f"--output {output}: {'is' if target == output else f'its {target.name} would be'} "
                f"{'the input' if same else 'inside the input folder'} {input_path}; nothing was written"
            )


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


# -- state ---------------------------------------------------------------------------------------------------------


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


def _open_at(path: Path, size: int) -> BinaryIO:
    """Open for appending after the first `size` bytes, dropping anything past them (an uncommitted tail)."""
    handle = open(path, "r+b" if path.exists() else "w+b")
    handle.truncate(size)
    handle.seek(size)
    return handle


def _sync(*handles: BinaryIO | None) -> None:
    for handle in handles:
        if handle is not None:
            handle.flush()
            os.fsync(handle.fileno())


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
    resumed_from = state.records
    summary = PredictSummary(
        output,
        side_path(output, "rejects.jsonl"),
        state.articles,
        state.rejected,
        state.rows,
        resumed_from,
        notes=notes,
    )
    if state.done:
        summary.notes.append("already complete, nothing to do")
        return summary

    if extractor is None:
        from parley.inference.extractor import EventExtractor

        extractor = EventExtractor.from_pretrained(
            options.model, device=_device(options), int8=options.int8, dtype=options.dtype
        )
    # Parquet rows are journaled as JSON Lines and converted at the end (see the module docstring).
    body = side_path(output, "journal.jsonl") if fmt == "parquet" else output
    body_committed = state.journal_bytes if fmt == "parquet" else state.output_bytes
    for path, size in (
        (body, body_committed),
        (summary.rejects, state.rejects_bytes),
        (side_path(output, "index"), state.index_bytes),
    ):
        if size and (not path.exists() or path.stat().st_size < size):
            raise ValueError(
                f"{path}: shorter than the {size} bytes its state file says were committed; "
                "cannot resume (start again without --resume)"
            )
    with (
        _open_at(body, body_committed) as out,
        _open_at(summary.rejects, state.rejects_bytes) as rejects,
        _open_at(side_path(output, "index"), state.index_bytes) if options.shard else nullcontext() as index,
    ):
        if fmt == "csv" and body_committed == 0:
            out.write(csv_header())
        total, unit = input_extent(input_path)
        progress = _progress(options.progress, total, unit)
        # Every run finds the same duplicates whatever its shard or resume point: the whole input is scanned.
        duplicates = duplicate_ids(input_path)
        chunk: list[InputRecord] = []
        chunk_number = 0

        def commit(records: int, done: bool = False) -> None:
            nonlocal chunk_number
            chunk_number += 1
            _write_chunk(chunk, extractor, options, fmt, state, out, rejects, index, progress)
            chunk.clear()
            if hook:
                hook(chunk_number, "written")
            _sync(out, rejects, index)
            state.records = records
            size = out.tell()
            state.journal_bytes, state.output_bytes = (size, 0) if fmt == "parquet" else (0, size)
            state.rejects_bytes, state.index_bytes = rejects.tell(), index.tell() if index else 0
            state.done = done and fmt != "parquet"
            write_state(output, state)
            release_free_heap()
            if hook:
                hook(chunk_number, "committed")

        last = state.records - 1
        size = options.chunk_size
        records = iter_records(input_path, start=state.records, shard=options.shard, block=size)
        for record in records:
            if chunk and record.index // size != chunk[0].index // size:
                commit(last + 1)
            if record.article is not None and record.index in duplicates:
                record = replace(record, article=None, error=duplicates[record.index])
            chunk.append(record)
            last = record.index
            if record.position is not None:
                if progress.n == 0 and state.records:
                    # A resumed run starts the bar where it stands, so the time left counts this run's speed.
                    progress.initial = progress.n = record.position
                progress.update(record.position - progress.n)
        commit(last + 1, done=True)
        progress.close()

    if fmt == "parquet":
        _journal_to_parquet(body, output)
        state.output_bytes, state.done = output.stat().st_size, True
        write_state(output, state)
        body.unlink()
    summary.articles, summary.rejected, summary.rows = state.articles, state.rejected, state.rows
    summary.seconds = time.perf_counter() - started
    return summary


def _write_chunk(
    chunk: list[InputRecord],
    extractor,
    options: PredictOptions,
    fmt: str,
    state: RunState,
    out: BinaryIO,
    rejects: BinaryIO,
    index: BinaryIO | None,
    progress,
) -> None:
    # One model pass over the whole chunk: batches span its articles (see the module docstring).
    valid = [record.article for record in chunk if record.article is not None]
    extractions = iter(extractor.extract(valid, batch_size=options.batch_size))
    for record in chunk:
        if record.article is None:
            rejects.write(json_line(record.reject()))
            state.rejected += 1
            continue
        extraction = next(extractions)
        if options.dyads:
            rows = event_rows(extraction, extractor.schema)
            data = csv_rows(rows) if fmt == "csv" else b"".join(json_line(row) for row in rows)
        else:
            rows, data = [None], json_line(extraction.to_record())
        out.write(data)
        if index is not None:
            index.write(f"{record.index}\t{len(data)}\t{len(rows)}\n".encode())
        state.articles += 1
        state.rows += len(rows) if options.dyads else 0
    progress.set_postfix(articles=state.articles, rejected=state.rejected)


def release_free_heap() -> bool:
    """Give the C heap's free pages back to the system (glibc's malloc_trim); False where there is none.

    Each chunk allocates tensors of new shapes; glibc keeps the freed pages mapped, so without this a
    long run's RSS creeps up with the number of articles (benchmarks/README.md: 785 MB at 2,000, 1,132
    MB at 20,000) while the Python heap stays flat. Trimming once a chunk costs about a millisecond.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:  # no C library to load: nothing to trim
        return None


def _journal_to_parquet(journal: Path, output: Path) -> None:
    with open(journal, "rb") as lines, ParquetRowWriter(output) as writer:
        writer.write(json.loads(line) for line in lines)


def _input_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
    return path.stat().st_size


def _device(options: PredictOptions) -> str | None:
    if options.device is not None or options.shard is None:
        return options.device
    try:  # under accelerate launch each process takes its own GPU
        from accelerate import PartialState

        return str(PartialState().device)
    except Exception:  # accelerate missing or not configured: let the extractor pick
        return None


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


# -- merging shards ------------------------------------------------------------------------------------------------


def merge_outputs(output: str | Path, shard_outputs: list[str | Path], overwrite: bool = False) -> PredictSummary:
    """Join the outputs of finished shard runs 0..n-1 into the output (and rejects) one process writes."""
    started = time.perf_counter()
    output = Path(output)
    if output.is_dir():
        raise ValueError(f"{output}: is a folder; name the merged output file")
    for path in shard_outputs:
        if output.resolve() == Path(path).resolve():
            raise ValueError(f"{output}: is also one of the shards; name a new file for the merged output")
    if output.exists() and not overwrite:
        raise ValueError(f"{output}: already exists; --overwrite replaces it")
    states = []
    for path in shard_outputs:
        state = read_state(path)
        if state is None:
            raise ValueError(f"{path}: no {side_path(path, 'state.json').name} beside it; is it a shard output?")
        if not state.done or state.shard is None:
            raise ValueError(
                f"{path}: "
                + (
                    "the run is not finished (resume it first)"
                    if not state.done
                    else "not a shard output (it was run without --shard)"
                )
            )
        if not side_path(path, "index").exists():
            raise ValueError(f"{path}: its index file {side_path(path, 'index').name} is missing")
        states.append(state)
    first = states[0]
    count = first.shard[1]
    for path, state in zip(shard_outputs, states, strict=True):
        if state.run_key() != first.run_key() or state.shard[1] != count:
            raise ValueError(f"{path}: a different run from {shard_outputs[0]} (input, model, format or shard count)")
    found = sorted(state.shard[0] for state in states)
    if found != list(range(count)):
        raise ValueError(f"expected shards 0..{count - 1} of {count} once each, got {found}")
    output.parent.mkdir(parents=True, exist_ok=True)

    entries = [_index_entries(path, n) for n, path in enumerate(shard_outputs)]
    order = heapq.merge(*entries)
    if first.format == "parquet":
        rows = [iter_parquet_rows(path) for path in shard_outputs]
        with ParquetRowWriter(output) as writer:
            for _, n, _, n_rows in order:
                writer.write(next(rows[n]) for _ in range(n_rows))
    else:
        sources = [open(path, "rb") for path in shard_outputs]
        try:
            header = csv_header() if first.format == "csv" else b""
            for path, source in zip(shard_outputs, sources, strict=True):
                if source.read(len(header)) != header:
                    raise ValueError(f"{path}: does not start with the dyads CSV header")
            with open(output, "wb") as out:
                out.write(header)
                for _, n, n_bytes, _ in order:
                    out.write(_read_exactly(sources[n], n_bytes, shard_outputs[n]))
        finally:
            for source in sources:
                source.close()

    rejects = side_path(output, "rejects.jsonl")
    with open(rejects, "wb") as out:
        for _, line in heapq.merge(*[_reject_lines(path) for path in shard_outputs]):
            out.write(line)
    merged = RunState(
        **{
            **asdict(first),
            "shard": None,
            "done": True,
            "records": max(s.records for s in states),
            "articles": sum(s.articles for s in states),
            "rejected": sum(s.rejected for s in states),
            "rows": sum(s.rows for s in states),
            "output_bytes": output.stat().st_size,
            "rejects_bytes": rejects.stat().st_size,
            "index_bytes": 0,
            "journal_bytes": 0,
        }
    )
    write_state(output, merged)
    return PredictSummary(
        output, rejects, merged.articles, merged.rejected, merged.rows, seconds=time.perf_counter() - started
    )


def _read_exactly(handle: BinaryIO, n_bytes: int, path: str | Path) -> bytes:
    """Exactly `n_bytes` from a shard output, or an error naming it (an index that does not match its file)."""
    data = handle.read(n_bytes)
    if len(data) != n_bytes:
        raise ValueError(f"{path}: shorter than its index says ({len(data)} of {n_bytes} bytes at the end)")
    return data


def _index_entries(path: str | Path, shard: int) -> Iterator[tuple[int, int, int, int]]:
    """(input index, shard number, bytes, rows) for each article of a shard output, in its order."""
    with open(side_path(path, "index"), encoding="utf-8") as lines:
        for line in lines:
            index, n_bytes, n_rows = (int(v) for v in line.split("\t"))
            yield index, shard, n_bytes, n_rows


def _reject_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    with open(side_path(path, "rejects.jsonl"), "rb") as lines:
        for line in lines:
            yield json.loads(line)["index"], line
