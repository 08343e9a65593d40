"""The late lists' order, counts and exports (CSV, JSON, workbook), from a sample of records."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook  # type: ignore[import-untyped]

from hub.sla._late import LateDossier, late_dossiers
from hub.sla._late_counts import LateCount, late_counts
from hub.sla._late_export import (
    CSV_COLUMNS,
    DOSSIER_HEADERS,
    SUMMARY_HEADERS,
    as_json,
    write_csv,
    write_xlsx,
)
from tests.sla._late_support import (
    AS_OF,
    CALENDAR,
    MARCH,
    VN,
    deadline,
    explanation,
    finished,
    vn,
)


def cell_time(month: int, day: int, hour: int = 8) -> datetime:
    """A 2025 Vietnam wall time as a workbook cell holds it: naive."""
    return datetime(2025, month, day, hour, tzinfo=VN).replace(tzinfo=None)


# --- order and counts ----------------------------------------------------------------------


def _handler(official_id: str, name: str) -> dict[str, str]:
    return {
        "official_id": official_id,
        "official_name": name,
        "title": "Chuyên viên",
        "department": "",
        "agency_code": "",
    }


def _sample() -> list[LateDossier]:
    an = _handler("cb-01", "Nguyễn Văn An")
    binh = _handler("cb-02", "Trần Thị Bình")
    records = [
        deadline(
            "D-5",
            agency_code="UBND-X",
            agency_name="UBND xã Tân Phú",
            department=None,
            handler=None,
            appointment_at=vn(3, 25),
        ),
        finished(
            "D-4",
            vn(3, 20),
            original_appointment_at=vn(3, 18),
            appointment_at=vn(3, 21),
            handler=binh,
            apology_issued_at=vn(3, 17),
            apology_reason="Chờ xác minh",
        ),
        deadline("D-3", appointment_at=vn(3, 25), handler=an),
        finished(
            "D-2",
            vn(3, 12),
            appointment_at=vn(3, 10),
            handler=an,
            late_at=vn(3, 10),
            explanation_due_at=vn(3, 13),
            explanation_recorded_at=vn(3, 14),
            explanation=explanation(),
        ),
        deadline("D-1", department="Phòng Bổ trợ tư pháp", handler=binh, appointment_at=vn(3, 26)),
        finished("D-0", vn(3, 19), appointment_at=vn(3, 20)),  # on time
    ]
    return late_dossiers(records, MARCH, as_of=AS_OF, calendar=CALENDAR)


def test_entries_are_sorted_by_agency_department_official_and_dossier() -> None:
    assert [entry.dossier_id for entry in _sample()] == ["D-1", "D-2", "D-3", "D-4", "D-5"]


def test_counts_per_agency_department_and_official() -> None:
    rows = late_counts(_sample())
    assert rows == [
        LateCount("agency", "STP", "Sở Tư pháp", None, None, 2, 2, 3, 3),
        LateCount("department", "STP", "Sở Tư pháp", "Phòng Bổ trợ tư pháp", None, 1, 0, 1, 1),
        LateCount(
            "official", "STP", "Sở Tư pháp", "Phòng Bổ trợ tư pháp", "Trần Thị Bình", 1, 0, 1, 1
        ),
        LateCount("department", "STP", "Sở Tư pháp", "Phòng Hành chính tư pháp", None, 1, 2, 2, 2),
        LateCount(
            "official", "STP", "Sở Tư pháp", "Phòng Hành chính tư pháp", "Nguyễn Văn An", 1, 1, 2, 1
        ),
        LateCount(
            "official", "STP", "Sở Tư pháp", "Phòng Hành chính tư pháp", "Trần Thị Bình", 0, 1, 0, 1
        ),
        LateCount("agency", "UBND-X", "UBND xã Tân Phú", None, None, 1, 0, 1, 1),
        LateCount("department", "UBND-X", "UBND xã Tân Phú", None, None, 1, 0, 1, 1),
        LateCount("official", "UBND-X", "UBND xã Tân Phú", None, None, 1, 0, 1, 1),
    ]
    assert rows[0].total == 4


def test_no_entries_no_counts() -> None:
    assert late_counts([]) == []


# --- exports -------------------------------------------------------------------------------


def test_csv_round_trip() -> None:
    out = io.StringIO(newline="")
    write_csv(_sample(), out)
    out.seek(0)
    reader = csv.DictReader(out)
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    assert [row["dossier_id"] for row in rows] == ["D-1", "D-2", "D-3", "D-4", "D-5"]
    d2, d4, d5 = rows[1], rows[3], rows[4]
    assert d2["kind"] == "LATE_RETURNED"
    assert d2["appointment_at"] == "2025-03-10T08:00:00+07:00"
    assert d2["finished_at"] == "2025-03-12T08:00:00+07:00"
    assert float(d2["working_days_late"]) == 2.0
    assert d2["apology"] == "Chưa xin lỗi"
    assert d2["apology_issued_at"] == ""
    assert (d4["apology"], d4["apology_reason"]) == ("Đã xin lỗi", "Chờ xác minh")
    assert datetime.fromisoformat(d4["apology_issued_at"]) == vn(3, 17)
    assert d4["original_appointment_at"] == "2025-03-18T08:00:00+07:00"
    assert d4["appointment_at"] == "2025-03-21T08:00:00+07:00"
    assert (d5["kind"], d5["department"], d5["official_name"]) == ("OVERDUE", "", "")
    assert (d2["explanation"], d2["explanation_unit"]) == (
        "Đã giải trình",
        "Phòng Hành chính tư pháp",
    )
    assert (d2["explanation_due_at"], d2["explanation_recorded_at"]) == (
        "2025-03-13T08:00:00+07:00", "2025-03-14T08:00:00+07:00"
    )  # fmt: skip
    assert (d4["explanation"], d4["explanation_recorded_at"]) == ("Chưa giải trình", "")


def test_as_json_is_serialisable_with_iso_times() -> None:
    entries = _sample()
    data = as_json(entries, late_counts(entries), MARCH)
    assert data["period"] == {
        "label": "2025-03",
        "start": "2025-03-01T00:00:00+07:00",
        "end": "2025-04-01T00:00:00+07:00",
    }
    assert json.loads(json.dumps(data)) == data
    d2 = data["dossiers"][1]
    assert (d2["dossier_id"], d2["finished_at"], d2["apology"], d2["explanation"]) == (
        "D-2",
        "2025-03-12T08:00:00+07:00",
        "Chưa xin lỗi",
        "Đã giải trình",
    )
    assert data["counts"][0]["total"] == 4


def test_xlsx_reads_back(tmp_path: Path) -> None:
    entries = _sample()
    path = tmp_path / "tre-han-2025-03.xlsx"
    write_xlsx(entries, late_counts(entries), path, title="Hồ sơ trễ hạn tháng 03/2025")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Hồ sơ trễ hạn", "Tổng hợp"]

    sheet = workbook["Hồ sơ trễ hạn"]
    assert sheet["A1"].value == "Hồ sơ trễ hạn tháng 03/2025"
    assert tuple(cell.value for cell in sheet[2]) == DOSSIER_HEADERS
    assert sheet[2][0].font.bold
    assert sheet.freeze_panes == "A3"
    assert sheet.max_row == 2 + len(entries)
    d2 = [cell.value for cell in sheet[4]]
    assert d2[:6] == [2, "Sở Tư pháp", "Phòng Hành chính tư pháp", "Nguyễn Văn An", "D-2",
                      "1.001234"]  # fmt: skip
    assert d2[6] == cell_time(3, 3)  # naive, Vietnam time
    assert d2[7] == cell_time(3, 10)
    assert d2[8] is None  # no re-appointment
    assert d2[9] == cell_time(3, 12)
    assert (d2[10], d2[11]) == (2.0, "Chưa xin lỗi")
    assert d2[13:] == [
        "Đã giải trình",
        cell_time(3, 13),
        cell_time(3, 14),
        "Phòng Hành chính tư pháp",
    ]
    assert sheet.cell(row=4, column=16).number_format == "dd/mm/yyyy hh:mm"
    assert sheet.auto_filter.ref == f"A2:Q{sheet.max_row}"
    assert sheet.cell(row=4, column=7).number_format == "dd/mm/yyyy hh:mm"
    d4 = [cell.value for cell in sheet[6]]
    assert d4[7:13] == [
        cell_time(3, 18),
        cell_time(3, 21),
        cell_time(3, 20),
        2.0,
        "Đã xin lỗi",
        "Chờ xác minh",
    ]
    assert sheet[7][1].value == "UBND xã Tân Phú"

    summary = workbook["Tổng hợp"]
    assert tuple(cell.value for cell in summary[2]) == SUMMARY_HEADERS
    assert [cell.value for cell in summary[3]] == [
        "Cơ quan", "Sở Tư pháp", None, None, 2, 2, 4, 3, 3
    ]  # fmt: skip
    assert [cell.value for cell in summary[summary.max_row]] == [
        "Tổng cộng", None, None, None, 3, 2, 5, 4, 4
    ]  # fmt: skip


def test_empty_exports(tmp_path: Path) -> None:
    out = io.StringIO(newline="")
    write_csv([], out)
    assert out.getvalue().strip() == ",".join(CSV_COLUMNS)
    write_xlsx([], [], tmp_path / "empty.xlsx", title="Không có hồ sơ trễ hạn")
    assert load_workbook(tmp_path / "empty.xlsx")["Hồ sơ trễ hạn"].max_row == 2
