"""The province's tables as files: CSV (UTF-8, the documented columns) and XLSX (openpyxl).

Each table is a header and rows of strings (``*_rows``), which the CSV, the XLSX and the terminal
show alike."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Final, TextIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

from hub.kpi._postal_report import PostalRow
from hub.kpi._ratings import SATISFACTION_COLUMNS, SATISFACTION_TITLES, satisfaction_cells
from hub.kpi._report import (
    CSV_COLUMNS,
    RATE_COLUMNS,
    FullOnlineTable,
    IndicatorsRow,
    full_online_csv_row,
    percent_text,
)
from hub.kpi._targets import INDICATOR_FIELDS, TargetsRow, Verdict

#: Column titles of the published XLSX, in the CSV's order.
FULL_ONLINE_TITLES = (
    "Mã cơ quan", "Tên cơ quan", "Tổng HSTN", "Tổng TTHC",
    "Một phần (Trực tiếp) - HSTN", "Một phần (Trực tiếp) - TTHC",
    "Một phần (Trực tuyến) - HSTN trực tiếp", "Một phần (Trực tuyến) - HSTN trực tuyến",
    "Một phần (Trực tuyến) - TTHC", "Toàn trình - HSTN trực tiếp",
    "Toàn trình - HSTN trực tuyến", "Toàn trình - TTHC", "Tỷ lệ toàn trình", "Đánh giá",
)  # fmt: skip
INDICATOR_TITLES = (
    "Mã cơ quan", "HSTN", "Đúng hạn", "Trực tuyến (một phần)", "Trực tuyến (toàn trình)",
    "Nộp trực tuyến", "Số hóa hồ sơ", "Số hóa kết quả", "Thanh toán trực tuyến",
    *SATISFACTION_TITLES,
)  # fmt: skip


#: The 2024 indicators table: per indicator its rate, target and verdict.
TARGET_COLUMNS: Final = (
    "agency_code",
    *(f"{name}{part}" for name in INDICATOR_FIELDS for part in ("", "_target", "_verdict")),
)
TARGET_TITLES: Final = (
    "Mã cơ quan",
    *(f"{title}{part}" for title in ("Số hóa hồ sơ", "Số hóa kết quả", "TTHC toàn trình",
                                     "Thanh toán trực tuyến")
      for part in ("", " - chỉ tiêu", " - đánh giá")),
)  # fmt: skip
POSTAL_COLUMNS: Final = ("agency_code", "picked_up", "pickups_on_time", "returned",
                         "returns_on_time", "cod_vnd")  # fmt: skip
POSTAL_TITLES: Final = ("Mã cơ quan", "Hồ sơ nhận qua bưu chính", "Nhận đúng hạn",
                        "Kết quả trả qua bưu chính", "Trả đúng hạn",
                        "Tiền thu hộ (VND)")  # fmt: skip
_TOTAL = "Tổng cộng"


def full_online_rows(table: FullOnlineTable) -> list[list[str]]:
    """Every agency's row and the total row, as the CSV writes them."""
    return [[full_online_csv_row(r)[c] for c in CSV_COLUMNS] for r in (*table.rows, table.total)]


def write_csv(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def write_full_online_csv(table: FullOnlineTable, out: TextIO) -> None:
    write_csv(CSV_COLUMNS, full_online_rows(table), out)


def indicator_rows(rows: Sequence[IndicatorsRow]) -> list[list[str]]:
    """Each agency's rates, then its satisfaction group (ratings, share satisfied, means)."""
    return [[r.agency_code, str(r.received), *(str(getattr(r, c)) for c in RATE_COLUMNS),
             *satisfaction_cells(r.satisfaction, str(r.satisfied))]
            for r in rows]  # fmt: skip


def write_indicators_csv(rows: Sequence[IndicatorsRow], out: TextIO) -> None:
    header = ("agency_code", "received", *RATE_COLUMNS, *SATISFACTION_COLUMNS)
    write_csv(header, indicator_rows(rows), out)


def _verdict_cells(v: Verdict) -> list[str]:
    return [str(v.rate), percent_text(v.target), v.label]


def target_rows(rows: Sequence[TargetsRow], total: TargetsRow) -> list[list[str]]:
    """Each agency's row, then the total: per indicator ``80.00% (4/5)``, ``80%``, the verdict."""
    return [
        [r.agency_code or _TOTAL, *(c for n in INDICATOR_FIELDS for c in _verdict_cells(
            getattr(r, n)))]
        for r in (*rows, total)
    ]  # fmt: skip


def postal_rows(rows: Sequence[PostalRow], total: PostalRow) -> list[list[str]]:
    """Each agency's row, then the total."""
    return [
        [r.agency_code or _TOTAL, str(r.picked_up), str(r.pickups_on_time), str(r.returned),
         str(r.returns_on_time), str(r.cod_vnd)]
        for r in (*rows, total)
    ]  # fmt: skip


def write_xlsx(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], path: Path
) -> None:
    """One sheet: a title line, the column titles, the rows (numbers stored as numbers)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([int(v) if v.isdigit() else v for v in row])
    for n, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(2, n).column_letter].width = max(
            10, min(40, len(header))
        )
    book.save(path)
