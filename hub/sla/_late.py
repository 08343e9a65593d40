"""Late-dossier lists for publication: who has late dossiers, and whether they apologised.

The province must publish, per period, the agencies, departments and officials with late
dossiers and the apology status of each ("Phiếu xin lỗi và hẹn lại ngày trả kết quả"). This
module turns ``DossierDeadline`` records (decoded Avro dicts, as the SLA processor keeps them)
into those lists, counts and exports. It is pure: no Kafka, no clock — the caller passes
``as_of`` and a working calendar.

Lateness counts, as the processor judges it, from ``original_appointment_at`` (the pre-apology
appointment): an apology's new date does not make a dossier on time.

A record is the dossier's *current* state, so a past period is rebuilt as well as it can be
"as at the cutoff" (``min(period.end, as_of)``): a finish, apology or pause after the cutoff is
ignored, so a published month does not change when it is regenerated later.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

OVERDUE = "OVERDUE"
LATE_RETURNED = "LATE_RETURNED"

APOLOGISED = "Đã xin lỗi"
NOT_APOLOGISED = "Chưa xin lỗi"

# Handling ended without a result: never a late return (refusal happens before the clock).
NOT_A_RESULT = frozenset({"REFUSED", "WITHDRAWN", "STOPPED"})

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class LatenessCalendar(Protocol):
    """What lateness needs from a working calendar (the ``WorkingCalendar`` keeps the length
    of a day as ``hours.day_length``: pass it through a property or a small adapter)."""

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day: turns working time into working days."""
        ...

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (both aware)."""
        ...


def _require_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
    return moment


@dataclass(frozen=True)
class Period:
    """A reporting period, half-open ``[start, end)``, as published (a month)."""

    start: datetime
    end: datetime
    label: str

    def __post_init__(self) -> None:
        _require_aware(self.start, "Period.start")
        _require_aware(self.end, "Period.end")
        if self.end <= self.start:
            raise ValueError(f"Period {self.label!r} ends ({self.end}) before it starts")

    @classmethod
    def month(cls, text: str, tz: ZoneInfo = VN_TZ) -> Period:
        """The calendar month ``"YYYY-MM"`` in ``tz`` (business months begin at local midnight)."""
        match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"period must be a month written YYYY-MM (e.g. 2025-03), got {text!r}")
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"period month must be 01 to 12, got {text!r}")
        if not 1 <= year <= 9998:
            raise ValueError(f"period year out of range, got {text!r}")
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        return cls(
            start=datetime(year, month, 1, tzinfo=tz),
            end=datetime(*following, 1, tzinfo=tz),
            label=f"{year:04d}-{month:02d}",
        )


@dataclass(frozen=True)
class LateDossier:
    """One late dossier in a period: OVERDUE (unfinished at the cutoff) or LATE_RETURNED."""

    kind: str
    dossier_id: str
    procedure_code: str | None
    agency_code: str | None
    agency_name: str | None
    department: str | None
    official_id: str | None
    official_name: str | None
    accepted_at: datetime | None
    original_appointment_at: datetime | None
    appointment_at: datetime | None
    reappointed: bool
    apology_issued_at: datetime | None
    apology_reason: str | None
    finished_at: datetime | None
    finished_status: str | None
    working_days_late: float

    @property
    def apology(self) -> str:
        """The published apology status."""
        return APOLOGISED if self.apology_issued_at is not None else NOT_APOLOGISED

    @property
    def due_at(self) -> datetime | None:
        """The appointment lateness counts from: the pre-apology one (shifted by pauses)."""
        return self.original_appointment_at or self.appointment_at

    @property
    def reappointed_at(self) -> datetime | None:
        """The new date set by the apology, if any."""
        return self.appointment_at if self.reappointed else None


# --- reading records -----------------------------------------------------------------------


def _text(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) and value else None


def _moment(record: Mapping[str, Any], name: str) -> datetime | None:
    """A timestamp field: aware datetime as fastavro decodes it (epoch ms tolerated)."""
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        return _require_aware(value, f"{name} of dossier {record.get('dossier_id')!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    raise TypeError(f"{name} of dossier {record.get('dossier_id')!r} is not a time: {value!r}")


def _millis(record: Mapping[str, Any], name: str) -> int | None:
    value = record.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _enum(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) else None


def _days(working: timedelta, calendar: LatenessCalendar) -> float:
    if working <= timedelta(0):
        return 0.0
    return round(working / calendar.day_length, 1)


def _working_days(start: datetime, end: datetime, calendar: LatenessCalendar) -> float:
    return _days(calendar.working_time_between(start, end), calendar) if end > start else 0.0


# --- classifying ---------------------------------------------------------------------------
#
# As the SLA processor (``hub.sla._deadline``) keeps the record, ``original_appointment_at`` is
# the appointment a dossier is judged against: the first one, shifted by pauses until an
# apology, kept when the apology sets a new ``appointment_at``. A dossier with an apology is
# late: it ends after its pre-apology appointment.


def _deadline(record: Mapping[str, Any]) -> datetime | None:
    """The appointment lateness counts from: the pre-apology one."""
    return _moment(record, "original_appointment_at") or _moment(record, "appointment_at")


def _apology_at(record: Mapping[str, Any], cutoff: datetime) -> datetime | None:
    """The apology, if issued before the cutoff (a later one did not exist at the cutoff)."""
    issued = _moment(record, "apology_issued_at")
    return issued if issued is not None and issued < cutoff else None


def _late_returned_days(
    record: Mapping[str, Any], period: Period, cutoff: datetime, calendar: LatenessCalendar
) -> float | None:
    """Working days late of a result finished late within the period, else None.

    Recomputed from the record's times as the processor judges a finish, so a record whose
    ``late`` flag lags (or predates it) is still right; the flag decides only without times.
    """
    finished = _moment(record, "finished_at")
    if finished is None or not period.start <= finished < cutoff:
        return None
    if _enum(record, "finished_status") in NOT_A_RESULT:
        return None
    left = _millis(record, "working_ms_left")
    if left is not None:  # finished during a pause: judged on the time left at the pause
        return _days(timedelta(milliseconds=-left), calendar) if left < 0 else None
    deadline = _deadline(record)
    if deadline is not None:
        return _working_days(deadline, finished, calendar) if finished > deadline else None
    late_ms = _millis(record, "working_ms_late")
    if record.get("late") is True and late_ms is not None and late_ms > 0:
        return _days(timedelta(milliseconds=late_ms), calendar)
    return None


def _overdue_days(
    record: Mapping[str, Any], cutoff: datetime, calendar: LatenessCalendar
) -> float | None:
    """Working days late at the cutoff of a dossier still being handled then, else None."""
    finished = _moment(record, "finished_at")
    if finished is not None and finished < cutoff:
        return None
    deadline = _deadline(record)
    if finished is None:  # still open: the clock says whether it is running
        clock = _enum(record, "clock")
        paused_since = _moment(record, "paused_since")
        if clock == "PAUSED" and (paused_since is None or paused_since < cutoff):
            # Paused at the cutoff: late only if it paused while overdue, as late as then.
            if deadline is not None and paused_since is not None:
                if deadline < paused_since:
                    return _working_days(deadline, paused_since, calendar)
                return None
            left = _millis(record, "working_ms_left")
            return _days(timedelta(milliseconds=-left), calendar) if left and left < 0 else None
        if clock not in ("RUNNING", "PAUSED"):
            return None
    # Running at the cutoff (or finished after it, its clock then unknown: taken as running).
    if deadline is None or deadline >= cutoff:
        return None
    return _working_days(deadline, cutoff, calendar)


def _entry(record: Mapping[str, Any], kind: str, days: float, cutoff: datetime) -> LateDossier:
    handler = record.get("handler")
    official: Mapping[str, Any] = handler if isinstance(handler, Mapping) else {}
    apology_at = _apology_at(record, cutoff)
    finished = kind == LATE_RETURNED  # an overdue dossier was not finished at the cutoff
    return LateDossier(
        kind=kind,
        dossier_id=str(record["dossier_id"]),
        procedure_code=_text(record, "procedure_code"),
        agency_code=_text(record, "agency_code"),
        agency_name=_text(record, "agency_name"),
        department=_text(record, "department"),
        official_id=_text(official, "official_id"),
        official_name=_text(official, "official_name"),
        accepted_at=_moment(record, "accepted_at"),
        original_appointment_at=_moment(record, "original_appointment_at"),
        # Before its apology the dossier's appointment was the pre-apology one.
        appointment_at=_moment(record, "appointment_at") if apology_at else _deadline(record),
        reappointed=apology_at is not None,
        apology_issued_at=apology_at,
        apology_reason=_text(record, "apology_reason") if apology_at is not None else None,
        finished_at=_moment(record, "finished_at") if finished else None,
        finished_status=_enum(record, "finished_status") if finished else None,
        working_days_late=days,
    )


def _official_key(entry: LateDossier) -> str:
    return entry.official_id or entry.official_name or ""


def _sort_key(entry: LateDossier) -> tuple[str, str, str, str]:
    return (
        entry.agency_code or "",
        entry.department or "",
        entry.official_name or entry.official_id or "",
        entry.dossier_id,
    )


def late_dossiers(
    deadlines: Iterable[Mapping[str, Any]],
    period: Period,
    *,
    as_of: datetime,
    calendar: LatenessCalendar,
) -> list[LateDossier]:
    """The dossiers late in ``period`` as known at ``as_of``, sorted for publication.

    LATE_RETURNED: a result finished in the period (before ``as_of``) after its pre-apology
    appointment. OVERDUE: not finished at the cutoff ``min(period.end, as_of)``, that
    appointment before it. The two are exclusive; lateness is working days past the
    appointment (1 decimal) at the finish, at the cutoff, or — paused while overdue — at the
    pause. Refusals, withdrawals and stops are never late returns.
    """
    _require_aware(as_of, "as_of")
    cutoff = min(period.end, as_of)
    entries: list[LateDossier] = []
    if cutoff <= period.start:
        return entries
    for record in deadlines:
        days = _late_returned_days(record, period, cutoff, calendar)
        if days is not None:
            entries.append(_entry(record, LATE_RETURNED, days, cutoff))
            continue
        days = _overdue_days(record, cutoff, calendar)
        if days is not None:
            entries.append(_entry(record, OVERDUE, days, cutoff))
    entries.sort(key=_sort_key)
    return entries


# --- counts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LateCount:
    """Late dossiers of one agency, department or official: the published summary rows."""

    level: str
    agency_code: str
    agency_name: str | None
    department: str | None
    official: str | None
    overdue: int
    late_returned: int
    without_apology: int

    @property
    def total(self) -> int:
        """All late dossiers of the row."""
        return self.overdue + self.late_returned


def _count(
    level: str,
    group: Sequence[LateDossier],
    department: str | None = None,
    official: str | None = None,
) -> LateCount:
    first = group[0]
    return LateCount(
        level=level,
        agency_code=first.agency_code or "",
        agency_name=next((e.agency_name for e in group if e.agency_name), None),
        department=department,
        official=official,
        overdue=sum(e.kind == OVERDUE for e in group),
        late_returned=sum(e.kind == LATE_RETURNED for e in group),
        without_apology=sum(e.apology_issued_at is None for e in group),
    )


def _grouped(
    entries: Iterable[LateDossier], key: Callable[[LateDossier], str | None]
) -> list[tuple[str | None, list[LateDossier]]]:
    """Groups by ``key``, in the order the groups first appear."""
    groups: dict[str | None, list[LateDossier]] = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry)
    return list(groups.items())


def late_counts(entries: Sequence[LateDossier]) -> list[LateCount]:
    """Rows per agency, per (agency, department), per (agency, department, official).

    Ordered as an outline: each agency row, then each of its departments followed by that
    department's officials. A missing agency code groups under ``""``; a missing department
    or official is a row of its own with ``None``.
    """
    rows: list[LateCount] = []
    ordered = sorted(entries, key=_sort_key)  # agency code, department, official name
    for _, of_agency in _grouped(ordered, lambda e: e.agency_code or ""):
        rows.append(_count("agency", of_agency))
        for department, of_department in _grouped(of_agency, lambda e: e.department):
            rows.append(_count("department", of_department, department))
            for _, of_official in _grouped(of_department, _official_key):
                first = of_official[0]
                official = first.official_name or first.official_id
                rows.append(_count("official", of_official, department, official))
    return rows


# --- exports -------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "kind",
    "agency_code",
    "agency_name",
    "department",
    "official_name",
    "dossier_id",
    "procedure_code",
    "accepted_at",
    "original_appointment_at",
    "appointment_at",
    "finished_at",
    "working_days_late",
    "apology",
    "apology_issued_at",
    "apology_reason",
)


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in Vietnam time (+07:00): what a reader of the province's data expects."""
    return None if moment is None else moment.astimezone(VN_TZ).isoformat(timespec="seconds")


