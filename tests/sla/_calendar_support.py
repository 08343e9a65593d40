"""Helpers of the working-calendar tests: the two calendars they check, and Vietnam times."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.sla._calendar import TZ, CalendarOverrides, OfficeHours, WorkingCalendar

H = timedelta(hours=1)
US = timedelta(microseconds=1)
UTC = ZoneInfo("UTC")


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


CAL = WorkingCalendar()
CUSTOM = WorkingCalendar(
    OfficeHours.parse("08:00-12:00, 13:00-16:30, 18:00-19:15"),
    CalendarOverrides(
        days_off=frozenset({date(2025, 3, 12), date(2025, 4, 26), date(2024, 7, 1)}),
        working_days=frozenset({date(2025, 3, 15), date(2024, 6, 30)}),
    ),
)


def dates(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last``, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
