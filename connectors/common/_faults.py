"""Switchable faults of a partner simulator (the national portal's and EMC's).

Counted faults hit the next N service calls (a "5xx storm" is a large N); ``latency_s`` delays
every call. What each does::

    latency_s      sleep before answering (every call)
    error_5xx      answer 503 without processing
    timeouts       hold the call for ``hang_s`` (longer than the client's timeout), then 503
    malformed      answer 200 with a truncated, non-JSON body, without processing
    lost_replies   process and record the call, then answer 503 (the reply is "lost": the
                   client's retry is a duplicate the simulator must dedupe)

``fired`` counts the faults that hit a call, per kind.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Final, Literal

FaultKind = Literal["error_5xx", "timeouts", "malformed", "lost_replies"]
FAULT_KINDS: Final[tuple[FaultKind, ...]] = ("error_5xx", "timeouts", "malformed", "lost_replies")


class FaultSwitches:
    """Thread-safe switches: set by the test thread, taken by the server's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self.fired: Counter[str] = Counter()
        self.latency_s = 0.0
        self.hang_s = 5.0

    def arm(self, kind: FaultKind, times: int = 1) -> None:
        """Make the next ``times`` calls fail with ``kind`` (added to what is armed)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._pending[kind] += times

    def armed(self, kind: FaultKind) -> int:
        with self._lock:
            return self._pending[kind]

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self.latency_s = 0.0

    def take(self) -> FaultKind | None:
        """The fault hitting this call, if any (one at a time, in ``FAULT_KINDS`` order)."""
        with self._lock:
            for kind in FAULT_KINDS:
                if self._pending[kind] > 0:
                    self._pending[kind] -= 1
                    self.fired[kind] += 1
                    return kind
        return None
