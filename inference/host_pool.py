"""The host work of `parley predict` in worker processes, overlapped with the model pass.

Per chunk of input records, three steps: preparation (split sentences, tokenise, plan windows: `_units`),
the model pass (`run_units`, in the main process, which holds the model), and output work (assemble the
extractions, dyad rows, serialise: `article_output`). With N workers, chunk k+1's preparation and chunk
k-1's output work run in the workers while the main process runs chunk k through the model. Each step of
a chunk gets exactly the inputs it gets in one process (a chunk's units, batched and sorted alike), so
the bytes written are the same; chunks are written and committed in input order.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from typing import Any

from parley.inference.dyads import event_rows
from parley.inference.model_units import plan_batches
from parley.inference.news_io import InputRecord, csv_rows, json_line

# The worker's copy of the extractor without its model, and the output format (set once per worker).
_WORKER: dict[str, Any] = {}


def article_output(extraction, schema, fmt: str, dyads: bool) -> tuple[bytes, int]:
    """The bytes one article adds to the output, and its row count (dyad rows; 1 for a full extraction)."""
    if not dyads:
        return json_line(extraction.to_record()), 1
    rows = event_rows(extraction, schema)
    return (csv_rows(rows) if fmt == "csv" else b"".join(json_line(row) for row in rows)), len(rows)


def chunk_outputs(extractor, documents: list, units: list, fmt: str, dyads: bool) -> list[tuple[bytes, int]]:
    """The output of each article of a chunk whose units went through the model."""
    extractions = extractor._assemble(documents, units)
    return [article_output(extraction, extractor.schema, fmt, dyads) for extraction in extractions]


def default_workers(device_type: str) -> int:
    """Workers when none are asked for: none beside a CPU model (it takes the cores), else one per spare core."""
    if device_type == "cpu":
        return 0
    return max(1, min(8, (os.cpu_count() or 2) - 1))


def without_model(extractor):
    """A copy of the extractor that prepares units and assembles extractions but holds no model: for workers."""
    clone = copy.copy(extractor)
    clone.model = clone.encoder = None  # the encoder may be the model's own method or an ONNX Runtime session
    return clone


def _start_worker(host, fmt: str, dyads: bool, batch_size: int) -> None:
    # The workers run no model: torch in them keeps to one thread, so N workers use N cores.
    import torch

    torch.set_num_threads(1)
    _WORKER.update(host=host, fmt=fmt, dyads=dyads, batch_size=batch_size)


def _prepare(documents: list) -> tuple[list, list]:
    """A chunk's units and the model pass's batches of them, with their padded arrays."""
    host = _WORKER["host"]
    units = host._units(documents)
    batches = plan_batches(units, _WORKER["batch_size"], host.tokenizer.pad_token_id or 0)
    for unit in units:  # in the arrays now
        unit.input_ids = unit.token_words = None
    return units, batches


def _finish(documents: list, units: list) -> list[tuple[bytes, int]]:
    return chunk_outputs(_WORKER["host"], documents, units, _WORKER["fmt"], _WORKER["dyads"])


class ChunkPipeline:
    """Chunks in, committed chunks out, in order: preparation and output work in `workers` processes.

    `commit(chunk, records, done, outputs)` writes a chunk's outputs and commits it; it is called in input
    order. Used as a context manager: leaving it normally finishes every chunk, leaving it by an exception
    stops the workers and commits nothing more.
    """

    def __init__(self, extractor, workers: int, fmt: str, dyads: bool, batch_size: int, commit: Callable):
        self.extractor, self.batch_size, self.commit = extractor, batch_size, commit
        # Chunks in flight per step: enough that every worker has one while the model runs another.
        self.depth = workers
        # spawn: a forked copy of a process whose torch and tokenizer threads have started can deadlock.
        context = multiprocessing.get_context("spawn")
        setup = (without_model(extractor), fmt, dyads, batch_size)
        self.pool = context.Pool(workers, initializer=_start_worker, initargs=setup)
        self.preparing: deque = deque()
        self.finishing: deque = deque()

    def submit(self, chunk: list[InputRecord], records: int, done: bool = False) -> None:
        """Queue a chunk (its records consumed up to index `records`); commits the chunks that are ready."""
        documents = [record.article for record in chunk if record.article is not None]
        pending = self.pool.apply_async(_prepare, (documents,))
        self.preparing.append((chunk, records, done, documents, pending))
        while len(self.preparing) > self.depth:
            self._model_pass()
        self._write_ready(block=False)

    def _model_pass(self) -> None:
        chunk, records, done, documents, pending = self.preparing.popleft()
        units, batches = pending.get()
        self.extractor.run_units(units, batch_size=self.batch_size, batches=batches)
        for unit in units:  # what only the model pass needs stays here
            unit.token_spans = None
        self.finishing.append((chunk, records, done, self.pool.apply_async(_finish, (documents, units))))
        self._write_ready(block=False)

    def _write_ready(self, block: bool) -> None:
        """Commit finished chunks from the oldest on; wait for them while too many are in flight or `block`."""
        while self.finishing and (block or len(self.finishing) > self.depth or self.finishing[0][3].ready()):
            chunk, records, done, pending = self.finishing.popleft()
            self.commit(chunk, records, done, pending.get())

    def __enter__(self) -> ChunkPipeline:
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is not None:
            self.pool.terminate()
            self.pool.join()
            return
        try:
            while self.preparing:
                self._model_pass()
            self._write_ready(block=True)
        finally:
            self.pool.terminate()
            self.pool.join()


class _InProcess:
    """Every step of a chunk in this process, one chunk after the other (`--workers 0`)."""

    def __init__(self, commit: Callable):
        self.submit = commit

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *_) -> None:
        return None


def chunk_pipeline(extractor, workers: int | None, fmt: str, dyads: bool, batch_size: int, commit: Callable):
    """Where a run's chunks go: `commit` itself for 0 workers, else a `ChunkPipeline` (None: `default_workers`)."""
    if workers is None:
        workers = default_workers(extractor.device.type)
    if workers < 0:
        raise ValueError(f"--workers: expected 0 or more, got {workers}")
    if workers == 0:
        return _InProcess(commit)
    return ChunkPipeline(extractor, workers, fmt, dyads, batch_size, commit)
