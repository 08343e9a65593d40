"""One fault's effect, measured on what the tail sees: produce -> state latencies and the
commands waiting for their outcome.

``Watch`` starts at the injection (the p99 of the ``BASELINE_SAMPLES`` latencies just before
it is the baseline), learns when the fault healed, and is recovered at the first look after
that at which every command that was waiting at the heal has its outcome (the backlog is gone)
and the p99 of the latest ``RECENT_SAMPLES`` latencies since the heal is within
``NEAR_FACTOR`` times the baseline, or ``NEAR_SLACK_MS`` above it (a baseline of a few ms
would otherwise call normal jitter a fault). While the run settles (no traffic any more), the
backlog alone decides.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from dvchub.simulate._tail import Tail

#: Latencies before the injection that make its baseline.
BASELINE_SAMPLES = 200
#: Latencies since the heal whose p99 must be near the baseline.
RECENT_SAMPLES = 50
#: Fewer latencies since the heal than this say nothing yet.
RECENT_MIN = 10
NEAR_FACTOR = 2.0
NEAR_SLACK_MS = 500.0


def p99(samples: Sequence[int]) -> float | None:
    """The nearest-rank 99th percentile; None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    return float(ordered[max(math.ceil(0.99 * len(ordered)) - 1, 0)])


@dataclass(frozen=True)
class FaultResult:
    fault: str
    at_s: float  # real seconds after the faults started
    recovery_s: float | None  # None: not recovered by the end of the run
    p99_before_ms: float | None
    p99_after_ms: float | None
    error: str | None = None


class Watch:
    """Set up when the fault is injected (runner thread), healed by the fault's thread, checked
    by the runner."""

    def __init__(self, fault: str, at_s: float, tail: Tail) -> None:
        self.fault = fault
        self.at_s = at_s
        self._samples = tail.to_state_ms  # appended to by the tail, read here
        self._first = len(self._samples)
        self._baseline = p99(self._samples[max(self._first - BASELINE_SAMPLES, 0) : self._first])
        self._started = time.monotonic()
        self._healed_at: int | None = None  # sample index at the heal
        self._waiting: frozenset[str] = frozenset()
        self._tail = tail
        self._recovered: tuple[float, int] | None = None  # seconds after injection, index
        self.error: str | None = None

    def failed(self, error: str) -> None:
        self.error = error

    def healed(self) -> None:
        self._waiting = frozenset(self._tail.without_outcome())
        self._healed_at = len(self._samples)

    def _near(self, latest: Sequence[int]) -> bool:
        if self._baseline is None:
            return True
        bound = max(self._baseline * NEAR_FACTOR, self._baseline + NEAR_SLACK_MS)
        found = p99(latest)
        return found is not None and found <= bound

    def check(self, tail: Tail, *, settling: bool = False) -> None:
        if self._recovered is not None or self._healed_at is None:
            return
        if self._waiting & set(tail.without_outcome()):
            return  # the backlog of the fault is not gone yet
        end = len(self._samples)
        latest = self._samples[max(self._healed_at, end - RECENT_SAMPLES) : end]
        if settling or (len(latest) >= RECENT_MIN and self._near(latest)):
            self._recovered = (time.monotonic() - self._started, end)

    def result(self) -> FaultResult:
        end = self._recovered[1] if self._recovered else len(self._samples)
        return FaultResult(
            self.fault, self.at_s, None if self._recovered is None else self._recovered[0],
            self._baseline, p99(self._samples[self._first : end]), self.error,
        )  # fmt: skip
