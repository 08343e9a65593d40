"""The one date conversion, the state table, codes <-> statuses, command -> request mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import fastavro
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
from hub.dossier import STATUS_CODES
from hub.serde import load_schema
from tests.connectors.national.conftest import (
    PORTAL_ROUNDS,
    progress_payload,
    supplement_rounds,
    sync_payload,
)


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


def _sync_schema() -> dict[str, Any]:
    """NationalDossierSync as the registry stores it (inside the expanded PartnerCommand)."""
    [union] = [f["type"] for f in load_schema("PartnerCommand")["fields"] if f["name"] == "payload"]
    [sync] = [s for s in union if s["name"] == "vn.dvchub.command.NationalDossierSync"]
    return dict(sync)


def _fits_the_contract(payload: dict[str, Any]) -> bool:
    """``payload`` is a valid NationalDossierSync, inside a PartnerCommand (its named types)."""
    record = {"command_id": "c", "command_type": "NATIONAL_DOSSIER_SYNC", "dossier_id": "HS-1",
              "idempotency_key": "k", "created_at": datetime(2026, 3, 2, tzinfo=UTC),
              "correlation_id": "HS-1", "causation_id": None,
              "payload": ("vn.dvchub.command.NationalDossierSync", payload)}  # fmt: skip
    return bool(fastavro.validate(record, fastavro.parse_schema(load_schema("PartnerCommand"))))


def test_dossier_sync_mapping() -> None:
    payload = sync_payload(5, supplements=supplement_rounds())
    assert _fits_the_contract(payload)
    request = dossier_sync("HS-1", payload).model_dump()
    assert request["MaHoSo"] == "HS-1"
    assert request["NgayTiepNhan"] == "20260302081530"
    assert request["NgayHenTra"] == "20260316170000"
    assert request["NgayTra"] is None
    assert request["HinhThuc"] == 1
    assert request["TrangThaiHoSo"] == 5
    assert request["DanhSachLePhi"] == [
        {"MaLePhi": "LP-01", "TenLePhi": "Lệ phí", "LoaiLePhi": "CHARGE", "SoTien": 150000}
    ]
    assert request["DanhSachHoSoBoSung"] == PORTAL_ROUNDS  # received_at: no portal field
    assert dossier_sync("HS-1", sync_payload(2, postal=False)).HinhThuc == 0
    assert dossier_sync("HS-1", sync_payload(2)).DanhSachHoSoBoSung == []
    older = sync_payload(2)
    del older["supplements"]  # a payload written before the field existed
    assert dossier_sync("HS-1", older).DanhSachHoSoBoSung == []


def test_the_mapping_reads_the_supplement_round_fields_of_the_contract() -> None:
    [supplements] = [f for f in _sync_schema()["fields"] if f["name"] == "supplements"]
    assert supplements["default"] == []
    round_fields = [f["name"] for f in supplements["type"]["items"]["fields"]]
    assert round_fields == [
        "requested_at", "received_at", "old_appointment_at", "new_appointment_at", "reason"
    ]  # fmt: skip
    blank = {**supplement_rounds()[1], "reason": ""}
    [sent] = dossier_sync("HS-1", sync_payload(5, supplements=[blank])).DanhSachHoSoBoSung
    assert sent.LyDo is None  # the portal refuses an empty text: sent as null


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
