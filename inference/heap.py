"""Memory housekeeping of a long run: the C heap's free pages, and the collector's long-lived objects."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Iterator
from contextlib import contextmanager


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


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Leave the objects alive now (the model, the tokenizer, the libraries) out of garbage collection inside.

    A full collection walks every tracked object, and torch and transformers hold hundreds of thousands that
    live as long as the process; a run that makes and drops many small objects per chunk triggers such
    collections over and over. Frozen (`gc.freeze`), those objects are skipped: the host work of
    `parley predict` fell by about a fifth in one process and by about 30% in the main process beside
    workers (benchmarks/README.md, "Host work"). On exit the objects go back to the collector, garbage among
    them too (no collection first: on a loaded model one costs 0.2-0.9 s, a short run's whole time). Inside
    a freeze someone else made, it does nothing.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
