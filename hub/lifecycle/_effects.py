"""What each event type writes into a DossierState record, besides its status (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.dossier import DossierEvent

_ONLINE_PAYMENT = frozenset({"ONLINE_BANK", "NATIONAL_PAYMENT_PLATFORM"})

Effect = Callable[[dict[str, Any], DossierEvent, Mapping[str, Any], Mapping[str, Any] | None], None]


def new_state(dossier_id: str) -> dict[str, Any]:
    """An empty DossierState record (before its DOSSIER_SUBMITTED is applied)."""
    return {
        "dossier_id": dossier_id, "status": "UNKNOWN", "procedure_code": None,
        "procedure_name": None, "agency_code": None, "channel": "UNKNOWN", "level": "UNKNOWN",
        "applicant_name": None, "from_national_portal": False, "postal_intake": False,
        "postal_return": False, "submitted_at": None, "accepted_at": None, "resolved_at": None,
        "returned_at": None, "current_department": None, "current_handler": None, "fee_lines": [],
        "fees_requested_vnd": 0, "fees_paid_vnd": 0, "paid_online": False, "result_documents": [],
        "signed_documents": [], "return_channel": "UNKNOWN", "deadline": None, "history": [],
        "last_event_id": "", "version": 0, "updated_at": None,
    }  # fmt: skip


def _empty_deadline() -> dict[str, Any]:
    return {"appointment_at": None, "original_appointment_at": None, "apology_issued_at": None,
            "clock": "UNKNOWN", "paused_since": None, "working_minutes_left": None}  # fmt: skip


def _submitted(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
               proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    s["procedure_code"] = p["procedure_code"]
    s["procedure_name"] = (proc or {}).get("name") or p.get("procedure_name")
    s["agency_code"] = p["agency_code"]
    s["channel"] = p.get("channel", "UNKNOWN")
    s["applicant_name"] = p["applicant"]["full_name"]
    s["from_national_portal"] = bool(p.get("from_national_portal"))
    s["postal_intake"] = bool(p.get("postal_intake"))
    s["postal_return"] = bool(p.get("postal_return"))
    s["submitted_at"] = e.occurred_at
    s["current_department"] = (e.actor or {}).get("department")


def _accepted(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
              proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    s["accepted_at"] = e.occurred_at
    level = (proc or {}).get("level") or p.get("level") or "UNKNOWN"
    s["level"] = level
    if p.get("appointment_at") is not None:
        s["deadline"] = {**(s["deadline"] or _empty_deadline()),
                         "appointment_at": p["appointment_at"],
                         "original_appointment_at": p["appointment_at"]}  # fmt: skip


def _step(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
          proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    department = p.get("to_department") or (e.actor or {}).get("department")
    if department:
        s["current_department"] = department


def _fee_requested(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
                   proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    s["fee_lines"] = [*s["fee_lines"], *(dict(line) for line in p["fee_lines"])]
    s["fees_requested_vnd"] = int(s["fees_requested_vnd"]) + int(p["total_vnd"])


def _fee_paid(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
              proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    s["fees_paid_vnd"] = int(s["fees_paid_vnd"]) + int(p["amount_vnd"])
    s["paid_online"] = bool(s["paid_online"]) or p.get("method") in _ONLINE_PAYMENT


def _result_ready(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
                  proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    s["resolved_at"] = e.occurred_at
    s["result_documents"] = [dict(doc) for doc in p["documents"]]
    s["return_channel"] = p.get("return_channel", "UNKNOWN")


def _result_signed(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
                   proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    s["signed_documents"] = [*s["signed_documents"], dict(p)]


def _result_returned(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
                     proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    s["returned_at"] = e.occurred_at
    s["return_channel"] = p.get("return_channel", "UNKNOWN")


def _apology(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
             proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    deadline = {**(s["deadline"] or _empty_deadline())}
    if deadline["original_appointment_at"] is None:
        deadline["original_appointment_at"] = deadline["appointment_at"]
    deadline["appointment_at"] = p["new_appointment_at"]
    deadline["apology_issued_at"] = e.occurred_at
    s["deadline"] = deadline


def _postal_order(s: dict[str, Any], e: DossierEvent, p: Mapping[str, Any],
                  proc: Mapping[str, Any] | None) -> None:  # fmt: skip
    if p.get("direction") == "INTAKE_PICKUP":
        s["postal_intake"] = True
    elif p.get("direction") == "RESULT_DELIVERY":
        s["postal_return"] = True


_EFFECTS: dict[str, Effect] = {
    "DOSSIER_SUBMITTED": _submitted,
    "DOSSIER_ACCEPTED": _accepted,
    "PROCESSING_STEP_RECORDED": _step,
    "FEE_REQUESTED": _fee_requested,
    "FEE_PAID": _fee_paid,
    "RESULT_READY": _result_ready,
    "RESULT_SIGNED": _result_signed,
    "RESULT_RETURNED": _result_returned,
    "APOLOGY_ISSUED": _apology,
    "POSTAL_ORDER_CREATED": _postal_order,
}


def apply_effects(
    state: Mapping[str, Any] | None,
    event: DossierEvent,
    procedure: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A shallow copy of ``state`` (or a new one) with ``event``'s fields written in."""
    new = dict(state) if state is not None else new_state(event.dossier_id)
    effect = _EFFECTS.get(event.event_type)
    if effect is not None:
        effect(new, event, event.payload, procedure)
    return new


