"""Reading a faust table's store in bulk: the timer entries of some partitions.

A generic store is read whole (``items()``: every state decoded from its storage, timers kept).
faust's RocksDB store keeps one database per partition with its keys in byte order, and the
timer keys start with NUL (``TIMER_PREFIX``), before every state key: there, only the timer
entries are read, a seek and a scan of the prefix, so a worker holding a million states
rebuilds its due-index without touching them. This module is the one place that reaches into
faust's RocksDB store (``_db_for_partition``, faust-streaming 0.15.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from hub.processing._timers import TIMER_PREFIX, decode_due, is_timer, parse_timer_key

Entries = dict[int, list[tuple[bytes, int]]]  # partition -> (state key, due epoch ms)


def timer_entries(store: Any, partitions: Iterable[int]) -> Entries:
    """The timer entries of ``partitions`` in ``store`` (a faust table's ``data``)."""
    found: Entries = {p: [] for p in partitions}
    if getattr(store, "use_rocksdict", False) and hasattr(store, "_db_for_partition"):
        for partition, entries in found.items():
            for key, value in _prefixed(store._db_for_partition(partition), TIMER_PREFIX):
                entries.append((parse_timer_key(key)[1], decode_due(value)))
        return found
    for key, value in store.items():
        if is_timer(key) and value is not None:
            partition, state_key = parse_timer_key(key)
            if partition in found:
                found[partition].append((state_key, decode_due(value)))
    return found


def _prefixed(db: Any, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) of a raw-mode rocksdict database whose keys start with ``prefix``."""
    for key, value in db.items(from_key=prefix):
        if not key.startswith(prefix):
            return
        if value is not None:
            yield key, value
