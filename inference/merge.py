"""`parley merge`: join the outputs of finished shard runs into the output one process writes.

Each shard keeps an index beside its output (`OUT.index`: input index, bytes and rows per article), so
the articles of all shards are interleaved back into input order by a merge of the indexes.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO

from parley.inference.news_io import ParquetRowWriter, csv_header, iter_parquet_rows
from parley.inference.run_state import PredictSummary, RunState, read_state, side_path, write_state


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
    states = _shard_states(shard_outputs)
    output.parent.mkdir(parents=True, exist_ok=True)
    _merge_bodies(output, shard_outputs, states[0].format)
    rejects = side_path(output, "rejects.jsonl")
    with open(rejects, "wb") as out:
        for _, line in heapq.merge(*[_reject_lines(path) for path in shard_outputs]):
            out.write(line)
    merged = RunState(
        **{
            **asdict(states[0]),
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


def _shard_states(shard_outputs: list[str | Path]) -> list[RunState]:
    """The states of finished shard runs of one run, shards 0..n-1 once each; else an error naming the shard."""
    states = []
    for path in shard_outputs:
        state = read_state(path)
        if state is None:
            raise ValueError(f"{path}: no {side_path(path, 'state.json').name} beside it; is it a shard output?")
        if not state.done:
            raise ValueError(f"{path}: the run is not finished (resume it first)")
        if state.shard is None:
            raise ValueError(f"{path}: not a shard output (it was run without --shard)")
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
    return states


def _merge_bodies(output: Path, shard_outputs: list[str | Path], fmt: str) -> None:
    """Write the shards' articles (or dyad rows) to `output` in input order."""
    order = heapq.merge(*[_index_entries(path, n) for n, path in enumerate(shard_outputs)])
    if fmt == "parquet":
        rows = [iter_parquet_rows(path) for path in shard_outputs]
        with ParquetRowWriter(output) as writer:
            for _, n, _, n_rows in order:
                writer.write(next(rows[n]) for _ in range(n_rows))
        return
    sources = [open(path, "rb") for path in shard_outputs]
    try:
        header = csv_header() if fmt == "csv" else b""
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
