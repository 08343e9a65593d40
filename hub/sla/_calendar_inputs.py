"""What a working calendar is built from: the office hours of every working day and the
province's overrides of the national calendar (``hub.sla._calendar`` has the rules).

Override file (TOML, ``CalendarOverrides.load``)::

    # extra days off (storm closure) and extra working days, decided by the province
    [[day_off]]
    date = 2025-09-06
    reason = "Bão Kajiki"

    [[working_day]]
    date = 2025-05-03
    reason = "Làm bù"

``date`` is a TOML date (unquoted); ``reason`` is an optional string. Other keys are refused
(a misspelt key would otherwise be silently ignored), as is a date that is both a day off and
a working day.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

# The years the working calendar covers: a date or moment outside them is a ValueError.
FIRST_YEAR = 1990
LAST_YEAR = 2100

_US_PER_SECOND = 1_000_000


def us_of_day(t: time | datetime) -> int:
    """Microseconds since midnight of a wall-clock time."""
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


# --------------------------------------------------------------------------- office hours


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of every working day, local wall-clock times, sorted, disjoint."""

    periods: tuple[tuple[time, time], ...] = (
        (time(7, 0), time(11, 30)),
        (time(13, 30), time(17, 0)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("office hours need at least one period, got none")
        previous_end: time | None = None
        for start, end in self.periods:
            shown = f"{start:%H:%M}-{end:%H:%M}"
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"office period {shown}: times must be naive local times")
            if start >= end:
                raise ValueError(f"office period {shown}: start must be before end")
            if previous_end is not None and start <= previous_end:
                raise ValueError(
                    f"office period {shown} overlaps, touches or precedes the period ending at "
                    f"{previous_end:%H:%M}: give periods in order, with a break between them "
                    "(merge touching periods)"
                )
            previous_end = end

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """``"07:00-11:30,13:30-17:00"`` (``HH:MM`` or ``HH:MM:SS``, comma-separated)."""
        periods: list[tuple[time, time]] = []
        for part in text.split(","):
            piece = part.strip()
            if not piece:
                raise ValueError(f"office hours {text!r}: empty period (expected 'HH:MM-HH:MM')")
            bounds = piece.split("-")
            if len(bounds) != 2:
                raise ValueError(f"office hours {text!r}: {piece!r} is not 'HH:MM-HH:MM'")
            try:
                start, end = (time.fromisoformat(b.strip()) for b in bounds)
            except ValueError as exc:
                raise ValueError(f"office hours {text!r}: {piece!r}: {exc}") from None
            periods.append((start, end))
        try:
            return cls(tuple(periods))
        except ValueError as exc:
            raise ValueError(f"office hours {text!r}: {exc}") from None

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day (8 hours by default)."""
        return timedelta(microseconds=sum(us_of_day(e) - us_of_day(s) for s, e in self.periods))

    def __str__(self) -> str:
        return ",".join(f"{s.isoformat()}-{e.isoformat()}" for s, e in self.periods)


# --------------------------------------------------------------------------- overrides


@dataclass(frozen=True)
class CalendarOverrides:
    """The province's own decisions, applied over the national calendar (they win)."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        both = self.days_off & self.working_days
        if both:
            shown = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"calendar overrides: {shown} both a day off and a working day")

    @classmethod
    def load(cls, path: Path) -> CalendarOverrides:
        """Read a TOML override file (format in the module docstring)."""
        with path.open("rb") as f:
            try:
                document = tomllib.load(f)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from None
        unknown = sorted(set(document) - {"day_off", "working_day"})
        if unknown:
            raise ValueError(
                f"{path}: unknown key(s) {', '.join(unknown)}; "
                "expected [[day_off]] and [[working_day]] entries"
            )
        off = _load_dates(path, document, "day_off")
        work = _load_dates(path, document, "working_day")
        both = off.keys() & work.keys()
        if both:
            day = min(both)
            raise ValueError(
                f"{path}: {day.isoformat()} is both a day off ({off[day]}) and a working day "
                f"({work[day]})"
            )
        return cls(frozenset(off), frozenset(work))


def _load_dates(path: Path, document: Mapping[str, object], key: str) -> dict[date, str]:
    """``{date: 'key[i]'}`` of a ``[[key]]`` array of tables, checked entry by entry."""
    entries = document.get(key, [])
    if not isinstance(entries, list):
        raise ValueError(f"{path}: {key} must be an array of tables ([[{key}]]), not a value")
    found: dict[date, str] = {}
    for i, entry in enumerate(entries):
        where = f"{path}: {key}[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be a table ([[{key}]]), got {entry!r}")
        extra = sorted(set(entry) - {"date", "reason"})
        if extra:
            raise ValueError(f"{where}: unknown key(s) {', '.join(extra)}; allowed: date, reason")
        if "date" not in entry:
            raise ValueError(f"{where}: missing date (date = 2025-09-06)")
        day = entry["date"]
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(
                f"{where}: date must be a bare TOML date like 2025-09-06 (no quotes, no time), "
                f"got {day!r}"
            )
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(f"{where}: {day.isoformat()} outside {FIRST_YEAR}-{LAST_YEAR}")
        reason = entry.get("reason", "")
        if not isinstance(reason, str):
            raise ValueError(f"{where}: reason must be a string, got {reason!r}")
        found[day] = f"{key}[{i}]"
    return found
