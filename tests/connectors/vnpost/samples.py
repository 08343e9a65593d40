"""Sample postal orders and commands (fictitious people)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from connectors.outbox import Command
from connectors.vnpost import OrderRequest

AGENCY = {
    "name": "Bộ phận Một cửa UBND quận 1",
    "address": {
        "line": "45-47 Lê Duẩn",
        "ward": "Bến Nghé",
        "district": "Quận 1",
        "province": "TP Hồ Chí Minh",
    },
    "phone": "02838293600",
    "email": "motcua@q1.example.vn",
}
CITIZEN = {
    "name": "Nguyễn Thị Lan",
    "address": {
        "line": "12 Nguyễn Huệ",
        "ward": None,
        "district": "Quận 1",
        "province": "TP Hồ Chí Minh",
    },
    "phone": "0912345678",
    "email": None,
}


def dossier_number() -> str:
    return f"000.00.01.H29-260302-{uuid.uuid4().int % 10_000:04d}{uuid.uuid4().hex[:4]}"


def order_payload(direction: str = "RESULT_DELIVERY", **overrides: Any) -> dict[str, Any]:
    pickup = direction == "INTAKE_PICKUP"
    payload: dict[str, Any] = {
        "direction": direction,
        "order_number": dossier_number(),
        "sender": CITIZEN if pickup else AGENCY,
        "receiver": AGENCY if pickup else CITIZEN,
        "cod_amount_vnd": 0 if pickup else 50_000,
        "note": "Gọi trước khi giao",
    }
    payload.update(overrides)
    return payload


def order(direction: str = "RESULT_DELIVERY", **overrides: Any) -> OrderRequest:
    return OrderRequest.of_payload(order_payload(direction, **overrides))


def command(command_type: str, payload_name: str, payload: dict[str, Any]) -> Command:
    return Command(
        command_id=str(uuid.uuid4()),
        command_type=command_type,
        dossier_id=str(payload["order_number"]),
        idempotency_key=f"key-{uuid.uuid4().hex}",
        created_at=datetime.now(UTC),
        correlation_id=str(payload["order_number"]),
        causation_id=None,
        payload_name=payload_name,
        payload=payload,
    )
