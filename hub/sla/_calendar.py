"""The working calendar of the SLA engine: which instants count as working time, and
working-time arithmetic over them.

Rules (Vietnam, time zone ``Asia/Ho_Chi_Minh``, UTC+7, no daylight saving since 1975):

* **Working days** are Monday to Friday, minus the public holidays, plus the Saturdays the
  government swaps in as working days ("làm bù") and minus the weekdays it gives off in
  exchange or as compensation ("nghỉ bù"). All of this comes from the ``holidays`` package
  (``holidays.country_holidays("VN")`` and its ``is_working_day``), which follows the Labour
  Code and the government's yearly announcements; nothing is hand-written here. Years far
  ahead only carry the statutory holidays: a swap is announced a few months in advance.
* **The province's overrides** come last and win: extra days off (a storm closure) and extra
  working days decided locally or announced after the ``holidays`` release in use.
* **Office hours** are the periods of a working day, by default 07:00-11:30 and 13:30-17:00
  (8 hours; the lunch break does not count). They are the same on every working day and
  configurable (``OfficeHours.parse("07:30-11:30,13:00-17:00")``). An instant is working time
  when it lies in a period, both ends included.

Why: a procedure's legal time limit ("3 working days") is counted in working time, so a
dossier accepted on a Friday evening, or just before Tết, does not lose its weekend or holiday.
Counting working *time* rather than whole days makes the arithmetic exact for any start: a
dossier accepted at 16:00 with one working day ends at 16:00 the next working day, and one
accepted after closing counts from the next opening by itself.

Arithmetic. Think of the working time elapsed since a fixed origin as a clock ``W(t)`` that
runs during office hours and stands still outside them (so it is continuous and
non-decreasing):

* ``working_time_between(a, b) = W(b) - W(a)`` (negative when ``b < a``).
* ``add_working_time(t, d)``, ``d > 0``: the **earliest** ``u`` with ``W(u) = W(t) + d``. A sum
  that runs out exactly at a closing gives the closing (11:30, 17:00), never the next opening.
  ``d == 0`` gives ``next_working_instant(t)``: ``t`` during office hours, else the next opening.
* ``subtract_working_time(t, d)``, ``d > 0``: the **latest** ``u`` with ``W(u) = W(t) - d``. It
  lands on an opening (07:00, 13:30), never on the previous closing. ``d == 0`` gives ``t``
  during office hours, else the previous closing.
* ``add_working_days(t, n) = add_working_time(t, n * hours.day_length)``.

Laws these give (tested with hypothesis): ``add`` is monotone in ``t`` and in ``d``;
``add(add(t, a), b) == add(t, a + b)`` for all ``a, b >= 0`` (the end-of-period convention is
what makes this exact); likewise ``sub(sub(t, a), b) == sub(t, a + b)``;
``between(t, add(t, d)) == d`` and ``between(sub(t, d), t) == d``. ``add`` and ``sub`` undo
each other only up to ``W``: ``sub(add(t, d), d)`` is the latest instant with ``W == W(t)``
(``t`` itself unless ``t`` is a closing or outside office hours).

All inputs must be timezone-aware (``ValueError`` otherwise); results are aware, in the
calendar's zone. Arithmetic is in integer microseconds (``timedelta``), never floats. Times
are wall-clock times of the calendar's zone; a zone with daylight saving would count a
period by its nominal length on the changeover day (irrelevant for Vietnam).

Speed: the working days of a year are computed once, lazily, per calendar (years 1990-2100;
outside them ``ValueError``). All working days have the same length, so the working time
before a day is its index times ``day_length``; every operation is a ``bisect`` in the
year's sorted day ordinals plus constant work, with no day-by-day loop.

Office hours and the province's overrides (with the override file's format) are in
``hub.sla._calendar_inputs``.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from hub.sla._calendar_inputs import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarOverrides,
    OfficeHours,
    us_of_day,
)

__all__ = ["TZ", "CalendarOverrides", "OfficeHours", "WorkingCalendar"]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_COUNTRY = "VN"


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"the working calendar covers {FIRST_YEAR}-{LAST_YEAR}; year {year} is outside it"
        )


# --------------------------------------------------------------------------- the calendar


@functools.cache
def _national_working_days(year: int) -> tuple[int, ...]:
    """Ordinals of the working days of ``year`` per ``holidays``' Vietnam calendar.

    The next year is populated too: a swapped working Saturday can lie in the year before
    the day off it pays for (27 Dec 2014 for 2 Jan 2015)."""
    national = holidays.country_holidays(_COUNTRY, years=(year, year + 1))
    first = date(year, 1, 1).toordinal()
    last = date(year, 12, 31).toordinal()
    return tuple(o for o in range(first, last + 1) if national.is_working_day(date.fromordinal(o)))


@dataclass(frozen=True)
class _Year:
    ords: list[int]  # sorted ordinals of the working days
    total: int  # working microseconds in the year


@dataclass(frozen=True)
class _Period:
    start: int  # microseconds since midnight
    end: int
    before: int  # working microseconds of the day before the period starts
    after: int  # ... when it ends


_DEFAULT_HOURS = OfficeHours()
_NO_OVERRIDES = CalendarOverrides()


class WorkingCalendar:
    """Working days and office hours of a province, and working-time arithmetic over them."""

    def __init__(
        self,
        hours: OfficeHours = _DEFAULT_HOURS,
        overrides: CalendarOverrides = _NO_OVERRIDES,
        tz: ZoneInfo = TZ,
    ) -> None:
        self._hours = hours
        self._overrides = overrides
        self._tz = tz
        periods: list[_Period] = []
        before = 0
        for s, e in hours.periods:
            start, end = us_of_day(s), us_of_day(e)
            periods.append(_Period(start, end, before, before + end - start))
            before += end - start
        self._periods = tuple(periods)
        self._day_us = before
        self._years: dict[int, _Year] = {}
        self._off = {d.toordinal() for d in overrides.days_off}
        self._extra = {d.toordinal() for d in overrides.working_days}

    @property
    def hours(self) -> OfficeHours:
        return self._hours

    @property
    def overrides(self) -> CalendarOverrides:
        return self._overrides

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def day_length(self) -> timedelta:
        """``hours.day_length``: working time in one working day."""
        return timedelta(microseconds=self._day_us)

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(hours={str(self._hours)!r}, days_off={len(self._overrides.days_off)}"
            f", working_days={len(self._overrides.working_days)}, tz={self._tz.key!r})"
        )

    # ---------------------------------------------------------------- days

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        _check_year(year)
        days = set(_national_working_days(year))
        first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        days -= self._off
        days |= {o for o in self._extra if first <= o <= last}
        ords = sorted(days)
        built = _Year(ords, len(ords) * self._day_us)
        self._years[year] = built
        return built

    def _local(self, moment: datetime, name: str) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
        return moment.astimezone(self._tz)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (an aware datetime: its day in the calendar's zone)."""
        if isinstance(day, datetime):
            day = self._local(day, "day").date()
        o = day.toordinal()
        ords = self._year(day.year).ords
        i = bisect_left(ords, o)
        return i < len(ords) and ords[i] == o

    # ---------------------------------------------------------------- the working clock W

    def _position(self, moment: datetime, name: str) -> tuple[int, int]:
        """``(year, W)``: working microseconds from the start of the local year to ``moment``."""
        local = self._local(moment, name)
        year = local.year
        ords = self._year(year).ords
        o = local.toordinal()
        i = bisect_left(ords, o)
        w = i * self._day_us
        if i < len(ords) and ords[i] == o:
            tod = us_of_day(local)
            for p in self._periods:
                if tod <= p.start:
                    return year, w + p.before
                if tod < p.end:
                    return year, w + p.before + tod - p.start
            w += self._day_us
        return year, w

    def _instant(self, ordinal: int, tod: int) -> datetime:
        day = datetime.fromordinal(ordinal).replace(tzinfo=self._tz)
        return day + timedelta(microseconds=tod)

    def _earliest(self, year: int, w: int) -> datetime:
        """The earliest instant whose position is ``(year, w)``; normalises ``w`` first."""
        built = self._year(year)
        while w > built.total:
            w -= built.total
            year += 1
            built = self._year(year)
        while w <= 0:
            year -= 1
            built = self._year(year)
            w += built.total
        k, r = divmod(w, self._day_us)
        if r == 0:
            k, r = k - 1, self._day_us
        for p in self._periods:
            if r <= p.after:
                return self._instant(built.ords[k], p.start + r - p.before)
        raise AssertionError("unreachable: r <= day length")  # pragma: no cover

    def _latest(self, year: int, w: int) -> datetime:
        """The latest instant whose position is ``(year, w)``; normalises ``w`` first."""
        built = self._year(year)
        while w >= built.total:
            w -= built.total
            year += 1
            built = self._year(year)
        while w < 0:
            year -= 1
            built = self._year(year)
            w += built.total
        k, r = divmod(w, self._day_us)
        for p in self._periods:
            if r < p.after:
                return self._instant(built.ords[k], p.start + r - p.before)
        raise AssertionError("unreachable: r < day length")  # pragma: no cover

    # ---------------------------------------------------------------- public arithmetic

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in an office period of a working day (both ends included)."""
        local = self._local(moment, "moment")
        if not self.is_working_day(local.date()):
            return False
        tod = us_of_day(local)
        return any(p.start <= tod <= p.end for p in self._periods)

    def next_working_instant(self, moment: datetime) -> datetime:
        """``moment`` (in the calendar's zone) if it is working time, else the next opening."""
        if self.is_working_time(moment):
            return moment.astimezone(self._tz)
        return self._latest(*self._position(moment, "moment"))

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant at which ``amount`` of working time has passed since ``start``
        (a closing when it runs out there); ``amount == 0``: ``next_working_instant(start)``."""
        if amount < timedelta(0):
            raise ValueError(f"amount must not be negative, got {amount} (subtract instead)")
        if not amount:
            return self.next_working_instant(start)
        year, w = self._position(start, "start")
        return self._earliest(year, w + amount // timedelta(microseconds=1))

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """The latest instant from which ``amount`` of working time passes until ``end`` (an
        opening when it starts there); ``amount == 0``: ``end`` if working time, else the
        previous closing."""
        if amount < timedelta(0):
            raise ValueError(f"amount must not be negative, got {amount} (add instead)")
        if not amount:
            if self.is_working_time(end):
                return end.astimezone(self._tz)
            return self._earliest(*self._position(end, "end"))
        year, w = self._position(end, "end")
        return self._latest(year, w - amount // timedelta(microseconds=1))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``add_working_time(start, days * hours.day_length)``."""
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        return self.add_working_time(start, timedelta(microseconds=days * self._day_us))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end``; negative when ``end < start``."""
        year_a, wa = self._position(start, "start")
        year_b, wb = self._position(end, "end")
        w = wb - wa
        if year_a < year_b:
            w += sum(self._year(y).total for y in range(year_a, year_b))
        elif year_b < year_a:
            w -= sum(self._year(y).total for y in range(year_b, year_a))
        return timedelta(microseconds=w)
