"""Exports of the late lists: CSV, JSON-ready data and the workbook a province publishes.

Times are written in Vietnam time (ISO 8601 with +07:00, or naive local times in the workbook,
which cannot store aware ones).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import TextIO, TypedDict

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

from hub.sla._late import VN_TZ, LateDossier, Period
from hub.sla._late_counts import LateCount

CSV_COLUMNS: tuple[str, ...] = (
    "kind",
    "agency_code",
    "agency_name",
    "receiving_desk",
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
    "explanation",
    "explanation_due_at",
    "explanation_recorded_at",
    "explanation_unit",
)


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in Vietnam time (+07:00): what a reader of the province's data expects."""
    return None if moment is None else moment.astimezone(VN_TZ).isoformat(timespec="seconds")


def write_csv(entries: Sequence[LateDossier], out: TextIO) -> None:
    """One row per dossier, columns ``CSV_COLUMNS``; open ``out`` with ``newline=""``."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for entry in entries:
        row: dict[str, object] = {}
        for column in CSV_COLUMNS:
            value = getattr(entry, column)
            if isinstance(value, datetime):
                value = _iso(value)
            row[column] = "" if value is None else value
        writer.writerow(row)


class LateJson(TypedDict):
    """``as_json``'s document: a dossier or a count is its dataclass's fields, by name."""

    period: dict[str, str | None]
    dossiers: list[dict[str, object]]
    counts: list[dict[str, object]]


def as_json(
    entries: Sequence[LateDossier], counts: Sequence[LateCount], period: Period
) -> LateJson:
    """The lists as JSON-ready data for an HTTP endpoint (times ISO 8601, +07:00)."""

    def dossier(entry: LateDossier) -> dict[str, object]:
        data: dict[str, object] = {}
        for field in fields(entry):
            value = getattr(entry, field.name)
            data[field.name] = _iso(value) if isinstance(value, datetime) else value
        data["apology"] = entry.apology
        data["due_at"] = _iso(entry.due_at)
        data["reappointed_at"] = _iso(entry.reappointed_at)
        data["explanation"] = entry.explanation
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
    "Giải trình",
    "Hạn giải trình",
    "Ngày giải trình",
    "Đơn vị giải trình",
)
_DOSSIER_WIDTHS = (6, 32, 24, 24, 22, 16, 17, 17, 17, 17, 11, 14, 40, 16, 17, 17, 28)
#: 1-based columns of the dossier sheet that hold times
_TIME_COLUMNS = (7, 8, 9, 10, 15, 16)
SUMMARY_HEADERS: tuple[str, ...] = (
    "Cấp",
    "Cơ quan",
    "Phòng ban",
    "Cán bộ",
    "Quá hạn chưa hoàn thành",
    "Hoàn thành trễ hạn",
    "Tổng số trễ hạn",
    "Chưa xin lỗi",
    "Chưa giải trình",
)
_SUMMARY_WIDTHS = (11, 32, 24, 24, 14, 14, 12, 12, 14)
LEVEL_LABELS = {"agency": "Cơ quan", "department": "Phòng ban", "official": "Cán bộ"}
_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def _local(moment: datetime | None) -> datetime | None:
    """Naive Vietnam time: openpyxl cannot store aware datetimes."""
    return None if moment is None else moment.astimezone(VN_TZ).replace(tzinfo=None)


def _sheet(
    workbook: Workbook, name: str, title: str, headers: Sequence[str], widths: Sequence[int]
) -> Worksheet:
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
                entry.explanation,
                _local(entry.explanation_due_at),
                _local(entry.explanation_recorded_at),
                entry.explanation_unit,
            ]
        )
        row = sheet.max_row
        for column in _TIME_COLUMNS:
            sheet.cell(row=row, column=column).number_format = _DATETIME_FORMAT
        sheet.cell(row=row, column=11).number_format = "0.0"
    if entries:
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(DOSSIER_HEADERS))}{sheet.max_row}"

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
                count.without_explanation,
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
            sum(count.without_explanation for count in agencies),
        ]
    )
    for cell in summary[summary.max_row]:
        cell.font = Font(bold=True)

    workbook.save(path)
