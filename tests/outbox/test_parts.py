"""The outbox's parts alone: backoff, breaker, committable offsets, derived ids."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.outbox import (
    BreakerPolicy,
    CircuitBreaker,
    RetryPolicy,
    derived_id,
)
from hub.processing import PartitionOffsets


def test_backoff_is_jittered_below_an_exponential_ceiling() -> None:
    policy = RetryPolicy(base_s=0.1, cap_s=2.0)
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(2.0, 0.1 * 2 ** (attempt - 1))
        delays = [policy.delay_s(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # full jitter spans the range
    assert not RetryPolicy().exhausted(10**6)
    assert RetryPolicy(max_attempts=3).exhausted(3)
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_and_probes_once() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(BreakerPolicy(3, cooldown_s=1.0, max_cooldown_s=4.0), clock=clock)
    breaker.failed()
    breaker.failed()
    breaker.succeeded()  # a success resets the count
    breaker.failed()
    breaker.failed()
    assert breaker.state.name == "CLOSED"
    assert breaker.wait_s() == 0
    breaker.failed()
    assert breaker.state.name == "OPEN"
    assert breaker.wait_s() == pytest.approx(1.0)
    clock.now += 1.0
    assert breaker.state.name == "HALF_OPEN"
    assert breaker.wait_s() == 0  # the probe
    assert breaker.wait_s() > 0  # everyone else waits for it
    breaker.failed()  # the probe failed: open again, cool-down doubled
    assert breaker.state.name == "OPEN"
    assert breaker.wait_s() == pytest.approx(2.0)
    clock.now += 2.0
    assert breaker.wait_s() == 0
    breaker.succeeded()
    assert breaker.state.name == "CLOSED"
    assert breaker.opened_count == 2


@given(st.permutations(list(range(40))))
def test_committable_offset_is_the_first_unfinished(order: list[int]) -> None:
    offsets = PartitionOffsets()
    for offset in range(100, 140):
        offsets.add(offset)
    finished: set[int] = set()
    for index in order:
        offsets.done(100 + index)
        finished.add(index)
        first_unfinished = next((i for i in range(40) if i not in finished), 40)
        expected = None if first_unfinished == 0 else 100 + first_unfinished
        assert offsets.committable() == expected
    assert len(offsets) == 0


def test_derived_ids_are_stable_and_distinct() -> None:
    a = derived_id("c1", "outcome", "ACCEPTED")
    assert a == derived_id("c1", "outcome", "ACCEPTED")
    assert a != derived_id("c1", "outcome", "REJECTED") != derived_id("c2", "outcome", "ACCEPTED")
