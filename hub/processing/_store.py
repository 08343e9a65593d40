"""A faust table's store: what the fold reads while writes are in flight, and bulk reads.

``PendingStates`` holds the states of drained batches that are not in the table yet: the runner
writes a state to the table only once the broker acknowledged everything its batch emitted and
then the state's changelog record. A RocksDB store is on local disk and survives kill -9: had
the states gone in first, a replacement worker on the same data would find them ahead of the
changelog, take the redelivered events for duplicates and never emit their outputs again.

Reading the timer entries of some partitions in bulk (``timer_entries``):

A generic store is read whole (``items()``: every state decoded from its storage, timers kept).
faust's RocksDB store keeps one database per partition with its keys in byte order, and the
timer keys start with NUL (``TIMER_PREFIX``), before every state key: there, only the timer
entries are read, a seek and a scan of the prefix, so a worker holding a million states
rebuilds its due-index without touching them. This module and ``hub.processing._rocks`` (its
memory) are the only places that reach into faust's RocksDB store (``_db_for_partition``,
faust-streaming 0.15.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Protocol

from hub.processing._timers import TIMER_PREFIX, decode_due, is_timer, parse_timer_key

if TYPE_CHECKING:  # faust's RocksDB store imports it; a memory store does not
    from rocksdict import Rdict

Entries = dict[int, list[tuple[bytes, int]]]  # partition -> (state key, due epoch ms)


class PartitionedStore(Protocol):
    """faust's RocksDB store as read here: one raw-mode database a partition."""

    use_rocksdict: bool

    def _db_for_partition(self, partition: int) -> Rdict: ...


class Readable(Protocol):
    def get(self, key: bytes, /) -> bytes | None: ...


class PendingStates:
    """The table as the fold must see it: its entries, overlaid with the states of drained
    batches not stored yet (at most two batches: the one in commit and the one being sent)."""

    def __init__(self, table: Readable) -> None:
        self._table = table
        self._sent: dict[bytes, bytes] = {}

    def __len__(self) -> int:
        return len(self._sent)

    def get(self, key: bytes, default: None = None) -> bytes | None:
        sent = self._sent.get(key)
        return sent if sent is not None else self._table.get(key)

    def hold(self, states: Mapping[bytes, bytes]) -> None:
        """States of a batch just sent: read from here until they are stored."""
        self._sent.update(states)

    def release(self, states: Mapping[bytes, bytes]) -> None:
        """States now in the table; a key a later batch changed again stays held."""
        for key, value in states.items():
            if self._sent.get(key) is value:
                del self._sent[key]


def timer_entries(
    store: Mapping[bytes, bytes | None] | PartitionedStore, partitions: Iterable[int]
) -> Entries:
    """The timer entries of ``partitions`` in ``store`` (a faust table's ``data``)."""
    found: Entries = {p: [] for p in partitions}
    if getattr(store, "use_rocksdict", False) and hasattr(store, "_db_for_partition"):
        for partition, entries in found.items():
            for key, value in _prefixed(store._db_for_partition(partition), TIMER_PREFIX):
                entries.append((parse_timer_key(key)[1], decode_due(value)))
        return found
    assert isinstance(store, Mapping)  # a table's data: faust's stores are mappings
    for entry, due in store.items():
        if is_timer(entry) and due is not None:
            partition, state_key = parse_timer_key(entry)
            if partition in found:
                found[partition].append((state_key, decode_due(due)))
    return found


def _prefixed(db: Rdict, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) of a raw-mode rocksdict database whose keys start with ``prefix``."""
    for key, value in db.items(from_key=prefix):
        if not isinstance(key, bytes) or not key.startswith(prefix):  # raw mode: bytes keys
            return
        if value is not None:
            yield key, value
