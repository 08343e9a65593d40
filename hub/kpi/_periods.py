"""Reporting periods of the KPIs: the ISO week, month, quarter and year of an instant, in
Vietnam's time.

Labels are what the ``dvc.kpi`` keys and the published tables use: ``2025-W10``, ``2025-03``,
``2025-Q1``, ``2025``. A period is half-open, ``[start, end)``, from local midnight
(Asia/Ho_Chi_Minh). The week is ISO 8601's (the QĐ 766 checks are weekly): it starts on Monday
00:00 local, and its year is the ISO year, so the week of 30 Dec 2024 - 5 Jan 2025 is
``2025-W01``, counted against 2025's targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_LABEL = re.compile(
    r"(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])|W(?P<week>\d{2})))?"
)
#: What ``Period.parse`` accepts (its errors say so).
FORMS = "2025, 2025-Q1 or 2025-03 (or a week, 2025-W05)"


@dataclass(frozen=True)
class Period:
    """A week, month, quarter or year: ``label``, and its local bounds ``[start, end)``."""

    label: str
    start: datetime
    end: datetime

    @property
    def kind(self) -> str:
        """``week``, ``month``, ``quarter`` or ``year``."""
        if "-W" in self.label:
            return "week"
        if "-Q" in self.label:
            return "quarter"
        return "month" if "-" in self.label else "year"

    @property
    def year(self) -> int:
        """The year whose targets apply: a week's ISO year (its Thursday's year)."""
        return int(self.label[:4])

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @classmethod
    def parse(cls, label: str) -> Period:
        """``2025``, ``2025-Q1``, ``2025-03`` or ``2025-W05``; ``ValueError`` (saying which
        forms) otherwise."""
        match = _LABEL.fullmatch(label.strip()) if isinstance(label, str) else None
        if match is None:
            raise ValueError(f"a period is written {FORMS}, got {label!r}")
        year = int(match["year"])
        if not 1990 <= year <= 2100:
            raise ValueError(f"period year must be 1990-2100, got {label!r}")
        if match["month"] is not None:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise ValueError(f"period month must be 01 to 12, got {label!r}")
            return cls(
                f"{year}-{month:02d}", _local(year, month), _local(*_next_month(year, month))
            )
        if match["week"] is not None:
            return cls._week(year, int(match["week"]), label)
        if match["quarter"] is not None:
            quarter = int(match["quarter"])
            first = 3 * quarter - 2
            end = _local(year + 1, 1) if quarter == 4 else _local(year, first + 3)
            return cls(f"{year}-Q{quarter}", _local(year, first), end)
        return cls(str(year), _local(year, 1), _local(year + 1, 1))

    @classmethod
    def _week(cls, year: int, week: int, label: str) -> Period:
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {week:02d}: got {label!r}") from None
        start = datetime(monday.year, monday.month, monday.day, tzinfo=TZ)
        # aware + timedelta is wall-clock arithmetic: the next Monday at local midnight
        return cls(f"{year}-W{week:02d}", start, start + timedelta(days=7))


def periods_of(moment: datetime) -> tuple[str, str, str, str]:
    """(month, quarter, year, ISO week) labels of the local day of ``moment`` (timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError(f"moment must be timezone-aware, got {moment!r}")
    local = moment.astimezone(TZ)
    quarter = (local.month - 1) // 3 + 1
    iso = local.isocalendar()
    return (f"{local.year}-{local.month:02d}", f"{local.year}-Q{quarter}", str(local.year),
            f"{iso.year}-W{iso.week:02d}")  # fmt: skip


def _local(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=TZ)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)
