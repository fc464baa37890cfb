"""Giving the C heap's free pages back to the system between the chunks of a long run."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


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
