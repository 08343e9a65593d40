"""The routing rules: one dossier event on a RoutingState -> the new state and its commands.

Pure: no Kafka, no clock, no I/O. The status follows the lifecycle's machine
(``hub.dossier.StatusView``), so an event the lifecycle refuses is refused here too, with the
same reason code. Which commands an event causes (in this order):

* postal: DossierSubmitted with ``postal_intake`` -> a pickup (PostalOrder INTAKE_PICKUP, the
  applicant sends to the agency); refusal, withdrawal or stop while that pickup is still open
  (not collected, cancelled or returned by VNPost) -> PostalCancel; the result returned by post
  (ResultReady's return channel POSTAL, or UNKNOWN and ``postal_return`` asked at submission) ->
  a delivery (PostalOrder RESULT_DELIVERY, the agency sends to the applicant, cash on delivery =
  the fees still due) once every result document is signed (at ResultReady for a result with no
  electronic document); at most one of each per dossier;
* national portal: DongBoHoSoMC on every status change (and when an apology moves the
  appointment date); CapNhatTienDoHoSoMC on every processing step and on every other status
  change that names a handler (an actor with an official);
* EMC: one tracking record per status change and processing step (codes in ``_emc``);
* the applicant: a CitizenNotification per step they are told about, with their consent
  (``_notify``; the fee step on PaymentRequestCreated, which carries the payment link).

Supplement rounds (DongBoHoSoMC's DanhSachHoSoBoSung, ``supplements`` of the state and of every
NationalDossierSync, oldest first): SupplementRequested opens a round (``requested_at`` = the
event's ``occurred_at``, ``old_appointment_at`` = the appointment the state had then, the
event's ``reason``), SupplementReceived closes the open one (``received_at``). An ApologyIssued
applied after a round was opened gives the latest round its ``new_appointment_at`` if it has none
yet. Otherwise ``new_appointment_at`` stays null: the appointment a supplement shifts is
computed by the SLA engine (``hub.sla``, from the working days left and the supplement policy),
which routing does not read, and no event carries it. For the same reason ``old_appointment_at``
is the last appointment routing knows (acceptance's, else an apology's), not one an earlier round
shifted. A SupplementReceived without an open round (a state written before rounds were kept)
closes nothing.

A postal order needs the applicant's address and phone; without them it is not commanded and
the outcome says so (``postal_unaddressed``), the other commands still flow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from hub.dossier import CatalogEntry, DeskDirectory, DossierEvent, StatusView
from hub.events import event_digest
from hub.records import (
    ApologyIssued,
    DossierAccepted,
    DossierSubmitted,
    FeePaid,
    FeeRequested,
    PostalStatusChanged,
    ResultReady,
    ResultReturned,
    ResultSigned,
    RoutingState,
    SupplementRequested,
    SupplementRound,
)
from hub.routing._agencies import AgencyDirectory
from hub.routing._commands import (
    Command,
    applicant_party,
    fees_due,
    has_handler,
    national_sync,
    postal_cancel,
    postal_order,
    progress_update,
)
from hub.routing._emc import tracking_record
from hub.routing._notify import notification
from hub.routing._transfers import NO_ORDERS, TRANSFER_EVENTS, Orders, TransferPostal

#: Events routing records nothing of (partner feedback, payments: another processor's).
NOT_ROUTED: Final = frozenset({
    "POSTAL_ORDER_CREATED", "PAYMENT_FAILED", "PAYMENT_REFUNDED",
    "NATIONAL_SYNC_COMPLETED", "NATIONAL_SYNC_FAILED", "RESULT_SIGNING_FAILED",
})  # fmt: skip
#: A pickup VNPost reports in one of these statuses can no longer be cancelled.
_PICKUP_CLOSED: Final = frozenset({"COLLECTED", "IN_TRANSIT", "DELIVERED", "CANCELLED",
                                   "RETURNED"})  # fmt: skip
_CANCELLING: Final = frozenset({"DOSSIER_REFUSED", "DOSSIER_WITHDRAWN", "PROCESSING_STOPPED"})
_ONLINE_PAYMENT: Final = frozenset({"ONLINE_BANK", "NATIONAL_PAYMENT_PLATFORM"})


@dataclass(frozen=True)
class Refused:
    """Why an event cannot be applied; ``reason_code`` is a DeadLetterReason symbol."""

    reason_code: str
    reason: str


@dataclass(frozen=True)
class Routed:
    """The state after an event, the commands it causes, and the fold outcome's name."""

    state: RoutingState
    commands: tuple[Command, ...] = ()
    outcome: str = "routed"


