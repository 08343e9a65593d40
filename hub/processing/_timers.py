"""Durable timers: a per-partition due-index, rebuilt from the table, never an asyncio sleep.

A processor with timers says when each state is next due (``Processor.next_due``). The runner
keeps that instant in the table under a timer key of the key's partition, written after the state
itself and before the partition's offset mark, so:

* a restarted or rebalanced worker rebuilds the index of a partition from its timer keys (cheap:
  no state is decoded), and a timer that came due while no worker ran fires right after recovery;
* a crash after the state but before its timer key leaves the mark behind: the event is folded
  again, and its (unchanged) state re-derives the timer key;
* firing is a fold (``Processor.on_timer``) whose new state no longer has that timer due: the
  state change *is* the removal. A crash before it is persisted fires again, with the same
  deterministic alert ids, so a timer fires at most once in effect.

In memory the index is one heap per partition with lazy deletion: ``_due`` is the truth, a heap
entry that disagrees with it is stale and skipped when popped.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterable, Iterator

#: Table key prefix of timer entries; NUL first, like the offset marks, so never a state key.
TIMER_PREFIX = b"\x00due."
_DUE = struct.Struct(">q")  # epoch milliseconds


def timer_key(partition: int, key: bytes) -> bytes:
    return TIMER_PREFIX + str(partition).encode() + b"." + key


def is_timer(key: bytes) -> bool:
    return key.startswith(TIMER_PREFIX)


def parse_timer_key(key: bytes) -> tuple[int, bytes]:
    """(partition, state key) of a timer key."""
    partition, _, state_key = key[len(TIMER_PREFIX) :].partition(b".")
    return int(partition), state_key


def encode_due(due_ms: int) -> bytes:
    return _DUE.pack(due_ms)


def decode_due(value: bytes) -> int:
    return int(_DUE.unpack(value)[0])


class DueIndex:
    """key -> due instant (epoch ms), per partition, with the earliest found in O(log n)."""

    def __init__(self, *, complete: bool = True) -> None:
        self._due: dict[int, dict[bytes, int]] = {}
        self._heaps: dict[int, list[tuple[int, bytes]]] = {}
        # complete: every partition's index starts empty (a fresh table: the in-memory runner);
        # else a partition is unknown until built from the table (the faust runner, on assignment)
        self._complete = complete

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._due.values())

    @property
    def partitions(self) -> frozenset[int]:
        """Partitions whose index is built (rebuilt, or started empty)."""
        return frozenset(self._due)

    def known(self, partition: int) -> bool:
        """Whether the index of ``partition`` mirrors the table (``get`` is then the truth)."""
        return self._complete or partition in self._due

    def get(self, partition: int, key: bytes) -> int | None:
        return self._due.get(partition, {}).get(key)

    def set(self, partition: int, key: bytes, due_ms: int | None) -> None:
        """Schedule (or with None, cancel) ``key``; ignored for a partition not built yet (its
        build reads the table, which then holds the entry)."""
        if not self.known(partition):
            return
        keys = self._due.setdefault(partition, {})
        if due_ms is None:
            keys.pop(key, None)
            return
        keys[key] = due_ms
        heap = self._heaps.setdefault(partition, [])
        heapq.heappush(heap, (due_ms, key))
        if len(heap) > 2 * len(keys) + 1024:  # too many stale entries: compact
            self._heaps[partition] = [(due, k) for k, due in keys.items()]
            heapq.heapify(self._heaps[partition])

    def build(self, partition: int, entries: Iterable[tuple[bytes, int]]) -> None:
        """The index of ``partition``, from (state key, due ms) pairs read from the table."""
        keys = dict(entries)
        self._due[partition] = keys
        heap = [(due, key) for key, due in keys.items()]
        heapq.heapify(heap)
        self._heaps[partition] = heap

    def drop(self, partition: int) -> None:
        """Forget a partition (revoked: its next owner rebuilds it)."""
        self._due.pop(partition, None)
        self._heaps.pop(partition, None)

    def pop_due(
        self, now_ms: int, partitions: Iterable[int], limit: int
    ) -> list[tuple[int, bytes, int]]:
        """Up to ``limit`` (partition, key, due ms) with due ≤ ``now_ms``, earliest first per
        partition. They leave the heap but keep their entry until the firing fold sets their
        next due (``set``): the entry is what tells that the table's timer key must change."""
        fired: list[tuple[int, bytes, int]] = []
        for partition in partitions:
            heap = self._heaps.get(partition)
            keys = self._due.get(partition)
            if not heap or keys is None:
                continue
            while heap and heap[0][0] <= now_ms and len(fired) < limit:
                due, key = heapq.heappop(heap)
                if keys.get(key) != due:
                    continue  # stale: re-scheduled or removed since
                fired.append((partition, key, due))
        return fired

    def earliest(self) -> int | None:
        """The earliest due instant of any partition (ms), for the scan's next wake-up."""
        best: int | None = None
        for partition, heap in self._heaps.items():
            keys = self._due[partition]
            while heap and keys.get(heap[0][1]) != heap[0][0]:
                heapq.heappop(heap)
            if heap and (best is None or heap[0][0] < best):
                best = heap[0][0]
        return best

    def items(self) -> Iterator[tuple[int, bytes, int]]:
        for partition, keys in self._due.items():
            for key, due in keys.items():
                yield partition, key, due
