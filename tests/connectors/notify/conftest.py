"""The gateways' simulator, clients pointed at it, and CitizenNotification commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.notify import NotifyClient, NotifyConfig, NotifySimulator
from connectors.outbox import Command

DOSSIER = "000.00.22.H01-260302-00009"
NAME = "Trần Thị Mai"
PHONE = "0912 345 678"  # as the portal may give it: 84912345678 to the gateways
NO_ZALO_PHONE = "0909990001"  # NOT_ON_ZALO: ZNS refuses it (-118)
EMAIL = "mai.tran@example.vn"
#: What no log line may hold.
PERSONAL = (NAME, "912345678", "909990001", EMAIL)


def payload(step: str = "RECEIVED", channels: tuple[str, ...] = ("ZNS", "SMS"), *,
            phone: str | None = PHONE, email: str | None = EMAIL) -> dict[str, Any]:  # fmt: skip
    at = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
    return {
        "step": step, "procedure_name": "Cấp giấy phép xây dựng", "agency_name": "Sở Xây dựng",
        "contact": {"name": NAME, "phone": phone, "email": email, "channels": list(channels)},
        "data": {"appointment_at": at, "missing_items": ["Bản vẽ"], "reason": "Thiếu bản vẽ",
                 "respond_by_at": at, "amount_vnd": 500_000,
                 "payment_url": "https://pay.example.vn/p/9", "return_channel": "DESK",
                 "waybill_number": None, "new_appointment_at": at},
    }  # fmt: skip


def command(body: dict[str, Any] | None = None, key: str | None = None) -> Command:
    key = key or f"{DOSSIER}:notify:{uuid.uuid4().hex}"
    return Command(
        command_id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        command_type="CITIZEN_NOTIFICATION", dossier_id=DOSSIER, idempotency_key=key,
        created_at=datetime.now(UTC), correlation_id=DOSSIER, causation_id=None,
        payload_name="CitizenNotification", payload=body or payload(),
    )  # fmt: skip


def config_for(sim: NotifySimulator, **overrides: Any) -> NotifyConfig:
    values: dict[str, Any] = {
        "sms_url": sim.base_url, "zns_url": sim.base_url, "smtp_host": sim.smtp.host,
        "smtp_port": sim.smtp_port, "timeout_s": 2.0, "rate_wait_s": 0.0,
        "sms_rate_per_s": 1000.0, "zns_rate_per_s": 1000.0, "email_rate_per_s": 1000.0,
        "rate_burst": 1000, **overrides,
    }  # fmt: skip
    return NotifyConfig(**values)


@pytest.fixture
def sim() -> Iterator[NotifySimulator]:
    with NotifySimulator() as simulator:
        yield simulator


@pytest.fixture
def client(sim: NotifySimulator) -> Iterator[NotifyClient]:
    notify = NotifyClient(config_for(sim))
    yield notify
    notify.close()
