"""A partition's commit mark when its messages finish out of order, and each message's claim on
it (``Ticket``): the consume loop's bookkeeping (``ConsumeLoop``).

The outbox runs different dossiers' commands concurrently, so a partition's messages complete
out of order; the committed offset is the first one not yet done. A crash redelivers everything
from there: a handler derives its outputs' ids from its input, so the repeats are recognised.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from kafka import TopicPartition

from hub.processing._types import Message


class PartitionOffsets:
    """The in-flight offsets of one partition, in consumption order (offsets only grow)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[int] = deque()
        self._done: set[int] = set()
        self._next: int | None = None
        #: when a record was last read or finished (monotonic): what "no progress" counts from
        self._progressed = time.monotonic()

    def add(self, offset: int) -> None:
        with self._lock:
            self._pending.append(offset)
            self._progressed = time.monotonic()

    def done(self, offset: int) -> None:
        with self._lock:
            self._done.add(offset)
            self._progressed = time.monotonic()
            while self._pending and self._pending[0] in self._done:
                finished = self._pending.popleft()
                self._done.discard(finished)
                self._next = finished + 1

    def idle_s(self, *, behind: bool, now: float | None = None) -> float:
        """Seconds without progress while there is work (messages in flight, or ``behind``:
        records on the broker not read yet); 0 without work."""
        with self._lock:
            if not self._pending and not behind:
                return 0.0
            return max(0.0, (time.monotonic() if now is None else now) - self._progressed)

    def committable(self) -> int | None:
        """The offset to commit (the next to read after a restart); None: nothing new."""
        with self._lock:
            return self._next

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)


class _Settles(Protocol):
    """The loop, as a ticket sees it."""

    def _current(self, ticket: Ticket) -> bool: ...

    def _done(self, ticket: Ticket, outcome: str) -> None: ...


@dataclass(frozen=True, eq=False)
class Ticket:
    """One consumed message's claim on its partition's commit mark."""

    message: Message
    generation: int
    #: when the loop read it (monotonic)
    consumed_at: float
    _loop: _Settles = field(repr=False)

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.message.topic, self.message.partition)

    @property
    def current(self) -> bool:
        """False once stopping, or once its partition was revoked: leave it to the next owner."""
        return self._loop._current(self)

    def done(self, outcome: str) -> None:
        """What the message caused is on the broker: its offset may be committed; counted
        under ``outcome``."""
        self._loop._done(self, outcome)
