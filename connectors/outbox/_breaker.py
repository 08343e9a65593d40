"""A circuit breaker per partner: stop calling a partner that is down, probe it now and then.

CLOSED      calls flow; ``failure_threshold`` transient failures in a row -> OPEN
OPEN        nobody calls until the cool-down has passed -> HALF_OPEN
HALF_OPEN   exactly one caller probes; success -> CLOSED, failure -> OPEN (cool-down doubled)

Only transient failures count: a partner that refuses a command (a permanent failure) is up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import IntEnum

from connectors.outbox._policy import BreakerPolicy


class BreakerState(IntEnum):
    """The value of the ``dvchub_outbox_breaker_state`` gauge."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Thread-safe; ``clock`` is monotonic seconds (injectable for tests)."""

    def __init__(
        self, policy: BreakerPolicy, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._cooldown_s = policy.cooldown_s
        self._opened_at = 0.0
        self._probing = False
        self.opened_count = 0

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._advance()
            return self._state

    def wait_s(self) -> float:
        """0 if the caller may call now (and, half-open, is the probe); else how long to wait."""
        with self._lock:
            self._advance()
            if self._state is BreakerState.CLOSED:
                return 0.0
            if self._state is BreakerState.HALF_OPEN:
                if self._probing:
                    return min(self._cooldown_s, 0.2)
                self._probing = True
                return 0.0
            return max(self._opened_at + self._cooldown_s - self._clock(), 0.001)

    def succeeded(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._probing = False
            self._cooldown_s = self.policy.cooldown_s

    def failed(self) -> None:
        with self._lock:
            self._advance()
            if self._state is BreakerState.HALF_OPEN:
                self._cooldown_s = min(self._cooldown_s * 2, self.policy.max_cooldown_s)
                self._open()
                return
            self._failures += 1
            if (
                self._state is BreakerState.CLOSED
                and self._failures >= self.policy.failure_threshold
            ):
                self._open()

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._probing = False
        self.opened_count += 1

    def _advance(self) -> None:
        if self._state is BreakerState.OPEN and self._clock() >= self._opened_at + self._cooldown_s:
            self._state = BreakerState.HALF_OPEN
            self._probing = False