def new_state(event: DossierEvent, procedure: CatalogEntry) -> RoutingState:
    """The state a DossierSubmitted starts (``procedure``: its catalogue entry)."""
    p = event.payload_as(DossierSubmitted)
    applicant = p["applicant"]
    paid_at_return = not procedure.get("fee_before_processing", False)
    return {
        "dossier_id": event.dossier_id, "status": "UNKNOWN", "fee_return_status": "UNKNOWN",
        "procedure_code": p["procedure_code"],
        "procedure_name": procedure.get("name") or p.get("procedure_name"),
        "agency_code": p["agency_code"], "agency_name": procedure.get("agency_name"),
        "level": procedure.get("level") or "UNKNOWN", "channel": p.get("channel", "UNKNOWN"),
        "applicant_name": applicant["full_name"], "applicant_phone": applicant.get("phone"),
        "applicant_email": applicant.get("email"), "applicant_address": applicant.get("address"),
        "notify_channels": list(applicant.get("notify_channels", [])),
        "notify_consent": bool(applicant.get("notify_consent", False)),
        "postal_intake": bool(p.get("postal_intake")),
        "postal_return": bool(p.get("postal_return")),
        "from_national_portal": bool(p.get("from_national_portal")),
        "submitted_at": event.occurred_at, "accepted_at": None, "appointment_at": None,
        "returned_at": None, "supplements": [], "fee_lines": [], "fees_requested_vnd": 0,
        "return_fee_lines": [x.copy() for x in procedure.get("fee_lines", [])] if paid_at_return
        else [],
        "fees_paid_vnd": 0, "paid_online": False, "paid_direct": False,
        "return_channel": "UNKNOWN", "result_documents": [], "signed_document_ids": [],
        "pickup_ordered": False, "pickup_open": False, "delivery_ordered": False,
        "seen_events": b"", "recent": [], "version": 0, "updated_at": event.occurred_at,
        "receiving_desk": p.get("receiving_desk"), "forward_by_post": False,
        "result_forward_ordered": False,
    }  # fmt: skip