def write_csv(entries: Sequence[LateDossier], out: TextIO) -> None:
    """One row per dossier, columns ``CSV_COLUMNS``; open ``out`` with ``newline=""``."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for entry in entries:
        row: dict[str, Any] = {}
        for column in CSV_COLUMNS:
            value = getattr(entry, column)
            if isinstance(value, datetime):
                value = _iso(value)
            row[column] = "" if value is None else value
        writer.writerow(row)


def as_json(
    entries: Sequence[LateDossier], counts: Sequence[LateCount], period: Period
) -> dict[str, Any]:
    """The lists as JSON-ready data for an HTTP endpoint (times ISO 8601, +07:00)."""

    def dossier(entry: LateDossier) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in fields(entry):
            value = getattr(entry, field.name)
            data[field.name] = _iso(value) if isinstance(value, datetime) else value
        data["apology"] = entry.apology
        data["due_at"] = _iso(entry.due_at)
        data["reappointed_at"] = _iso(entry.reappointed_at)
        return data

    return {
        "period": {"label": period.label, "start": _iso(period.start), "end": _iso(period.end)},
        "dossiers": [dossier(entry) for entry in entries],
        "counts": [
            {field.name: getattr(count, field.name) for field in fields(count)}
            | {"total": count.total}
            for count in counts
        ],
    }


DOSSIER_SHEET = "Hồ sơ trễ hạn"
SUMMARY_SHEET = "Tổng hợp"
DOSSIER_HEADERS: tuple[str, ...] = (
    "STT",
    "Cơ quan",
    "Phòng ban",
    "Cán bộ xử lý",
    "Mã hồ sơ",
    "Thủ tục",
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Ngày hẹn lại",
    "Ngày hoàn thành",
    "Số ngày trễ",
    "Xin lỗi",
    "Lý do",
)
_DOSSIER_WIDTHS = (6, 32, 24, 24, 22, 16, 17, 17, 17, 17, 11, 14, 40)
SUMMARY_HEADERS: tuple[str, ...] = (
    "Cấp",
    "Cơ quan",
    "Phòng ban",
    "Cán bộ",
    "Quá hạn chưa hoàn thành",
    "Hoàn thành trễ hạn",
    "Tổng số trễ hạn",
    "Chưa xin lỗi",
)
_SUMMARY_WIDTHS = (11, 32, 24, 24, 14, 14, 12, 12)
LEVEL_LABELS = {"agency": "Cơ quan", "department": "Phòng ban", "official": "Cán bộ"}
_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def _local(moment: datetime | None) -> datetime | None:
    """Naive Vietnam time: openpyxl cannot store aware datetimes."""
    return None if moment is None else moment.astimezone(VN_TZ).replace(tzinfo=None)


def _sheet(
    workbook: Any, name: str, title: str, headers: Sequence[str], widths: Sequence[int]
) -> Any:
    """A sheet with a title row, bold headers on row 2, widths, frozen below the headers."""
    sheet = workbook.create_sheet(name)
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=2, column=column, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A3"
    return sheet


def write_xlsx(
    entries: Sequence[LateDossier], counts: Sequence[LateCount], path: Path, *, title: str
) -> None:
    """The workbook a province publishes: the dossiers, then the summary by level."""
    workbook = Workbook()
    workbook.remove(workbook.active)

    sheet = _sheet(workbook, DOSSIER_SHEET, title, DOSSIER_HEADERS, _DOSSIER_WIDTHS)
    for number, entry in enumerate(entries, start=1):
        sheet.append(
            [
                number,
                entry.agency_name or entry.agency_code,
                entry.department,
                entry.official_name or entry.official_id,
                entry.dossier_id,
                entry.procedure_code,
                _local(entry.accepted_at),
                _local(entry.due_at),
                _local(entry.reappointed_at),
                _local(entry.finished_at),
                entry.working_days_late,
                entry.apology,
                entry.apology_reason,
            ]
        )
        row = sheet.max_row
        for column in range(7, 11):
            sheet.cell(row=row, column=column).number_format = _DATETIME_FORMAT
        sheet.cell(row=row, column=11).number_format = "0.0"
    if entries:
        sheet.auto_filter.ref = f"A2:M{sheet.max_row}"

    summary = _sheet(workbook, SUMMARY_SHEET, title, SUMMARY_HEADERS, _SUMMARY_WIDTHS)
    for count in counts:
        summary.append(
            [
                LEVEL_LABELS.get(count.level, count.level),
                count.agency_name or count.agency_code,
                count.department,
                count.official,
                count.overdue,
                count.late_returned,
                count.total,
                count.without_apology,
            ]
        )
        if count.level == "agency":
            for cell in summary[summary.max_row]:
                cell.font = Font(bold=True)
    agencies = [count for count in counts if count.level == "agency"]
    summary.append(
        [
            "Tổng cộng",
            None,
            None,
            None,
            sum(count.overdue for count in agencies),
            sum(count.late_returned for count in agencies),
            sum(count.total for count in agencies),
            sum(count.without_apology for count in agencies),
        ]
    )
    for cell in summary[summary.max_row]:
        cell.font = Font(bold=True)

    workbook.save(path)
