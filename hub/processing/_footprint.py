"""What a worker's memory is made of, logged on request: ``DVC_MEMORY_PROBE=<seconds>``.

A debug switch, off by default (tracemalloc slows the worker down). When set, the worker starts
tracemalloc and logs, every that many seconds, one line: its resident memory, the Python heap
tracemalloc sees, RocksDB's own memory summed over the partitions' databases (memtables, block
cache, table readers: native, invisible to tracemalloc), the fold's decoded-state cache and the
states held until stored; glibc's heap (in use, and free but kept: fragmentation) and what
tracemalloc itself costs; then the allocation sites that grew most since the first probe. RSS
that grows while the Python heap stays flat is native memory: RocksDB's, if its figures follow.

Only sizes and code locations are logged, never a key or a value.
"""

from __future__ import annotations

import logging
import os
import resource
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from hub.processing._malloc import malloc_mib
from hub.processing._rocks import RocksMemory, rocksdb_memory

log = logging.getLogger(__name__)

ENV_PROBE = "DVC_MEMORY_PROBE"
#: Allocation sites logged per probe (the largest growth since the first probe).
TOP_SITES = 8
_MIB = 1024 * 1024


def probe_interval() -> float | None:
    """Seconds between probes, or None when the switch is off."""
    raw = os.environ.get(ENV_PROBE, "").strip()
    if not raw or raw == "0":
        return None
    return float(raw)


def rss_mib() -> float:
    """This process's resident set size now (``/proc/self/statm``: pages)."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * resource.getpagesize() / _MIB


@dataclass(frozen=True)
class Footprint:
    rss_mib: float
    python_mib: float
    rocks: RocksMemory
    cached_states: int
    held_states: int
    malloc_used_mib: float
    malloc_free_mib: float
    tracing_mib: float  # tracemalloc's own memory: not the worker's

    def line(self) -> str:
        rocks = self.rocks
        return (
            f"memory: RSS {self.rss_mib:.1f} MiB, Python heap {self.python_mib:.1f} MiB, "
            f"RocksDB {rocks.databases} dbs: memtables {rocks.memtables / _MIB:.1f} MiB, "
            f"block cache {rocks.block_cache / _MIB:.1f} MiB, table readers "
            f"{rocks.table_readers / _MIB:.1f} MiB; fold cache {self.cached_states} states, "
            f"held {self.held_states}; malloc in use {self.malloc_used_mib:.1f} MiB, free "
            f"{self.malloc_free_mib:.1f} MiB; tracemalloc itself {self.tracing_mib:.1f} MiB"
        )


class MemoryProbe:
    """Started once per worker; ``take`` measures and logs."""

    def __init__(self) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start()
        self._first = tracemalloc.take_snapshot()

    def take(self, store: object, cached_states: int, held_states: int) -> Footprint:
        current, _ = tracemalloc.get_traced_memory()
        footprint = Footprint(
            rss_mib(), current / _MIB, rocksdb_memory(store), cached_states, held_states,
            *malloc_mib(), tracemalloc.get_tracemalloc_memory() / _MIB,
        )  # fmt: skip
        log.info(footprint.line())
        grown = tracemalloc.take_snapshot().compare_to(self._first, "lineno")
        for stat in grown[:TOP_SITES]:
            frame = stat.traceback[0]
            log.info("memory: %+.1f MiB (%+d blocks) at %s:%s", stat.size_diff / _MIB,
                     stat.count_diff, frame.filename, frame.lineno)  # fmt: skip
        return footprint
