"""The token bucket of each channel, on a fake clock (pure: no server)."""

from __future__ import annotations

import pytest

from connectors.notify import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def bucket(rate: float, burst: int) -> tuple[TokenBucket, FakeClock]:
    clock = FakeClock()
    return TokenBucket(rate, burst, clock=clock, sleep=clock.sleep), clock


def test_a_burst_then_the_rate() -> None:
    limiter, clock = bucket(rate=4, burst=2)
    assert [limiter.try_take() for _ in range(3)] == [True, True, False]
    clock.now += 0.25  # one token at 4 a second
    assert [limiter.try_take() for _ in range(2)] == [True, False]


def test_acquire_waits_its_turn_and_waiters_queue() -> None:
    limiter, clock = bucket(rate=10, burst=1)
    assert limiter.acquire(max_wait_s=1.0) == 0.0
    assert limiter.acquire(max_wait_s=1.0) == pytest.approx(0.1)
    assert clock.slept == [pytest.approx(0.1)]
    # ten messages go out in about 0.9 s more: one every 0.1 s, never faster
    for _ in range(9):
        limiter.acquire(max_wait_s=1.0)
    assert clock.now - 100.0 == pytest.approx(1.0)


def test_acquire_gives_up_rather_than_wait_too_long() -> None:
    limiter, clock = bucket(rate=1, burst=1)
    assert limiter.acquire(max_wait_s=0.5) == 0.0
    assert limiter.acquire(max_wait_s=0.5) is None  # the next token is 1 s away
    assert clock.slept == []
    clock.now += 1.0
    assert limiter.try_take()  # nothing was reserved by the refusal


def test_a_bucket_needs_a_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(0, 1)
