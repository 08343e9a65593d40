"""PartnerCommand records of routed events, pure and deterministic.

A command is named by its causing event and its kind: ``command_id`` is
``uuid5(COMMAND_NAMESPACE, f"{event_id}:{kind}")``, ``idempotency_key`` is ``f"{event_id}:{kind}"``,
``causation_id`` the event id, ``correlation_id`` the event's, ``created_at`` the event's
``recorded_at`` (when the hub recorded the fact that caused it). A redelivered event therefore
gives byte-identical commands, and a partner that dedupes on the key applies each once. A
command with a ``key`` of its own (a citizen notification: one per dossier and step) is named
by it instead: ``uuid5(COMMAND_NAMESPACE, key)`` and ``key``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hub.dossier import STATUS_CODES, DossierEvent
from hub.records import (
    CommandType,
    FeeLine,
    NationalDossierSync,
    NationalProgressUpdate,
    PartnerCommandPayloadRecord,
    Party,
    PostalCancel,
    PostalDirection,
    PostalOrder,
    ProcessingStepRecorded,
    RoutingState,
)

#: Namespace of routing command ids (uuid5 of the causing event id and the command kind).
COMMAND_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dvchub:routing:command")
_PAYLOAD_NAMESPACE: Final = "vn.dvchub.command"

#: kind -> (CommandType symbol, payload record name)
KINDS: Final[Mapping[str, tuple[CommandType, str]]] = {
    "postal-pickup": ("POSTAL_ORDER", "PostalOrder"),
    "postal-delivery": ("POSTAL_ORDER", "PostalOrder"),
    "postal-cancel-pickup": ("POSTAL_CANCEL", "PostalCancel"),
    # acceptance anywhere (``_transfers``): the paper dossier desk -> agency, the result back
    "postal-forward": ("POSTAL_ORDER", "PostalOrder"),
    "postal-cancel-forward": ("POSTAL_CANCEL", "PostalCancel"),
    "postal-result-forward": ("POSTAL_ORDER", "PostalOrder"),
    "national-sync": ("NATIONAL_DOSSIER_SYNC", "NationalDossierSync"),
    "national-progress": ("NATIONAL_PROGRESS_UPDATE", "NationalProgressUpdate"),
    "emc": ("EMC_TRACKING_RECORD", "EmcTrackingRecord"),
    "notify": ("CITIZEN_NOTIFICATION", "CitizenNotification"),
}

#: NoiDungXuLy of a status change whose event carries no content of its own.
_CONTENT: Final[Mapping[str, str]] = {
    "DOSSIER_SUBMITTED": "Đăng ký hồ sơ",
    "DOSSIER_ACCEPTED": "Tiếp nhận hồ sơ",
    "DOSSIER_REFUSED": "Không tiếp nhận hồ sơ",
    "PROCESSING_STEP_RECORDED": "Xử lý hồ sơ",
    "SUPPLEMENT_REQUESTED": "Yêu cầu bổ sung hồ sơ",
    "SUPPLEMENT_RECEIVED": "Tiếp nhận hồ sơ bổ sung",
    "FEE_REQUESTED": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "FEE_PAID": "Đã thực hiện nghĩa vụ tài chính",
    "DOSSIER_WITHDRAWN": "Công dân rút hồ sơ",
    "PROCESSING_STOPPED": "Dừng xử lý hồ sơ",
    "RESULT_READY": "Đã xử lý xong",
    "RESULT_RETURNED": "Đã trả kết quả",
    "DOSSIER_FORWARDED": "Chuyển hồ sơ đến cơ quan có thẩm quyền giải quyết",
    "DOSSIER_RECEIVED_BY_AGENCY": "Cơ quan có thẩm quyền nhận hồ sơ",
    "AGENCY_TRANSFERRED": "Chuyển cơ quan có thẩm quyền giải quyết",
    "RESULT_FORWARDED": "Chuyển kết quả về bộ phận Một cửa",
    "RESULT_RECEIVED_BY_DESK": "Bộ phận Một cửa nhận kết quả",
}
_REASONED: Final = frozenset({"DOSSIER_REFUSED", "SUPPLEMENT_REQUESTED", "PROCESSING_STOPPED",
                              "DOSSIER_WITHDRAWN", "AGENCY_TRANSFERRED"})  # fmt: skip


@dataclass(frozen=True)
class Command:
    """One command to emit: its kind and payload (the envelope comes from the event)."""

    kind: str
    payload: PartnerCommandPayloadRecord
    #: Names the command instead of ``f"{event_id}:{kind}"`` when what it does must happen
    #: once per business fact, whichever event caused it (a citizen notification per step).
    key: str | None = None


def command_id(event_id: str, kind: str) -> str:
    return str(uuid.uuid5(COMMAND_NAMESPACE, f"{event_id}:{kind}"))


def idempotency_key(event_id: str, kind: str) -> str:
    return f"{event_id}:{kind}"


def envelope(event: DossierEvent, command: Command) -> Mapping[str, object]:
    """The PartnerCommand record of ``command``, caused by ``event``, to encode (its payload
    union branch named by ``KINDS``, not a Literal mypy could check against the record)."""
    event_id = event.event_id
    command_type, payload_name = KINDS[command.kind]
    key = command.key or idempotency_key(event_id, command.kind)
    return {
        "command_id": str(uuid.uuid5(COMMAND_NAMESPACE, key)), "command_type": command_type,
        "dossier_id": event.dossier_id,
        "idempotency_key": key,
        "created_at": event.recorded_at, "correlation_id": event.correlation_id,
        "causation_id": event_id,
        "payload": (f"{_PAYLOAD_NAMESPACE}.{payload_name}", command.payload.copy()),
    }  # fmt: skip


def applicant_party(state: RoutingState) -> Party | None:
    """The applicant as a postal party, or None without an address and a phone."""
    address, phone = state["applicant_address"], state["applicant_phone"]
    if address is None or not phone:
        return None
    return {"name": state["applicant_name"], "address": address.copy(), "phone": phone,
            "email": state["applicant_email"]}  # fmt: skip


#: What a postal order's note says it carries (VNPost prints it on the waybill).
_NOTES: Final[Mapping[str, str]] = {
    "INTAKE_PICKUP": "Thu hồ sơ TTHC",
    "DESK_TO_AGENCY": "Chuyển hồ sơ TTHC từ Bộ phận Một cửa",
    "AGENCY_TO_AGENCY": "Chuyển hồ sơ TTHC sang cơ quan có thẩm quyền",
    "AGENCY_TO_DESK": "Chuyển kết quả TTHC về Bộ phận Một cửa",
}


def postal_order(
    state: RoutingState,
    direction: PostalDirection,
    sender: Party,
    receiver: Party,
    cod_amount_vnd: int = 0,
) -> PostalOrder:
    note = _NOTES.get(direction, "Phát kết quả TTHC")
    return {"direction": direction, "order_number": state["dossier_id"], "sender": sender.copy(),
            "receiver": receiver.copy(), "cod_amount_vnd": cod_amount_vnd,
            "note": f"{note} {state['procedure_code']}"}  # fmt: skip


def postal_cancel(
    state: RoutingState, reason: str, direction: PostalDirection = "INTAKE_PICKUP"
) -> PostalCancel:
    return {"direction": direction, "order_number": state["dossier_id"], "reason": reason}


def fee_lines(state: RoutingState) -> list[FeeLine]:
    """The dossier's fees: those requested, else the catalogue's fees paid at the return."""
    lines = state["fee_lines"] or state["return_fee_lines"]
    return [line.copy() for line in lines]


def fees_due(state: RoutingState) -> int:
    """Fees still to collect: requested (or due at the return) minus paid, never below 0."""
    requested = int(state["fees_requested_vnd"])
    if requested == 0:
        requested = sum(int(line["amount_vnd"]) for line in state["return_fee_lines"])
    return max(0, requested - int(state["fees_paid_vnd"]))


def national_sync(state: RoutingState) -> NationalDossierSync:
    """DongBoHoSoMC of ``state`` (after the event)."""
    return {
        "procedure_code": state["procedure_code"], "procedure_name": state["procedure_name"],
        "agency_code": state["agency_code"], "receiving_unit": state["receiving_desk"],
        "applicant_name": state["applicant_name"],
        "received_at": state["accepted_at"] or state["submitted_at"],
        "appointment_at": state["appointment_at"], "returned_at": state["returned_at"],
        "status_code": STATUS_CODES[state["status"]],
        "postal": bool(state["postal_intake"] or state["postal_return"]),
        "fee_lines": fee_lines(state),
        "supplements": [r.copy() for r in state["supplements"]],
        "result_documents": [doc.copy() for doc in state["result_documents"]],
    }  # fmt: skip


def has_handler(event: DossierEvent) -> bool:
    actor = event.actor
    return actor is not None and bool(actor.get("official_name") or actor.get("official_id"))


def progress_update(state: RoutingState, event: DossierEvent) -> NationalProgressUpdate:
    """CapNhatTienDoHoSoMC of ``event`` applied to ``state`` (after it)."""
    event_type = event.event_type
    step: ProcessingStepRecorded = (
        event.payload_as(ProcessingStepRecorded) if event_type == "PROCESSING_STEP_RECORDED" else {}
    )
    content = step.get("content")
    if not content:
        content = _CONTENT.get(event_type)
        reason = event.payload.get("reason")
        if event_type in _REASONED and reason:
            content = f"{content}: {reason}"
    actor = event.actor
    department = (actor.get("department") if actor else None) or step.get("to_department")
    return {
        "handler_name": actor.get("official_name") if actor else None,
        "handler_title": actor.get("title") if actor else None,
        "handled_at": event.occurred_at, "department": department, "content": content,
        "status_code": STATUS_CODES[state["status"]], "started_at": event.occurred_at,
        "due_at": step.get("step_due_at") or state["appointment_at"],
    }  # fmt: skip
