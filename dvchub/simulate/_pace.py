"""The run's clock, never ahead of the hub.

The workers judge time on a ``file:`` clock the runner moves. Moved by wall time alone, it
outran them at high speed: the SLA worker's timer fired (OVERDUE) before it had applied the
ResultReady that, in simulated time, came before the deadline, which no replay of the log does.
So the clock moves in steps, each a barrier:

1. the feed is given a ``target``: the clock plus ``speed`` times the real time since the last
   barrier was set (at most ``MAX_STEP_S``: a hub slower than the feed makes the clock slower,
   never the steps ever larger), and feeds every step due by then;
2. ``dossier.events``' end offsets are taken then (everything fed is on the broker: the portal
   answers once its events are acknowledged), with the feed's horizon (its earliest office step
   not fed yet);
3. once each judging worker's next-offset marks (``Tail.lagging``) reach those ends, the clock
   moves to the target, but never to the horizon or past it: every event of an instant up to the
   clock was applied before the clock got there, and none still to come is older.

Cheap: one ``end_offsets`` request per step; the marks come with the tail's reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub import kafka
from hub.processing import FileClock
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS

#: How far below the horizon the clock stops: a timer due exactly at an event's instant must
#: not fire before it (the timers are kept in milliseconds).
BELOW_HORIZON = timedelta(milliseconds=1)
#: Real seconds a barrier may wait on a worker before the run fails (it died or stalled).
STALL_S = 180.0
#: The most real time one step of the clock stands for: the achieved speed follows the hub.
MAX_STEP_S = 2.0


class ClockStalled(RuntimeError):
    """A judging worker did not apply the log up to a barrier within its time (``STALL_S``)."""


@dataclass(frozen=True)
class _Barrier:
    target: datetime
    horizon: datetime | None
    ends: Mapping[int, int]
    since: float


class Pacer:
    """Moves ``clock`` at most ``speed`` times faster than real time, behind the workers."""

    def __init__(
        self,
        settings: Settings,
        clock: FileClock,
        lagging: Callable[[Mapping[int, int]], str | None],
        speed: float,
        *,
        stall_s: float = STALL_S,
    ) -> None:
        self._clock, self._lagging, self._speed = clock, lagging, speed
        self._stall_s = stall_s
        self._topic = DOSSIER_EVENTS.name(settings.topic_prefix)
        self._consumer = kafka.make_consumer(settings, group_id=None)
        self._partitions = kafka.partitions_of(self._consumer, self._topic, timeout_s=30)
        self.now = clock.now()
        self._set = time.monotonic()  # when the last barrier was set
        self._barrier: _Barrier | None = None
        #: the clock's first move (real, simulated), for the achieved speed
        self._origin: tuple[float, datetime] | None = None

    def close(self) -> None:
        self._consumer.close()

    def target(self, until: datetime | None = None) -> datetime:
        """What the feed may feed up to now: the pending barrier's target, else the next one
        (capped at ``until``)."""
        if self._barrier is not None:
            return self._barrier.target
        real = min(time.monotonic() - self._set, MAX_STEP_S)
        ahead = self.now + timedelta(seconds=real * self._speed)
        return ahead if until is None else max(self.now, min(ahead, until))

    def step(self, target: datetime, horizon: Callable[[], datetime | None]) -> bool:
        """After the feed fed up to ``target``: set the barrier, or move the clock if the
        workers reached it (True: it moved)."""
        if self._barrier is None:
            ends = self._consumer.end_offsets(self._partitions)
            if self._origin is None:
                self._origin = (self._set, self.now)
            self._set = time.monotonic()
            self._barrier = _Barrier(target, horizon(), {tp.partition: int(e)
                                                         for tp, e in ends.items()},
                                     self._set)  # fmt: skip
        behind = self._lagging(self._barrier.ends)
        if behind is not None:
            if time.monotonic() - self._barrier.since > self._stall_s:
                raise ClockStalled(f"the {behind} worker applied nothing for {self._stall_s:.0f} s")
            return False
        barrier, self._barrier = self._barrier, None
        moved = barrier.target
        if barrier.horizon is not None:
            moved = min(moved, barrier.horizon - BELOW_HORIZON)
        if moved > self.now:
            self.now = moved
            self._clock.set(moved)
        return True

    def achieved(self) -> float:
        """Simulated seconds per real second since the clock first moved."""
        if self._origin is None:
            return 0.0
        real = time.monotonic() - self._origin[0]
        return (self.now - self._origin[1]).total_seconds() / real if real > 0 else 0.0
