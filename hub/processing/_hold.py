"""Durable timers wait for the backlog: a partition's due timers fire once its events are read.

A timer's firing is judged on the state as folded so far. After an outage (kill -9, restart,
any lag) the input partition may still hold unread events, and one of them may cancel a timer
whose instant has passed (a result returned before the deadline): firing first would raise an
alert that a replay of the log never raises. So the faust runner fires a partition's due timers
only once the partition's end offset (the latest reading) minus its next offset to apply is at
most ``hold_lag`` records (default 0: the cancelling events of a backlog are often its last
records, so tolerating even one batch unread fires the wrong alerts). An end never read counts
as not read. Under steady traffic this still opens: the reading is up to ``refresh_s`` old, so
the worker soon applies past it. A partition held longer than ``hold_max_s`` (a worker that
never catches up) fires anyway, with a warning and ``dvchub_processor_timer_holds_expired_total``:
a late alert that may be wrong beats none.

The end offsets come from the watchdog's reading (``record``), or the scan reads them itself
when that reading is older than ``refresh_s`` (at start, or while the watchdog fails).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable, Iterable, Mapping

from kafka.errors import KafkaError

from hub import kafka
from hub.processing import _metrics as metrics
from hub.settings import Settings

log = logging.getLogger(__name__)

Ranges = Mapping[int, tuple[int, int]]  # partition -> (log start offset, end offset)


class Gate(enum.Enum):
    OPEN = "open"  # the backlog is read: fire
    HOLD = "hold"  # unread events may cancel a due timer: wait
    EXPIRED = "expired"  # held too long: fire anyway


def decide(
    *, end: int | None, applied: int, hold_lag: int, held_s: float, hold_max_s: float
) -> Gate:
    """Whether a partition's due timers fire: ``end`` its end offset (None: unknown),
    ``applied`` its next offset to apply, ``held_s`` how long it has been held so far."""
    if end is not None and end - applied <= hold_lag:
        return Gate.OPEN
    return Gate.EXPIRED if held_s >= hold_max_s else Gate.HOLD


class BacklogGate:
    """The hold of each partition of one worker's input topic."""

    def __init__(
        self,
        name: str,
        *,
        hold_lag: int,
        hold_max_s: float,
        refresh_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.hold_lag = hold_lag
        self.hold_max_s = hold_max_s
        self.refresh_s = refresh_s
        self._monotonic = monotonic
        self._ranges: dict[int, tuple[int, int]] = {}
        self._read_at: float | None = None  # the latest reading, or attempt to read
        self._held: dict[int, float] = {}  # partition -> when its hold began
        self._expired: set[int] = set()  # warned once per hold

    def record(self, ranges: Ranges) -> None:
        """A fresh reading of the input topic's offsets."""
        self._ranges = dict(ranges)
        self._read_at = self._monotonic()

    async def refresh(self, settings: Settings, topic: str) -> None:
        """Read the offsets unless a reading younger than ``refresh_s`` exists (or was tried)."""
        now = self._monotonic()
        if self._read_at is not None and now - self._read_at < self.refresh_s:
            return
        self._read_at = now  # a failed read is not retried before refresh_s either
        try:
            self.record(await asyncio.to_thread(kafka.offsets, settings, topic))
        except (KafkaError, kafka.TopicNotFound) as exc:  # the partitions stay as last read
            log.warning("timer scan: offsets of %s unavailable: %s", topic, exc)

    def open(self, partitions: Iterable[int], applied: Callable[[int], int | None]) -> list[int]:
        """The partitions among ``partitions`` whose due timers may fire now; ``applied``: a
        partition's next offset to apply (None: nothing applied, the log start then)."""
        now = self._monotonic()
        firing: list[int] = []
        wanted = set(partitions)
        for gone in set(self._held) - wanted:
            self._release(gone)
        for partition in sorted(wanted):
            begin_end = self._ranges.get(partition)
            next_offset = applied(partition)
            if next_offset is None:
                next_offset = 0 if begin_end is None else begin_end[0]
            gate = decide(
                end=None if begin_end is None else begin_end[1], applied=next_offset,
                hold_lag=self.hold_lag, hold_max_s=self.hold_max_s,
                held_s=now - self._held.setdefault(partition, now),
            )  # fmt: skip
            if gate is Gate.OPEN:
                self._release(partition)
                firing.append(partition)
            elif gate is Gate.EXPIRED:
                self._expire(partition, None if begin_end is None else begin_end[1] - next_offset)
                firing.append(partition)
        metrics.TIMER_PARTITIONS_HELD.labels(self.name).set(len(wanted) - len(firing))
        return firing

    def _release(self, partition: int) -> None:
        self._held.pop(partition, None)
        self._expired.discard(partition)

    def _expire(self, partition: int, backlog: int | None) -> None:
        if partition in self._expired:
            return
        self._expired.add(partition)
        metrics.TIMER_HOLDS_EXPIRED.labels(self.name).inc()
        log.warning("partition %s: due timers held %.0f s for a backlog of %s records (over %s): "
                    "firing them anyway", partition, self.hold_max_s,
                    "unknown" if backlog is None else backlog, self.hold_lag)  # fmt: skip