def _note(event_type: str, p: Mapping[str, Any]) -> str | None:
    """What the history says about the event; never personal data (no applicant fields)."""
    if event_type in {"DOSSIER_REFUSED", "SUPPLEMENT_REQUESTED", "PROCESSING_STOPPED",
                      "DOSSIER_WITHDRAWN", "APOLOGY_ISSUED", "NATIONAL_SYNC_FAILED"}:  # fmt: skip
        return p.get("reason")
    if event_type == "PROCESSING_STEP_RECORDED":
        parts = [p.get("kind"), p.get("content"), p.get("to_department"), p.get("to_agency_code")]
        return " | ".join(str(x) for x in parts if x)
    if event_type in {"RESULT_SIGNING_FAILED", "PAYMENT_FAILED"}:
        return f"{p['reason_code']}: {p['reason']}"
    if event_type == "FEE_REQUESTED":
        return f"{p['total_vnd']} VND"
    if event_type == "FEE_PAID":
        return f"{p['amount_vnd']} VND {p.get('method', 'UNKNOWN')} ref {p['payment_reference']}"
    if event_type == "PAYMENT_REQUEST_CREATED":
        return f"{p['amount_vnd']} VND ref {p['payment_reference']}"
    if event_type == "PAYMENT_REFUNDED":
        return f"{p['amount_vnd']} VND refunded, ref {p['payment_reference']}"
    if event_type == "RESULT_SIGNED":
        return f"{p['document_id']} {p.get('signature_level', 'UNKNOWN')}"
    if event_type == "POSTAL_ORDER_CREATED":
        return f"{p.get('direction', 'UNKNOWN')} waybill {p['waybill_number']}"
    if event_type == "POSTAL_STATUS_CHANGED":
        where = f" at {p['location']}" if p.get("location") else ""
        return f"{p.get('direction', 'UNKNOWN')} {p['waybill_number']} {p.get('status')}{where}"
    if event_type == "NATIONAL_SYNC_COMPLETED":
        return f"{p.get('service', 'UNKNOWN')} -> {p.get('status_synced', 'UNKNOWN')}"
    if event_type == "RESULT_READY":
        return p.get("decision_number")
    if event_type == "RESULT_RETURNED":
        return str(p.get("return_channel", "UNKNOWN"))
    return None


def history_entry(event: DossierEvent, before: str | None, after: str) -> dict[str, Any]:
    """The Transition record of an applied event."""
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "from_status": before or "UNKNOWN",
        "to_status": after,
        "occurred_at": event.occurred_at,
        "actor": dict(event.actor) if event.actor is not None else None,
        "note": _note(event.event_type, event.payload),
    }