class Rules:
    """The routing rules with their configuration (agency and desk directories, EMC's postal
    form)."""

    def __init__(
        self,
        directory: AgencyDirectory | None = None,
        *,
        postal_counts_as: str = "DIRECT",
        desks: DeskDirectory | None = None,
    ) -> None:
        if postal_counts_as not in ("DIRECT", "ONLINE"):
            raise ValueError(f"postal_counts_as must be DIRECT or ONLINE, not {postal_counts_as}")
        self.directory = directory or AgencyDirectory()
        self.postal_counts_as = postal_counts_as
        self.transfers = TransferPostal(self.directory, desks or DeskDirectory())

    def route(
        self,
        state: RoutingState | None,
        event: DossierEvent,
        procedure: CatalogEntry | None,
    ) -> Routed | Refused | None:
        """Apply ``event`` (not a duplicate) to ``state``: the result, why it is refused, or
        None when routing records nothing of it. ``procedure`` is the catalogue entry of the
        dossier's procedure (required for DossierSubmitted; its level at acceptance)."""
        event_type = event.event_type
        if state is not None and state["dossier_id"] != event.dossier_id:
            return Refused("VALIDATION_FAILED", "event belongs to another dossier")
        view = _status_view(state)
        if state is None and event_type != "DOSSIER_SUBMITTED":
            return Refused("INVALID_TRANSITION", view.refusal(event_type))
        if event_type in NOT_ROUTED:
            return None
        if event_type == "POSTAL_STATUS_CHANGED":
            assert state is not None
            return _postal_status(state, event)
        if event_type == "PAYMENT_REQUEST_CREATED":
            assert state is not None
            return _payment_link(state, event)
        after = view.after(event_type)
        if after is None or after.status is None:
            return Refused("INVALID_TRANSITION", view.refusal(event_type))
        if state is None:
            if procedure is None:
                code = event.procedure_code
                return Refused("UNKNOWN_PROCEDURE", f"procedure {code} is not in the catalogue")
            before = new_state(event, procedure)
        else:
            before = _copy(state)
        target = after.status
        before["fee_return_status"] = after.before_fee or "UNKNOWN"
        new = before
        _EFFECTS.get(event_type, _nothing)(new, event, procedure)
        changed = view.status != target
        new["status"] = target
        new["seen_events"] = bytes(new["seen_events"]) + event_digest(event.event_id)
        new["version"] = int(new["version"]) + 1
        new["updated_at"] = event.occurred_at
        transfer = self.transfers.commands(state, new, event) if state is not None else NO_ORDERS
        return self._commands(new, event, changed, transfer)

    # -- which commands ------------------------------------------------------------------------

    def _commands(
        self, new: RoutingState, event: DossierEvent, changed: bool, transfer: Orders
    ) -> Routed:
        event_type = event.event_type
        commands: list[Command] = list(transfer[0])
        postal = self._postal(new, event) if transfer[1] is None else transfer[1]
        if isinstance(postal, Command):
            commands.append(postal)
        step = event_type == "PROCESSING_STEP_RECORDED"
        if changed or event_type in ("APOLOGY_ISSUED", "AGENCY_TRANSFERRED"):
            commands.append(Command("national-sync", national_sync(new)))
        if step or event_type in TRANSFER_EVENTS or (changed and has_handler(event)):
            commands.append(Command("national-progress", progress_update(new, event)))
        if changed or step:
            record = tracking_record(new, event, self.postal_counts_as)
            commands.append(Command("emc", record))
        notify = notification(new, event)
        if notify is not None:
            commands.append(Command("notify", notify[1], key=notify[0]))
        if isinstance(postal, str):
            return Routed(new, tuple(commands), postal)
        return Routed(new, tuple(commands), "routed" if commands else "applied")

    def _postal(self, new: RoutingState, event: DossierEvent) -> Command | str | None:
        """The postal command of the event, "postal_unaddressed" if it cannot be made, or None."""
        event_type = event.event_type
        agency = self.directory.contact(str(new["agency_code"]))
        agency_party = agency.party(new["agency_name"])
        if event_type == "DOSSIER_SUBMITTED" and new["postal_intake"]:
            applicant = applicant_party(new)
            if applicant is None:
                return "postal_unaddressed"
            new["pickup_ordered"] = new["pickup_open"] = True
            return Command("postal-pickup",
                           postal_order(new, "INTAKE_PICKUP", applicant, agency_party))  # fmt: skip
        if event_type in _CANCELLING and new["pickup_open"]:
            new["pickup_open"] = False
            reason = {"DOSSIER_REFUSED": "Hồ sơ không được tiếp nhận",
                      "DOSSIER_WITHDRAWN": "Công dân rút hồ sơ",
                      "PROCESSING_STOPPED": "Dừng xử lý hồ sơ"}[event_type]  # fmt: skip
            return Command("postal-cancel-pickup", postal_cancel(new, reason))
        if event_type in ("RESULT_READY", "RESULT_SIGNED") and _delivery_due(new):
            applicant = applicant_party(new)
            if applicant is None:
                return "postal_unaddressed"
            new["delivery_ordered"] = True
            order = postal_order(new, "RESULT_DELIVERY", agency_party, applicant, fees_due(new))
            return Command("postal-delivery", order)
        return None


def _delivery_due(state: RoutingState) -> bool:
    if state["delivery_ordered"] or str(state["status"]) != "RESULT_READY":
        return False
    channel = state["return_channel"]
    if not (channel == "POSTAL" or (channel == "UNKNOWN" and state["postal_return"])):
        return False
    signed = set(state["signed_document_ids"])
    return all(doc["document_id"] in signed for doc in state["result_documents"])


def _postal_status(state: RoutingState, event: DossierEvent) -> Routed | None:
    p = event.payload_as(PostalStatusChanged)
    if p.get("direction") != "INTAKE_PICKUP" or not state["pickup_open"]:
        return None
    if p.get("status") not in _PICKUP_CLOSED:
        return None
    new = _mark_seen(state, event)
    new["pickup_open"] = new["forward_by_post"] = False
    return Routed(new, (), "applied")


