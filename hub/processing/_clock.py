"""The runner's clock: what "now" is when durable timers are due.

Production runs on wall time. Tests and the demo inject another clock through one string (the
``DVC_CLOCK`` environment variable, or ``RunnerOptions.clock``), so every process of a run (two
workers, the query API, the report) agrees on the time without talking to each other:

    wall                                         the system clock
    accelerated:<start ISO>@<origin epoch s>x<rate>
                                                 simulated time: <start> at wall time <origin>,
                                                 then <rate> simulated seconds per real second
    file:<path>                                  the ISO instant written in <path> (a test sets it;
                                                 re-read when the file changes)

``Clock.rate`` converts a lag in clock seconds into real seconds (the firing-lag metric).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """What the runner (and anything judging deadlines) reads the time from."""

    @property
    def rate(self) -> float:
        """Clock seconds per real second (1 for wall time)."""
        ...

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    @property
    def spec(self) -> str:
        """The string ``clock_from_spec`` builds this clock from (passed on to child processes)."""
        ...


@dataclass(frozen=True)
class WallClock:
    rate: float = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    @property
    def spec(self) -> str:
        return "wall"


@dataclass(frozen=True)
class AcceleratedClock:
    """Simulated time: ``start`` at real epoch ``origin``, then ``rate`` times faster."""

    start: datetime
    origin: float
    rate: float

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.rate)

    @property
    def spec(self) -> str:
        return f"accelerated:{self.start.isoformat()}@{self.origin!r}x{self.rate!r}"

    @classmethod
    def starting(cls, start: datetime, rate: float) -> AcceleratedClock:
        """A clock at ``start`` now, running ``rate`` times faster than real time."""
        return cls(_aware(start, "start"), time.time(), rate)


class FileClock:
    """The instant written (ISO 8601) in a file: a test moves time by rewriting it."""

    rate = 1.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, datetime] | None = None

    def now(self) -> datetime:
        stamp = os.stat(self.path).st_mtime_ns
        if self._seen is None or self._seen[0] != stamp:
            text = self.path.read_text(encoding="utf-8").strip()
            self._seen = (stamp, _aware(datetime.fromisoformat(text), str(self.path)))
        return self._seen[1]

    def set(self, moment: datetime) -> None:
        """Move the clock (atomically: a reader never sees a half-written file)."""
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(_aware(moment, "moment").isoformat(), encoding="utf-8")
        os.replace(temporary, self.path)

    @property
    def spec(self) -> str:
        return f"file:{self.path}"


def clock_from_spec(spec: str | None) -> Clock:
    """The clock a spec names (see the module docstring); None or "" is wall time."""
    if not spec or spec == "wall":
        return WallClock()
    kind, _, rest = spec.partition(":")
    try:
        if kind == "file":
            return FileClock(Path(rest))
        if kind == "accelerated":
            start, _, timing = rest.rpartition("@")
            origin, _, rate = timing.partition("x")
            return AcceleratedClock(
                _aware(datetime.fromisoformat(start), "start"), float(origin), float(rate)
            )
    except ValueError as exc:
        raise ValueError(f"bad clock spec {spec!r}: {exc}") from exc
    raise ValueError(f"bad clock spec {spec!r}: expected wall, accelerated:... or file:...")


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(UTC)
