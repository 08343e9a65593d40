"""The timer gate's decision: a partition's due timers fire once its backlog is read."""

from __future__ import annotations

from hub.processing import _metrics as metrics
from hub.processing._hold import BacklogGate, Gate, decide

HOLD_LAG = 10
HOLD_MAX_S = 300.0


def _decide(end: int | None, applied: int, held_s: float = 0.0) -> Gate:
    return decide(end=end, applied=applied, hold_lag=HOLD_LAG, held_s=held_s,
                  hold_max_s=HOLD_MAX_S)  # fmt: skip


def test_a_backlog_within_the_hold_lag_opens() -> None:
    assert _decide(end=100, applied=100) is Gate.OPEN
    assert _decide(end=100, applied=100 - HOLD_LAG) is Gate.OPEN


def test_a_backlog_past_the_hold_lag_holds() -> None:
    assert _decide(end=100, applied=100 - HOLD_LAG - 1) is Gate.HOLD


def test_an_unknown_end_holds() -> None:
    assert _decide(end=None, applied=0) is Gate.HOLD


def test_held_past_the_maximum_fires_anyway() -> None:
    assert _decide(end=None, applied=0, held_s=HOLD_MAX_S) is Gate.EXPIRED
    assert _decide(end=100, applied=0, held_s=HOLD_MAX_S - 1) is Gate.HOLD


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _expired(name: str) -> float:
    return float(metrics.TIMER_HOLDS_EXPIRED.labels(name)._value.get())


def test_the_gate_holds_until_read_then_releases_and_expires_once() -> None:
    ticks = Ticks()
    name = "hold-test"
    gate = BacklogGate(name, hold_lag=HOLD_LAG, hold_max_s=HOLD_MAX_S, refresh_s=10.0,
                       monotonic=ticks)  # fmt: skip
    applied = {0: 0, 1: 50}
    assert gate.open([0, 1], applied.get) == []  # nothing read yet: the end is unknown
    gate.record({0: (0, 5), 1: (0, 100)})
    assert gate.open([0, 1], applied.get) == [0]
    assert metrics.TIMER_PARTITIONS_HELD.labels(name)._value.get() == 1
    ticks.now += HOLD_MAX_S  # partition 1 held since the first call
    before = _expired(name)
    assert gate.open([0, 1], applied.get) == [0, 1]
    assert gate.open([0, 1], applied.get) == [0, 1]
    assert _expired(name) == before + 1  # one warning per hold
    applied[1] = 100 - HOLD_LAG  # caught up: released, a new hold starts afresh
    assert gate.open([0, 1], applied.get) == [0, 1]
    gate.record({0: (0, 5), 1: (0, 200)})
    assert gate.open([0, 1], applied.get) == [0]


def test_a_partition_never_applied_counts_from_the_log_start() -> None:
    gate = BacklogGate("hold-start", hold_lag=0, hold_max_s=HOLD_MAX_S, refresh_s=10.0)
    gate.record({0: (40, 40), 1: (40, 41)})
    assert gate.open([0, 1], lambda _: None) == [0]
