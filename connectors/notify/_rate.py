"""``TokenBucket``: at most ``rate`` messages a second on average, ``burst`` at once.

Thread-safe (the outbox calls its client from several threads). ``acquire`` blocks until a
token is there or ``max_wait_s`` would pass, and says how long it waited; the clock and the
sleep are injected so the tests can run it on a fake clock too (the simulators use the real
ones).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now

    def try_take(self) -> bool:
        """A token now, or False (no waiting): the simulators' own limit."""
        with self._lock:
            self._refill()
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def acquire(self, max_wait_s: float) -> float | None:
        """Take a token, waiting for it up to ``max_wait_s``: the seconds waited, or None if it
        would take longer (nothing taken). Waiters reserve their token, so they are served in
        turn."""
        with self._lock:
            self._refill()
            wait = (1 - self._tokens) / self.rate if self._tokens < 1 else 0.0
            if wait > max_wait_s:
                return None
            self._tokens -= 1  # reserved: may go below zero while this caller waits
        if wait > 0:
            self._sleep(wait)
        return wait
