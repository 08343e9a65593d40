"""The province's tables as files: CSV (UTF-8, the documented columns) and XLSX (openpyxl)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

from hub.kpi._report import (
    CSV_COLUMNS,
    RATE_COLUMNS,
    FullOnlineTable,
    IndicatorsRow,
    full_online_csv_row,
)

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
)  # fmt: skip


def full_online_rows(table: FullOnlineTable) -> list[list[str]]:
    """Every agency's row and the total row, as the CSV writes them."""
    return [[full_online_csv_row(r)[c] for c in CSV_COLUMNS] for r in (*table.rows, table.total)]


def write_full_online_csv(table: FullOnlineTable, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(full_online_rows(table))


def indicator_rows(rows: Sequence[IndicatorsRow]) -> list[list[str]]:
    return [[r.agency_code, str(r.received), *(str(getattr(r, c)) for c in RATE_COLUMNS)]
            for r in rows]  # fmt: skip


def write_indicators_csv(rows: Sequence[IndicatorsRow], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("agency_code", "received", *RATE_COLUMNS))
    writer.writerows(indicator_rows(rows))


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
