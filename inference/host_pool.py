"""The host work of `parley predict` in worker processes, overlapped with the model pass.

Per chunk of input records, three steps: preparation (split sentences, tokenise, plan windows: `_units`),
the model pass (`run_units`, in the main process, which holds the model), and output work (assemble the
extractions, dyad rows, serialise: `article_output`). With N workers, chunk k+1's preparation and chunk
k-1's output work run in the workers while the main process runs chunk k through the model. Each step of
a chunk gets exactly the inputs it gets in one process (a chunk's units, batched and sorted alike), so
the bytes written are the same; chunks are written and committed in input order.

The main process is the one serial step (on a GPU it is what keeps the device waiting), so it handles as
little as it can: chunk k goes to worker k mod N for both of its host steps, the worker keeps the chunk's
articles and words between them, and the main process gets only what the model pass reads (padded arrays,
token spans) and sends back only what it found (spans, statuses, arguments). Each worker has its own pipe:
no queue threads, no locks.
"""

from __future__ import annotations

import copy
import gc
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from parley.inference.dyads import event_rows
from parley.inference.model_units import Unit, plan_batches
from parley.inference.news_io import InputRecord, csv_rows, json_line


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


def _serve(inbox: Connection, outbox: Connection, host, fmt: str, dyads: bool, batch_size: int) -> None:
    """A worker: answers ("prepare", chunk, documents) and ("finish", chunk, found) messages in order until None.

    Between the two steps of a chunk it keeps the chunk's documents and its units' words. A step that fails
    answers ("error", chunk, traceback) and the worker goes on; the main process raises it. Threads read the
    messages in and send the answers out, so that neither side ever waits on a full pipe for the other.
    """
    # The workers run no model: torch in them keeps to one thread, so N workers use N cores.
    import torch

    torch.set_num_threads(1)
    # Ctrl-C reaches the whole process group: the main process handles it and ends the workers, which would
    # otherwise each print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # the libraries and the tokenizer live as long as the worker: no collection walks them (heap.py)
    received, answers = queue.SimpleQueue(), queue.SimpleQueue()
    threading.Thread(target=_read_into, args=(inbox, received), daemon=True).start()
    sender = threading.Thread(target=_send_from, args=(answers, outbox), daemon=True)
    sender.start()
    held: dict[int, tuple[list, list]] = {}
    while (message := received.get()) is not None:
        step, chunk, payload = message
        try:
            answers.put((step, chunk, _step(host, held, step, chunk, payload, fmt, dyads, batch_size)))
        except Exception:
            answers.put(("error", chunk, traceback.format_exc()))
    answers.put(None)
    sender.join()


def _read_into(conn: Connection, messages: queue.SimpleQueue) -> None:
    """The main process's messages into the worker's queue; a closed pipe reads as None (stop)."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            message = None
        messages.put(message)
        if message is None:
            return


def _send_from(answers: queue.SimpleQueue, conn: Connection) -> None:
    """The worker's answers to the main process, until None (or until the main process has gone)."""
    while (answer := answers.get()) is not None:
        try:
            conn.send(answer)
        except OSError:
            return


def _step(host, held: dict, step: str, chunk: int, payload, fmt: str, dyads: bool, batch_size: int):
    """One host step of a chunk in a worker (see `_serve`)."""
    if step == "prepare":
        units = host._units(payload)
        batches = plan_batches(units, batch_size, host.tokenizer.pad_token_id or 0)
        held[chunk] = (payload, [unit.words for unit in units])
        for unit in units:  # what the model pass does not read stays here or is in the arrays
            unit.input_ids = unit.token_words = unit.words = None
        return units, batches
    documents, words = held.pop(chunk)
    units = [
        Unit(article, unit_words, [], [], mentions=mentions, decoded=decoded)
        for unit_words, (article, mentions, decoded) in zip(words, payload, strict=True)
    ]
    return chunk_outputs(host, documents, units, fmt, dyads)


class _Worker:
    """One worker process and the main process's ends of its two pipes; answers read ahead are kept by key."""

    def __init__(self, context, number: int, setup: tuple):
        self.number = number
        inbox, self.tasks = context.Pipe(duplex=False)
        self.answers_in, outbox = context.Pipe(duplex=False)
        args = (inbox, outbox, *setup)
        self.process = context.Process(target=_serve, args=args, daemon=True, name=f"parley-host-{number}")
        self.process.start()
        inbox.close()
        outbox.close()
        self.answers: dict[tuple[str, int], Any] = {}

    def ask(self, step: str, chunk: int, payload: Any) -> None:
        try:
            self.tasks.send((step, chunk, payload))
        except OSError:
            raise self._gone() from None

    def ready(self, step: str, chunk: int) -> bool:
        while (step, chunk) not in self.answers and self.answers_in.poll():
            self._read()
        return (step, chunk) in self.answers

    def answer(self, step: str, chunk: int) -> Any:
        while (step, chunk) not in self.answers:
            self._read()
        return self.answers.pop((step, chunk))

    def _read(self) -> None:
        try:
            step, chunk, answer = self.answers_in.recv()
        except EOFError:
            raise self._gone() from None
        if step == "error":
            raise RuntimeError(f"host worker {self.number}, chunk {chunk}:\n{answer}")
        self.answers[step, chunk] = answer

    def _gone(self) -> RuntimeError:
        self.process.join(timeout=1)
        code = self.process.exitcode
        return RuntimeError(f"host worker {self.number} exited (code {code}) while chunk work was pending")

    def stop(self) -> None:
        """End the worker now: called when all its answers are in, or when the run failed (nothing to save)."""
        self.process.terminate()  # a graceful exit would spend a second tearing torch down for nothing
        self.process.join()
        self.tasks.close()
        self.answers_in.close()


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
        self.workers = [_Worker(context, number, setup) for number in range(workers)]
        self.sent = 0  # chunks submitted: chunk k's steps go to worker k mod N
        self.preparing: deque = deque()
        self.finishing: deque = deque()

    def submit(self, chunk: list[InputRecord], records: int, done: bool = False) -> None:
        """Queue a chunk (its records consumed up to index `records`); commits the chunks that are ready."""
        number, self.sent = self.sent, self.sent + 1
        worker = self.workers[number % len(self.workers)]
        worker.ask("prepare", number, [record.article for record in chunk if record.article is not None])
        self.preparing.append((chunk, records, done, worker, number))
        while len(self.preparing) > self.depth:
            self._model_pass()
        self._write_ready(block=False)

    def _model_pass(self) -> None:
        chunk, records, done, worker, number = self.preparing.popleft()
        units, batches = worker.answer("prepare", number)
        self.extractor.run_units(units, batch_size=self.batch_size, batches=batches)
        worker.ask("finish", number, [(unit.article, unit.mentions, unit.decoded) for unit in units])
        self.finishing.append((chunk, records, done, worker, number))
        self._write_ready(block=False)

    def _write_ready(self, block: bool) -> None:
        """Commit finished chunks from the oldest on; wait for them while too many are in flight or `block`."""
        while self.finishing:
            chunk, records, done, worker, number = self.finishing[0]
            if not (block or len(self.finishing) > self.depth or worker.ready("finish", number)):
                return
            self.finishing.popleft()
            self.commit(chunk, records, done, worker.answer("finish", number))

    def __enter__(self) -> ChunkPipeline:
        return self

    def __exit__(self, kind, *_) -> None:
        try:
            if kind is None:
                while self.preparing:
                    self._model_pass()
                self._write_ready(block=True)
        finally:
            for worker in self.workers:
                worker.stop()


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
