"""Citizen notifications: which dossier events tell the applicant something, and what.

Pure, like the other rules. Only with the applicant's consent (``notify_consent`` of the
submission) and a contact for at least one channel; otherwise nothing is commanded. The steps::

    DOSSIER_ACCEPTED          RECEIVED              the appointment date
    SUPPLEMENT_REQUESTED      SUPPLEMENT_REQUESTED  what is missing, why, by when (per round)
    PAYMENT_REQUEST_CREATED   FEE_REQUESTED         amount and payment link (per payment)
    RESULT_READY              RESULT_READY          pickup at the desk, postal delivery, online
    APOLOGY_ISSUED            APOLOGY               the reason and the new date
    RESULT_RETURNED           RESULT_RETURNED       how, with the waybill of a postal return

The fee message waits for the payment provider's link (PaymentRequestCreated, which the bank
outbox produces for every FeeRequested with an amount), because a fee message without the link
would make the applicant come to the desk.

One message per (dossier, step): the command is named by ``notification_key`` (the dossier, the
step, and the round or payment it is about) rather than by its causing event, so an event the
source sent twice under two ids still gives one message at the gateway.

Channels: the applicant's order (``notify_channels``), else ``DEFAULT_CHANNELS``; only those
with a contact (ZNS and SMS need a phone, EMAIL an address); SMS right after ZNS when ZNS is
asked for without SMS, since a ZNS refusal (no Zalo account) falls back to SMS on the same
number (the client does the fallback, ``connectors.notify``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hub.dossier import DossierEvent
from hub.records import (
    ApologyIssued,
    CitizenNotification,
    NotificationData,
    NotificationStep,
    NotifyChannel,
    PaymentRequestCreated,
    ResultReturned,
    RoutingState,
    SupplementRequested,
)

#: A notification command and the key naming it (``notification_key``).
Keyed = tuple[str, CitizenNotification]
#: The order used when the applicant stated none.
DEFAULT_CHANNELS: Final[tuple[NotifyChannel, ...]] = ("ZNS", "SMS", "EMAIL")
#: The event type that triggers each step.
STEPS: Final[Mapping[str, NotificationStep]] = {
    "DOSSIER_ACCEPTED": "RECEIVED",
    "SUPPLEMENT_REQUESTED": "SUPPLEMENT_REQUESTED",
    "PAYMENT_REQUEST_CREATED": "FEE_REQUESTED",
    "RESULT_READY": "RESULT_READY",
    "APOLOGY_ISSUED": "APOLOGY",
    "RESULT_RETURNED": "RESULT_RETURNED",
}


def notification_key(state: RoutingState, event: DossierEvent, step: NotificationStep) -> str:
    """What names the message: the dossier and the step, plus the supplement round or the
    payment reference for steps that may come more than once."""
    key = f"{state['dossier_id']}:notify:{step.lower()}"
    if step == "SUPPLEMENT_REQUESTED":
        return f"{key}:{len(state['supplements'])}"
    if step == "FEE_REQUESTED":
        return f"{key}:{event.payload_as(PaymentRequestCreated)['payment_reference']}"
    return key


def channels(state: RoutingState) -> list[NotifyChannel]:
    """The channels to try, in order, each with a contact (see the module's doc)."""
    phone, email = bool(state["applicant_phone"]), bool(state["applicant_email"])
    wanted = list(state["notify_channels"]) or list(DEFAULT_CHANNELS)
    if "ZNS" in wanted and "SMS" not in wanted:
        wanted.insert(wanted.index("ZNS") + 1, "SMS")
    reachable = {"ZNS": phone, "SMS": phone, "EMAIL": email}
    ordered: list[NotifyChannel] = []
    for channel in wanted:
        if reachable.get(channel, False) and channel not in ordered:
            ordered.append(channel)
    return ordered


def notification(state: RoutingState, event: DossierEvent) -> Keyed | None:
    """(its key, the command) for ``event`` applied to ``state`` (after it), or None: not a
    step, no consent, or no channel with a contact."""
    step = STEPS.get(event.event_type)
    if step is None or not state["notify_consent"]:
        return None
    order = channels(state)
    if not order:
        return None
    command: CitizenNotification = {
        "step": step, "procedure_name": state["procedure_name"],
        "agency_name": state["agency_name"],
        "contact": {"name": state["applicant_name"], "phone": state["applicant_phone"],
                    "email": state["applicant_email"], "channels": order},
        "data": _data(state, event, step),
    }  # fmt: skip
    return notification_key(state, event, step), command


def _data(state: RoutingState, event: DossierEvent, step: NotificationStep) -> NotificationData:
    data: NotificationData = {
        "appointment_at": None, "missing_items": [], "reason": None, "respond_by_at": None,
        "amount_vnd": None, "payment_url": None, "return_channel": "UNKNOWN",
        "waybill_number": None, "new_appointment_at": None,
    }  # fmt: skip
    if step == "RECEIVED":
        data["appointment_at"] = state["appointment_at"]
    elif step == "SUPPLEMENT_REQUESTED":
        p = event.payload_as(SupplementRequested)
        data["missing_items"] = list(p.get("requested_documents", []))
        data["reason"] = p["reason"]
        data["respond_by_at"] = p.get("respond_by")
    elif step == "FEE_REQUESTED":
        payment = event.payload_as(PaymentRequestCreated)
        data["amount_vnd"] = int(payment["amount_vnd"])
        data["payment_url"] = payment["payment_url"]
    elif step == "RESULT_READY":
        channel = state["return_channel"]
        if channel == "UNKNOWN" and state["postal_return"]:
            channel = "POSTAL"
        data["return_channel"] = channel
    elif step == "APOLOGY":
        apology = event.payload_as(ApologyIssued)
        data["reason"] = apology["reason"]
        data["new_appointment_at"] = apology["new_appointment_at"]
    else:  # RESULT_RETURNED
        returned = event.payload_as(ResultReturned)
        data["return_channel"] = state["return_channel"]
        data["waybill_number"] = returned.get("waybill_number")
    return data
