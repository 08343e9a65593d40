"""Fixtures of the national portal tests: a real simulator server per test, and commands."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.national import NationalConfig, NationalPortalSimulator
from connectors.outbox import Command

RECEIVED = datetime(2026, 3, 2, 1, 15, 30, 250_000, tzinfo=UTC)  # 08:15:30 in Vietnam
APPOINTED = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # 17:00 in Vietnam


@pytest.fixture
def simulator() -> Iterator[NationalPortalSimulator]:
    with NationalPortalSimulator() as sim:
        yield sim


@pytest.fixture
def config(simulator: NationalPortalSimulator) -> NationalConfig:
    return NationalConfig(url=simulator.url, timeout_s=1.0)


def sync_payload(status_code: int = 2, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "procedure_code": "1.001612",
        "procedure_name": "Cấp giấy phép xây dựng",
        "agency_code": "SXD",
        "applicant_name": "Nguyễn Văn An",
        "received_at": RECEIVED,
        "appointment_at": APPOINTED,
        "returned_at": None,
        "status_code": status_code,
        "postal": True,
        "fee_lines": [{"code": "LP-01", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": 150000}],
        "supplements": [],
        "result_documents": [],
    }
    payload.update(overrides)
    return payload


def supplement_rounds() -> list[dict[str, Any]]:
    """Two SupplementRound records: one closed with its new appointment, one still open."""
    return [
        {
            "requested_at": datetime(2026, 3, 5, 2, 0, 0, 750_000, tzinfo=UTC),  # 09:00 in VN
            "received_at": datetime(2026, 3, 7, 3, 30, tzinfo=UTC),
            "old_appointment_at": APPOINTED,
            "new_appointment_at": datetime(2026, 3, 20, 10, 0, tzinfo=UTC),
            "reason": "Thiếu bản vẽ",
        },
        {
            "requested_at": datetime(2026, 3, 23, 16, 59, 59, tzinfo=UTC),  # 23:59:59 in VN
            "received_at": None,
            "old_appointment_at": datetime(2026, 3, 20, 10, 0, tzinfo=UTC),
            "new_appointment_at": None,
            "reason": "Sai thông tin chủ hồ sơ",
        },
    ]


#: DanhSachHoSoBoSung of ``supplement_rounds()``: Vietnam time to the second, no received date.
PORTAL_ROUNDS = [
    {"NgayYeuCau": "20260305090000", "NgayHenTraCu": "20260316170000",
     "NgayHenTraMoi": "20260320170000", "LyDo": "Thiếu bản vẽ"},
    {"NgayYeuCau": "20260323235959", "NgayHenTraCu": "20260320170000", "NgayHenTraMoi": None,
     "LyDo": "Sai thông tin chủ hồ sơ"},
]  # fmt: skip


def progress_payload(status_code: int = 4, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "handler_name": "Trần Thị Bình",
        "handler_title": "Chuyên viên",
        "handled_at": RECEIVED,
        "department": "Phòng Quản lý xây dựng",
        "content": "Thẩm định hồ sơ",
        "status_code": status_code,
        "started_at": RECEIVED,
        "due_at": APPOINTED,
    }
    payload.update(overrides)
    return payload


def command(
    command_type: str,
    payload: Mapping[str, Any],
    *,
    dossier_id: str = "000.00.22.H01-260302-0001",
    key: str = "idem-0001",
) -> Command:
    name = {
        "NATIONAL_DOSSIER_SYNC": "NationalDossierSync",
        "NATIONAL_PROGRESS_UPDATE": "NationalProgressUpdate",
    }.get(command_type, "EmcTrackingRecord")
    return Command(
        command_id=f"cmd-{key}",
        command_type=command_type,
        dossier_id=dossier_id,
        idempotency_key=key,
        created_at=RECEIVED,
        correlation_id=dossier_id,
        causation_id=None,
        payload_name=name,
        payload=dict(payload),
    )


def sync(status_code: int = 2, *, key: str = "idem-0001", **kw: Any) -> Command:
    return command("NATIONAL_DOSSIER_SYNC", sync_payload(status_code, **kw), key=key)


def progress(status_code: int = 4, *, key: str = "idem-0002", **kw: Any) -> Command:
    return command("NATIONAL_PROGRESS_UPDATE", progress_payload(status_code, **kw), key=key)
