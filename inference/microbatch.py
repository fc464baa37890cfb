"""Micro-batching: requests that arrive together go through the model in one call, each caller gets its own part.

One worker thread owns the model. It takes the first waiting request, then keeps taking requests until the
batch holds `max_batch_size` items or `max_wait_ms` has passed since the first, runs them all in one call
and hands each request the slice of the results that belongs to it. It waits only while more requests are
in flight (announced by `in_flight()`) than the batch holds, or while it holds fewer than were in flight
together during the last batch (the callers that batch answered are on their way back with their next
request): whatever is already queued always joins, but a lone caller is not kept waiting for company that
is not coming. Under load the wait may stretch to `WAIT_SHARE` of the last batch's run (see `_wait_s`).
A request's items are never split, so one
request with more items than `max_batch_size` runs alone as one batch. While the model is busy, new
requests queue up, so under load batches fill without waiting at all; `max_batch_size=1` turns batching off.
The queue is bounded: a request that would take it past `max_queue` waiting items is refused (`QueueFull`)
rather than held, so a burst beyond what the model keeps up with costs the callers a retry, not the
server its memory.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# What the worker reads to know it should stop.
_STOP = None
# How often a waiting batch looks again for requests in flight.
POLL_S = 0.001
# The longest wait for requests in flight, as a share of the last batch's run, where that is over max_wait.
WAIT_SHARE = 0.05


class QueueFull(RuntimeError):
    """A request refused because `queued` items already wait (at most `limit`); `retry_after_s`: when to retry."""

    def __init__(self, queued: int, limit: int, retry_after_s: int):
        super().__init__(f"queue full: {queued} items waiting, at most {limit}; retry in {retry_after_s} s")
        self.queued, self.limit, self.retry_after_s = queued, limit, retry_after_s


@dataclass
class _Pending:
    items: Sequence[Any]
    future: Future = field(default_factory=Future)
    queued_at: float = field(default_factory=time.monotonic)


@dataclass
class BatchStats:
    """What the batcher has done: batches run, and how many requests and items each held."""

    batches: int = 0
    requests: int = 0
    items: int = 0
    requests_per_batch: Counter = field(default_factory=Counter)
    largest_batch: int = 0  # items
    wait_s: float = 0.0  # summed over requests: from submit to the start of their batch's run
    run_s: float = 0.0  # summed over batches: the run call
    refused: int = 0  # requests refused with the queue full

    def to_dict(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "requests": self.requests,
            "items": self.items,
            "largest_batch": self.largest_batch,
            "requests_per_batch": {str(k): v for k, v in sorted(self.requests_per_batch.items())},
            "wait_s": round(self.wait_s, 3),
            "run_s": round(self.run_s, 3),
            "refused": self.refused,
        }


class MicroBatcher:
    """Runs `run(items) -> results` (same length, same order) over the items of concurrent requests together."""

    def __init__(
        self,
        run: Callable[[list], list],
        max_batch_size: int = 32,
        max_wait_ms: float = 10.0,
        max_queue: int | None = None,
    ):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be 0 or more, got {max_wait_ms}")
        if max_queue is not None and max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        self.run = run
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue  # items waiting for the worker; None: unbounded
        self.stats = BatchStats()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._in_flight = 0  # requests between arrival and answer, announced by `in_flight`
        self._queued = 0  # items submitted and not yet taken into a batch
        self._last_run_s = 0.0  # how long the last batch's run took
        self._peak = 0  # the most requests in flight at once since the last batch started
        self._worker = threading.Thread(target=self._loop, name="parley-microbatch", daemon=True)
        self._worker.start()

    def submit(self, items: Sequence[Any]) -> Future:
        """Queue one request's items; the future gets their results (a list in the same order) or the error.

        QueueFull when they would take the queue past `max_queue` items (a request on an empty queue always
        gets in, however large).
        """
        pending = _Pending(list(items))
        with self._lock:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if self.max_queue is not None and self._queued and self._queued + len(pending.items) > self.max_queue:
                self.stats.refused += 1
                raise QueueFull(self._queued, self.max_queue, self._retry_after_s())
            self._queued += len(pending.items)
            self._queue.put(pending)
        return pending.future

    @property
    def queued(self) -> int:
        """Items submitted and not yet taken into a batch."""
        return self._queued

    def _retry_after_s(self) -> int:
        """Seconds the queued items take at the rate of the batches so far (1 to 60; 1 before any batch)."""
        stats = self.stats
        if not stats.items or stats.run_s <= 0:
            return 1
        return max(1, min(60, math.ceil(self._queued * stats.run_s / stats.items)))

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish the requests already queued, then stop the worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._worker.join(timeout)

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Around a whole request, from reading it to answering it: a batch waits for requests in flight."""
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            idle_since = time.monotonic()
            first = self._queue.get()
            if first is _STOP:
                return
            group, count = [first], len(first.items)
            now, wait = time.monotonic(), self._wait_s()
            # The callers in flight together during the last run are expected back (those it answered are
            # sending their next request), unless the queue then sat empty longer than a wait: traffic paused.
            expected = self._peak if now - idle_since <= wait else 0
            deadline = now + wait
            while count < self.max_batch_size:
                # Wait only while requests other than the batch's own are in flight (being read) or expected
                # back: a lone caller is never kept waiting for company.
                company = max(self._in_flight, expected)
                waiting = company > len(group) and time.monotonic() < deadline
                try:
                    pending = self._queue.get(timeout=POLL_S) if waiting else self._queue.get_nowait()
                except queue.Empty:
                    if waiting:
                        continue
                    break
                if pending is _STOP:
                    stopping = True
                    break
                group.append(pending)
                count += len(pending.items)
            self._run_group(group)

    def _wait_s(self) -> float:
        """How long a batch may wait for requests in flight: `max_wait`, or WAIT_SHARE of the last run if longer.

        Under load on a CPU a batch runs for seconds, and the callers it answered need some ms (answer, next
        request, parsing) to come back. If the next batch starts without them, it holds only the callers that
        queued meanwhile, and batches alternate half full (benchmarks/README.md, "HTTP server"). Waiting up
        to a small share of the run lets them join, at a cost of at most that share of throughput; on a GPU,
        where a run takes milliseconds, `max_wait` stays the bound.
        """
        return max(self.max_wait, WAIT_SHARE * self._last_run_s)

    def _run_group(self, group: list[_Pending]) -> None:
        started = time.monotonic()
        with self._lock:
            self._queued -= sum(len(pending.items) for pending in group)
            self._peak = self._in_flight
        live = [p for p in group if p.future.set_running_or_notify_cancel()]  # a caller that gave up is skipped
        if not live:
            return
        self.stats.wait_s += sum(started - pending.queued_at for pending in live)
        items = [item for pending in live for item in pending.items]
        try:
            results = self.run(items)
        except Exception as err:
            if len(live) == 1:
                live[0].future.set_exception(err)
                return
            # One request's bad input must not cost the others their answers: rerun each alone.
            for pending in live:
                self._run_alone(pending)
            return
        self._record(len(live), len(items), time.monotonic() - started)
        start = 0
        for pending in live:
            end = start + len(pending.items)
            pending.future.set_result(results[start:end])
            start = end

    def _run_alone(self, pending: _Pending) -> None:
        started = time.monotonic()
        try:
            results = self.run(list(pending.items))
        except Exception as err:
            pending.future.set_exception(err)
            return
        self._record(1, len(pending.items), time.monotonic() - started)
        pending.future.set_result(results)

    def _record(self, requests: int, items: int, seconds: float) -> None:
        self._last_run_s = seconds
        stats = self.stats
        stats.run_s += seconds
        stats.batches += 1
        stats.requests += requests
        stats.items += items
        stats.requests_per_batch[requests] += 1
        stats.largest_batch = max(stats.largest_batch, items)
