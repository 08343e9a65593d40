"""What each event type writes into a DossierState record, besides its status (pure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.dossier import CatalogEntry, DossierEvent
from hub.records import (
    AgencyTransferred,
    ApologyIssued,
    Deadline,
    DossierAccepted,
    DossierState,
    DossierStatus,
    DossierSubmitted,
    FeePaid,
    FeeRequested,
    NationalSyncCompleted,
    PaymentRefunded,
    PaymentRequestCreated,
    PostalOrderCreated,
    PostalStatusChanged,
    ProcessingStepRecorded,
    ResultReady,
    ResultReturned,
    ResultSigned,
    Transition,
)

_ONLINE_PAYMENT = frozenset({"ONLINE_BANK", "NATIONAL_PAYMENT_PLATFORM"})

Effect = Callable[[DossierState, DossierEvent, CatalogEntry | None], None]


def new_state(dossier_id: str, at: datetime) -> DossierState:
    """An empty DossierState record (before its DOSSIER_SUBMITTED is applied at ``at``)."""
    return {
        "dossier_id": dossier_id, "status": "UNKNOWN", "procedure_code": None,
        "procedure_name": None, "agency_code": None, "receiving_desk": None, "channel": "UNKNOWN",
        "level": "UNKNOWN",
        "applicant_name": None, "from_national_portal": False, "postal_intake": False,
        "postal_return": False, "submitted_at": None, "accepted_at": None, "resolved_at": None,
        "returned_at": None, "current_department": None, "current_handler": None, "fee_lines": [],
        "fees_requested_vnd": 0, "fees_paid_vnd": 0, "paid_online": False, "result_documents": [],
        "signed_documents": [], "return_channel": "UNKNOWN", "deadline": None, "history": [],
        "last_event_id": "", "version": 0, "updated_at": at,
    }  # fmt: skip


def _empty_deadline() -> Deadline:
    return {"appointment_at": None, "original_appointment_at": None, "apology_issued_at": None,
            "clock": "UNKNOWN", "paused_since": None, "working_minutes_left": None}  # fmt: skip


def _submitted(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(DossierSubmitted)
    s["procedure_code"] = p["procedure_code"]
    s["procedure_name"] = (proc["name"] if proc is not None else None) or p.get("procedure_name")
    s["agency_code"] = p["agency_code"]
    s["receiving_desk"] = p.get("receiving_desk")
    s["channel"] = p.get("channel", "UNKNOWN")
    s["applicant_name"] = p["applicant"]["full_name"]
    s["from_national_portal"] = bool(p.get("from_national_portal"))
    s["postal_intake"] = bool(p.get("postal_intake"))
    s["postal_return"] = bool(p.get("postal_return"))
    s["submitted_at"] = e.occurred_at
    s["current_department"] = e.actor.get("department") if e.actor is not None else None


def _accepted(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(DossierAccepted)
    s["accepted_at"] = e.occurred_at
    s["level"] = (proc.get("level") if proc is not None else None) or p.get("level") or "UNKNOWN"
    appointment = p.get("appointment_at")
    if appointment is not None:
        deadline = (s["deadline"] or _empty_deadline()).copy()
        deadline["appointment_at"] = deadline["original_appointment_at"] = appointment
        s["deadline"] = deadline


def _step(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ProcessingStepRecorded)
    department = p.get("to_department") or (e.actor.get("department") if e.actor else None)
    if department:
        s["current_department"] = department


def _fee_requested(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(FeeRequested)
    s["fee_lines"] = [*s["fee_lines"], *(line.copy() for line in p["fee_lines"])]
    s["fees_requested_vnd"] = int(s["fees_requested_vnd"]) + int(p["total_vnd"])


def _fee_paid(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(FeePaid)
    s["fees_paid_vnd"] = int(s["fees_paid_vnd"]) + int(p["amount_vnd"])
    s["paid_online"] = bool(s["paid_online"]) or p.get("method") in _ONLINE_PAYMENT


def _result_ready(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ResultReady)
    s["resolved_at"] = e.occurred_at
    s["result_documents"] = [doc.copy() for doc in p["documents"]]
    s["return_channel"] = p.get("return_channel", "UNKNOWN")


def _result_signed(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ResultSigned)
    s["signed_documents"] = [*s["signed_documents"], p.copy()]


def _result_returned(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ResultReturned)
    s["returned_at"] = e.occurred_at
    s["return_channel"] = p.get("return_channel", "UNKNOWN")


def _apology(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ApologyIssued)
    deadline = (s["deadline"] or _empty_deadline()).copy()
    if deadline["original_appointment_at"] is None:
        deadline["original_appointment_at"] = deadline["appointment_at"]
    deadline["appointment_at"] = p["new_appointment_at"]
    deadline["apology_issued_at"] = e.occurred_at
    s["deadline"] = deadline


def _agency_transferred(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    s["agency_code"] = e.payload_as(AgencyTransferred)["to_agency_code"]


def _postal_order(s: DossierState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(PostalOrderCreated)
    if s.get("receiving_desk") is not None:
        # the orders of a dossier filed at a desk carry it between the desk and the agency
        # (hub.routing); the applicant's own postal legs were said at submission
        return
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
    "AGENCY_TRANSFERRED": _agency_transferred,
}


def apply_effects(
    state: DossierState | None, event: DossierEvent, procedure: CatalogEntry | None
) -> DossierState:
    """A shallow copy of ``state`` (or a new one) with ``event``'s fields written in."""
    new = state.copy() if state is not None else new_state(event.dossier_id, event.occurred_at)
    effect = _EFFECTS.get(event.event_type)
    if effect is not None:
        effect(new, event, procedure)
    return new


