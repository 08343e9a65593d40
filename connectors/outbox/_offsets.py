"""Which offset of a partition may be committed when its records finish out of order.

Commands of different dossiers run concurrently, so a partition's records complete out of
order; the committed offset is the first one not yet done. A crash redelivers everything from
there: the records already done are called again with the same idempotency key (the partner
answers as before) and give outcomes with the same ids.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class PartitionOffsets:
    """In-flight offsets of one partition, in consumption order (offsets only grow)."""

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
        """Seconds without progress while there is work (commands in flight, or ``behind``:
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
