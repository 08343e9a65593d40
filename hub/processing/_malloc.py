"""glibc's heap in a worker: its figures, and giving its free memory back (``trim``).

Measured in the lifecycle worker under ``bench/load.py`` (``DVC_MEMORY_PROBE``): of its RSS
growth, a third was memory glibc's malloc held free, not in use (40 MiB over 19,000 events): the
states' bytes, a few KiB each, allocated and freed by the thousand per batch from several threads
(the event loop, RocksDB's, the producer's), leave free chunks spread over glibc's per-thread
arenas that it does not return to the system by itself. ``malloc_trim(0)`` returns them
(``madvise``), at the cost of a walk over the heap: the worker calls it every
``RunnerOptions.malloc_trim_s`` (``DVC_MALLOC_TRIM_S``, 0: never).

Without glibc (musl, macOS) both functions do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

_MIB = 1024 * 1024


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (glibc 2.33+): every field a size_t."""

    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost",
    )]  # fmt: skip


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name else None


def malloc_mib() -> tuple[float, float]:
    """glibc's heap: (in use, free but kept), in MiB; (0, 0) without glibc 2.33."""
    mallinfo2 = getattr(_libc(), "mallinfo2", None)
    if mallinfo2 is None:
        return 0.0, 0.0
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / _MIB, info.fordblks / _MIB


def trim() -> bool:
    """Give glibc's free memory back to the system; whether glibc released any."""
    malloc_trim = getattr(_libc(), "malloc_trim", None)
    return bool(malloc_trim(0)) if malloc_trim is not None else False