_REASONED = frozenset({"DOSSIER_REFUSED", "SUPPLEMENT_REQUESTED", "PROCESSING_STOPPED",
                       "DOSSIER_WITHDRAWN", "APOLOGY_ISSUED", "NATIONAL_SYNC_FAILED",
                       "EXPLANATION_RECORDED", "AGENCY_TRANSFERRED"})  # fmt: skip


def _note(e: DossierEvent) -> str | None:
    """What the history says about the event; never personal data (no applicant fields)."""
    kind = e.event_type
    if kind in _REASONED:
        reason = e.payload.get("reason")
        return reason if isinstance(reason, str) else None
    if kind == "PROCESSING_STEP_RECORDED":
        step = e.payload_as(ProcessingStepRecorded)
        parts = [step.get("kind"), step.get("content"), step.get("to_department"),
                 step.get("to_agency_code")]  # fmt: skip
        return " | ".join(str(x) for x in parts if x)
    if kind in {"RESULT_SIGNING_FAILED", "PAYMENT_FAILED"}:
        return f"{e.payload.get('reason_code')}: {e.payload.get('reason')}"
    if kind == "FEE_REQUESTED":
        return f"{e.payload_as(FeeRequested)['total_vnd']} VND"
    return _payment_note(e) or _partner_note(e)


def _payment_note(e: DossierEvent) -> str | None:
    if e.event_type == "FEE_PAID":
        fee = e.payload_as(FeePaid)
        method = fee.get("method", "UNKNOWN")
        return f"{fee['amount_vnd']} VND {method} ref {fee['payment_reference']}"
    if e.event_type == "PAYMENT_REQUEST_CREATED":
        request = e.payload_as(PaymentRequestCreated)
        return f"{request['amount_vnd']} VND ref {request['payment_reference']}"
    if e.event_type == "PAYMENT_REFUNDED":
        refund = e.payload_as(PaymentRefunded)
        return f"{refund['amount_vnd']} VND refunded, ref {refund['payment_reference']}"
    return None


def _partner_note(e: DossierEvent) -> str | None:
    kind = e.event_type
    if kind == "RESULT_SIGNED":
        signed = e.payload_as(ResultSigned)
        return f"{signed['document_id']} {signed.get('signature_level', 'UNKNOWN')}"
    if kind == "POSTAL_ORDER_CREATED":
        order = e.payload_as(PostalOrderCreated)
        return f"{order.get('direction', 'UNKNOWN')} waybill {order['waybill_number']}"
    if kind == "POSTAL_STATUS_CHANGED":
        p = e.payload_as(PostalStatusChanged)
        where = f" at {p['location']}" if p.get("location") else ""
        return f"{p.get('direction', 'UNKNOWN')} {p['waybill_number']} {p.get('status')}{where}"
    if kind == "NATIONAL_SYNC_COMPLETED":
        sync = e.payload_as(NationalSyncCompleted)
        return f"{sync.get('service', 'UNKNOWN')} -> {sync.get('status_synced', 'UNKNOWN')}"
    if kind == "RESULT_READY":
        return e.payload_as(ResultReady).get("decision_number")
    if kind == "RESULT_RETURNED":
        return str(e.payload_as(ResultReturned).get("return_channel", "UNKNOWN"))
    return None


def history_entry(
    event: DossierEvent, before: DossierStatus | None, after: DossierStatus
) -> Transition:
    """The Transition record of an applied event."""
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "from_status": before or "UNKNOWN",
        "to_status": after,
        "occurred_at": event.occurred_at,
        "actor": event.actor.copy() if event.actor is not None else None,
        "note": _note(event),
    }
