"""The one date conversion, the state table, codes <-> statuses, command -> request mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from connectors.national import (
    NATIONAL_STATES,
    STATUS_OF_CODE,
    code_of_state,
    from_portal,
    status_of_code,
    to_portal,
)
from connectors.national._mapping import dossier_sync, progress_update
from hub.lifecycle import STATUS_CODES
from tests.connectors.national.conftest import progress_payload, sync_payload


def test_dates_are_vietnam_time_to_the_second() -> None:
    assert to_portal(datetime(2026, 3, 2, 1, 15, 30, 999_000, tzinfo=UTC)) == "20260302081530"
    # across midnight and from another offset
    assert to_portal(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == "20270101000000"
    assert to_portal(datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=9)))) == (
        "20260302070000"
    )
    assert from_portal("20260302081530") == datetime(2026, 3, 2, 1, 15, 30, tzinfo=UTC)
    assert from_portal("20270101000000") == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    moment = datetime(2026, 7, 15, 23, 59, 59, tzinfo=UTC)
    assert from_portal(to_portal(moment)) == moment


@pytest.mark.parametrize(
    "text",
    ["2026030208153", "202603020815300", "20261302081530", "2026-03-02T08:15", "", "２０２６"],
)
def test_malformed_portal_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        from_portal(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_portal(datetime(2026, 3, 2, 8, 0))  # noqa: DTZ001


def test_state_table() -> None:
    assert NATIONAL_STATES == {
        "receiving": 1, "new": 2, "denied": 3, "processing": 4, "waiting": 5,
        "paying": 6, "cancelled": 7, "unresolved": 8, "releasing": 9, "done": 10,
    }  # fmt: skip
    assert code_of_state("denied") == 3
    for unknown in ("Receiving", "rejected", "", " new"):
        with pytest.raises(ValueError, match="unknown national portal state"):
            code_of_state(unknown)


def test_codes_and_statuses_are_the_lifecycle_table_inverted() -> None:
    assert {STATUS_CODES[s]: s for s in STATUS_CODES} == dict(STATUS_OF_CODE)
    assert status_of_code(1) == "SUBMITTED"
    assert status_of_code(10) == "RESULT_RETURNED"
    for bad in (0, 11, -1):
        with pytest.raises(ValueError, match="TrangThai"):
            status_of_code(bad)


def test_dossier_sync_mapping() -> None:
    supplement = {
        "requested_at": datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
        "old_appointment_at": datetime(2026, 3, 16, 10, 0, tzinfo=UTC),
        "new_appointment_at": datetime(2026, 3, 20, 10, 0, tzinfo=UTC),
        "reason": "Thiếu bản vẽ",
    }
    request = dossier_sync("HS-1", sync_payload(5, supplements=[supplement])).model_dump()
    assert request["MaHoSo"] == "HS-1"
    assert request["NgayTiepNhan"] == "20260302081530"
    assert request["NgayHenTra"] == "20260316170000"
    assert request["NgayTra"] is None
    assert request["HinhThuc"] == 1
    assert request["TrangThaiHoSo"] == 5
    assert request["DanhSachLePhi"] == [
        {"MaLePhi": "LP-01", "TenLePhi": "Lệ phí", "LoaiLePhi": "CHARGE", "SoTien": 150000}
    ]
    assert request["DanhSachHoSoBoSung"] == [
        {
            "NgayYeuCau": "20260305090000",
            "NgayHenTraCu": "20260316170000",
            "NgayHenTraMoi": "20260320170000",
            "LyDo": "Thiếu bản vẽ",
        }
    ]
    assert dossier_sync("HS-1", sync_payload(2, postal=False)).HinhThuc == 0
    assert dossier_sync("HS-1", sync_payload(2)).DanhSachHoSoBoSung == []


def test_progress_mapping_and_bad_codes() -> None:
    request = progress_update("HS-1", progress_payload(4)).model_dump()
    assert request["ThoiDiemXuLy"] == "20260302081530"
    assert request["NgayKetThucTheoQuyDinh"] == "20260316170000"
    assert request["TrangThai"] == 4
    with pytest.raises(ValidationError):
        progress_update("HS-1", progress_payload(11))
    with pytest.raises(ValidationError):
        dossier_sync("HS-1", sync_payload(0))
    with pytest.raises(ValidationError):
        dossier_sync("HS-1", sync_payload(2, procedure_code="bad code"))