def _payment_link(state: RoutingState, event: DossierEvent) -> Routed | None:
    """The fee message, once the provider gave the payment link (no status change)."""
    notify = notification(state, event)
    if notify is None:
        return None
    new = _mark_seen(state, event)
    return Routed(new, (Command("notify", notify[1], key=notify[0]),))


def _mark_seen(state: RoutingState, event: DossierEvent) -> RoutingState:
    new = _copy(state)
    new["seen_events"] = bytes(new["seen_events"]) + event_digest(event.event_id)
    new["version"] = int(new["version"]) + 1
    new["updated_at"] = event.occurred_at
    return new


def _status_view(state: RoutingState | None) -> StatusView:
    if state is None:
        return StatusView()
    returns_to = state["fee_return_status"]
    return StatusView(state["status"], None if returns_to == "UNKNOWN" else returns_to)


def _copy(state: RoutingState) -> RoutingState:
    """A copy of ``state``: its lists are replaced, never extended in place, so a shallow copy
    leaves ``state`` as it was."""
    return state.copy()


Effect = Callable[[RoutingState, DossierEvent, CatalogEntry | None], None]


def _nothing(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    return None


def _accepted(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(DossierAccepted)
    s["accepted_at"] = e.occurred_at
    # as the lifecycle records it: the catalogue's level at acceptance, else the event's
    s["level"] = (proc.get("level") if proc else None) or p.get("level") or s["level"]
    if p.get("appointment_at") is not None:
        s["appointment_at"] = p["appointment_at"]


def _fee_requested(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(FeeRequested)
    s["fee_lines"] = [*s["fee_lines"], *(line.copy() for line in p["fee_lines"])]
    s["fees_requested_vnd"] = int(s["fees_requested_vnd"]) + int(p["total_vnd"])


def _fee_paid(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(FeePaid)
    s["fees_paid_vnd"] = int(s["fees_paid_vnd"]) + int(p["amount_vnd"])
    if p.get("method") in _ONLINE_PAYMENT:
        s["paid_online"] = True
    else:
        s["paid_direct"] = True


def _result_ready(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ResultReady)
    s["result_documents"] = [doc.copy() for doc in p["documents"]]
    s["return_channel"] = p.get("return_channel", "UNKNOWN")


def _result_signed(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ResultSigned)
    if p["document_id"] not in s["signed_document_ids"]:
        s["signed_document_ids"] = [*s["signed_document_ids"], p["document_id"]]


def _result_returned(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(ResultReturned)
    s["returned_at"] = e.occurred_at
    if p.get("return_channel", "UNKNOWN") != "UNKNOWN":
        s["return_channel"] = p["return_channel"]


def _supplement_requested(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    p = e.payload_as(SupplementRequested)
    opened: SupplementRound = {"requested_at": e.occurred_at, "received_at": None,
              "old_appointment_at": s["appointment_at"], "new_appointment_at": None,
              "reason": p["reason"]}  # fmt: skip
    s["supplements"] = [*s["supplements"], opened]


def _supplement_received(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    rounds = s["supplements"]
    if rounds and rounds[-1]["received_at"] is None:
        last = rounds[-1].copy()
        last["received_at"] = e.occurred_at
        s["supplements"] = [*rounds[:-1], last]


def _apology(s: RoutingState, e: DossierEvent, proc: CatalogEntry | None) -> None:
    new_appointment = e.payload_as(ApologyIssued)["new_appointment_at"]
    s["appointment_at"] = new_appointment
    rounds = s["supplements"]
    if rounds and rounds[-1]["new_appointment_at"] is None:
        last = rounds[-1].copy()
        last["new_appointment_at"] = new_appointment
        s["supplements"] = [*rounds[:-1], last]


_EFFECTS: Final[Mapping[str, Effect]] = {
    "DOSSIER_ACCEPTED": _accepted,
    "FEE_REQUESTED": _fee_requested,
    "FEE_PAID": _fee_paid,
    "RESULT_READY": _result_ready,
    "RESULT_SIGNED": _result_signed,
    "RESULT_RETURNED": _result_returned,
    "SUPPLEMENT_REQUESTED": _supplement_requested,
    "SUPPLEMENT_RECEIVED": _supplement_received,
    "APOLOGY_ISSUED": _apology,
}
