"""The payment rules, pure: a dossier's PaymentState folded over its events and over time.

The state (``schemas/vn.dvchub.PaymentState.avsc``, as the Avro-shaped dict) is changed by:

* DossierSubmitted / ProcessingStepRecorded: the agency the fees are collected for;
* every status-changing event the lifecycle's machine allows: ``dossier_status`` (one it
  refuses is ignored, as the lifecycle dead-letters it);
* FeeRequested (status 6): a new Payment (REQUESTED) and a PaymentRequest command;
* PaymentRequestCreated: CREATED, with the payment URL; PaymentFailed: FAILED;
* FeePaid: PAID (a second provider transaction for the same reference: ``paid_count`` 2, "paid
  twice"); the dossier returns to the status before its fee step;
* DossierRefused / ProcessingStopped / DossierWithdrawn after a payment was PAID (or a FeePaid
  that arrives after them): REFUND_REQUESTED and a PaymentRefund command; PaymentRefunded:
  REFUNDED. (Today's machine refuses only from status 1, before any fee is paid, so of the three
  only a stop or a withdrawal can follow a payment.)
* time (``query_due``): a payment REQUESTED or CREATED with no FeePaid ``after`` its request gets
  a PaymentStatusQuery command, then more with backoff, up to ``max_queries``.

Every id is derived, never random (``hub.payments._ids``), so a redelivered event or a re-fired
timer gives the same command and the outbox's dedupe sees one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hub.dossier import RECORDED_IN, TRANSITIONS, DossierEvent, StatusView
from hub.events import event_digest, wire_time
from hub.payments._config import PaymentPolicy
from hub.payments._ids import command_id, payment_reference, refund_reference, status_query_id
from hub.records import (
    CommandType,
    DossierSubmitted,
    FeePaid,
    FeeRequested,
    PartnerCommand,
    PartnerCommandPayload,
    Payment,
    PaymentFailed,
    PaymentRefund,
    PaymentRefunded,
    PaymentRequest,
    PaymentRequestCreated,
    PaymentState,
    PaymentStatusQuery,
    ProcessingStepRecorded,
)

#: Payments still waiting for the payer: status queries are due for these.
OPEN: Final = frozenset({"REQUESTED", "CREATED"})
#: Dossier statuses after which a paid fee is refunded.
REFUNDABLE_AFTER: Final = frozenset({"REFUSED", "STOPPED", "WITHDRAWN"})
#: Events that move a dossier's status (the lifecycle's machine, less the facts it only records).
STATUS_EVENTS: Final = frozenset(e for e, _ in TRANSITIONS if e not in RECORDED_IN)
PAYMENT_EVENTS: Final = frozenset(
    {"PAYMENT_REQUEST_CREATED", "PAYMENT_FAILED", "FEE_PAID", "PAYMENT_REFUNDED"}
)


@dataclass(frozen=True)
class Applied:
    """A changed state, the PartnerCommand records it causes, and the outcome to count."""

    state: PaymentState
    commands: tuple[PartnerCommand, ...] = ()
    outcome: str = "applied"


# -- the fold --------------------------------------------------------------------------------


def new_state(dossier_id: str, at: datetime) -> PaymentState:
    return {
        "dossier_id": dossier_id, "agency_code": None, "payments": [],
        "dossier_status": "UNKNOWN", "status_before_fee": None, "seen_events": b"",
        "version": 0, "updated_at": at,
    }  # fmt: skip


def is_tracked(event_type: str) -> bool:
    return event_type in STATUS_EVENTS or event_type in PAYMENT_EVENTS


def apply_event(
    state: PaymentState | None, event: DossierEvent, policy: PaymentPolicy
) -> Applied | None:
    """The state after ``event`` and the commands it causes; None when nothing changes (an
    event that is not about payments or status, a payment event for a reference the dossier
    does not have).

    The dossier's status follows the lifecycle's machine (``hub.dossier.StatusView``): a
    status event the machine refuses is dead-lettered by the lifecycle and ignored here (so no
    payment is asked for by a FeeRequested it refuses), but a payment fact (created, failed,
    paid, refunded) is applied to its payment in any status: money moved whatever the dossier
    did (a FeePaid after a withdrawal is refunded, a second one is "paid twice")."""
    event_type = event.event_type
    if not is_tracked(event_type):
        return None
    after = _status_view(state).after(event_type)
    if after is None and event_type not in PAYMENT_EVENTS:
        return None  # refused by the status machine: not the payments' to judge
    at = wire_time(event.occurred_at, "occurred_at")
    s = new_state(event.dossier_id, at) if state is None else _copy(state)
    commands: list[PartnerCommand] = []
    outcome = "status"
    if event_type == "DOSSIER_SUBMITTED":
        s["agency_code"] = event.payload_as(DossierSubmitted)["agency_code"] or s["agency_code"]
    elif event_type == "PROCESSING_STEP_RECORDED":
        step = event.payload_as(ProcessingStepRecorded)
        s["agency_code"] = step.get("to_agency_code") or s["agency_code"]
    elif event_type == "FEE_REQUESTED":
        outcome = _fee_requested(s, event, event.payload_as(FeeRequested), policy, commands)
    elif event_type == "PAYMENT_REQUEST_CREATED":
        outcome = _request_created(s, event.payload_as(PaymentRequestCreated))
    elif event_type == "PAYMENT_FAILED":
        outcome = _failed(s, event.payload_as(PaymentFailed))
    elif event_type == "FEE_PAID":
        outcome = _fee_paid(s, event, event.payload_as(FeePaid), at, commands)
    elif event_type == "PAYMENT_REFUNDED":
        outcome = _refunded(s, event.payload_as(PaymentRefunded), at)
    if outcome == "unknown_payment" or (outcome == "paid_elsewhere" and after is None):
        return None
    if after is not None and after.status is not None:
        s["dossier_status"] = after.status
        s["status_before_fee"] = after.before_fee
    if event_type in ("DOSSIER_REFUSED", "PROCESSING_STOPPED", "DOSSIER_WITHDRAWN"):
        reason = str(event.payload.get("reason") or event_type.replace("_", " ").lower())
        if _refund_paid(s, event, reason, commands):
            outcome = "refund_requested"
    s["seen_events"] = bytes(s["seen_events"]) + event_digest(event.event_id)
    s["version"] = int(s["version"]) + 1
    s["updated_at"] = at
    return Applied(s, tuple(commands), outcome)


def next_due(state: PaymentState) -> datetime | None:
    """The earliest status query due of the dossier's open payments (None: none)."""
    due = [p["next_query_at"] for p in state["payments"]
           if p["status"] in OPEN and p["next_query_at"] is not None]  # fmt: skip
    return min(due, default=None)


def query_due(state: PaymentState, now: datetime, policy: PaymentPolicy) -> Applied | None:
    """The state after the status queries due at ``now`` (and the commands); None: none due.

    Each query's command id is ``status_query_id(reference, n)``: a timer fired again after a
    crash (the same state, a later ``now``) sends the same commands."""
    now = wire_time(now, "now")
    s = _copy(state)
    commands: list[PartnerCommand] = []
    for payment in s["payments"]:
        due = payment["next_query_at"]
        if payment["status"] not in OPEN or due is None or due > now:
            continue
        number = int(payment["status_queries"]) + 1
        if number > policy.queries.max_queries:
            payment["next_query_at"] = None
            continue
        payment["status_queries"] = number
        more = number < policy.queries.max_queries
        payment["next_query_at"] = now + policy.queries.interval(number) if more else None
        ref = str(payment["payment_reference"])
        query: PaymentStatusQuery = {
            "payment_reference": ref,
            "provider": _provider(payment, policy),
            "query_number": number,
            "amount_vnd": int(payment["amount_vnd"]),
        }
        commands.append(_command(
            s, "PAYMENT_STATUS_QUERY", ("vn.dvchub.command.PaymentStatusQuery", query),
            command_id=status_query_id(ref, number), idempotency_key=f"{ref}-Q{number}",
            causation_id=str(payment["fee_request_event_id"]), created_at=now,
            correlation_id=str(s["dossier_id"]),
        ))  # fmt: skip
    if not commands and next_due(s) == next_due(state):
        return None
    s["updated_at"] = now
    return Applied(s, tuple(commands), "status_queried" if commands else "queries_exhausted")


def find_payment(state: PaymentState, ref: str) -> Payment | None:
    """The payment of ``state`` with reference ``ref`` (the state's own dict: changing it
    changes the state)."""
    for payment in state["payments"]:
        if payment["payment_reference"] == ref:
            return payment
    return None


# -- one event type each ---------------------------------------------------------------------


def _fee_requested(
    s: PaymentState,
    event: DossierEvent,
    payload: FeeRequested,
    policy: PaymentPolicy,
    commands: list[PartnerCommand],
) -> str:
    total = int(payload["total_vnd"])
    if total <= 0:
        return "no_fee"
    event_id = event.event_id
    dossier_id = str(s["dossier_id"])
    ref = payment_reference(dossier_id, event_id)
    if find_payment(s, ref) is not None:  # cannot happen after the event-id dedupe; be safe
        return "status"
    requested_at = wire_time(event.occurred_at, "occurred_at")
    beneficiary = policy.accounts.beneficiary(s["agency_code"])
    lines = [line.copy() for line in payload["fee_lines"]]
    queries = policy.queries
    s["payments"].append({
        "payment_reference": ref, "fee_request_event_id": event_id, "amount_vnd": total,
        "fee_lines": lines, "provider": beneficiary.provider,
        "beneficiary_account": beneficiary.account, "status": "REQUESTED", "payment_url": None,
        "provider_transaction_id": None, "requested_at": requested_at, "paid_at": None,
        "paid_amount_vnd": None, "paid_count": 0, "paid_transactions": [],
        "refund_reference": None, "refunded_at": None, "status_queries": 0,
        "next_query_at": requested_at + queries.after if queries.max_queries > 0 else None,
    })  # fmt: skip
    request: PaymentRequest = {
        "payment_reference": ref,
        "amount_vnd": total,
        "fee_lines": lines,
        "beneficiary_account": beneficiary.account,
        "description": f"Thanh toan phi le phi ho so {dossier_id}"[:255],
        "provider": beneficiary.provider,
        "agency_code": s["agency_code"],
    }
    commands.append(_command(
        s, "PAYMENT_REQUEST", ("vn.dvchub.command.PaymentRequest", request),
        command_id=command_id(event_id, "PAYMENT_REQUEST"), idempotency_key=ref,
        causation_id=event_id, created_at=_recorded_at(event), correlation_id=_correlation(event),
    ))  # fmt: skip
    return "requested"


def _request_created(s: PaymentState, payload: PaymentRequestCreated) -> str:
    payment = find_payment(s, str(payload["payment_reference"]))
    if payment is None:
        return "unknown_payment"
    if payment["status"] == "REQUESTED":
        payment["status"] = "CREATED"
    payment["payment_url"] = payment["payment_url"] or payload.get("payment_url")
    payment["provider"] = payload.get("provider") or payment["provider"]
    return "created"


def _failed(s: PaymentState, payload: PaymentFailed) -> str:
    payment = find_payment(s, str(payload["payment_reference"]))
    if payment is None:
        return "unknown_payment"
    if payment["status"] in OPEN:
        payment["status"] = "FAILED"
        payment["next_query_at"] = None
    return "failed"


def _fee_paid(
    s: PaymentState,
    event: DossierEvent,
    payload: FeePaid,
    at: datetime,
    commands: list[PartnerCommand],
) -> str:
    payment = find_payment(s, str(payload["payment_reference"]))
    if payment is None:  # paid at the desk, or a reference of no request of the hub's
        return "paid_elsewhere"
    transaction = str(payload.get("provider_transaction_id") or f"event:{event.event_id}")
    if transaction in payment["paid_transactions"]:
        return "same_transaction"
    payment["paid_transactions"] = [*payment["paid_transactions"], transaction]
    payment["paid_count"] = int(payment["paid_count"]) + 1
    if payment["paid_count"] > 1:
        return "paid_twice"
    if payment["status"] not in ("REFUND_REQUESTED", "REFUNDED"):
        payment["status"] = "PAID"
    payment["paid_at"] = at
    payment["paid_amount_vnd"] = int(payload["amount_vnd"])
    payment["provider_transaction_id"] = payload.get("provider_transaction_id")
    payment["provider"] = payload.get("provider") or payment["provider"]
    payment["next_query_at"] = None
    if s["dossier_status"] in REFUNDABLE_AFTER:  # paid after the dossier ended: refund at once
        reason = f"paid after the dossier was {str(s['dossier_status']).lower()}"
        _refund(s, payment, event, reason, commands)
        return "refund_requested"
    return "paid"


def _refunded(s: PaymentState, payload: PaymentRefunded, at: datetime) -> str:
    payment = find_payment(s, str(payload["payment_reference"]))
    if payment is None:
        return "unknown_payment"
    payment["status"] = "REFUNDED"
    payment["refunded_at"] = at
    payment["refund_reference"] = payment["refund_reference"] or payload.get("refund_reference")
    payment["next_query_at"] = None
    return "refunded"


def _refund_paid(
    s: PaymentState, event: DossierEvent, reason: str, commands: list[PartnerCommand]
) -> bool:
    paid = [p for p in s["payments"] if p["status"] == "PAID"]
    for payment in paid:
        _refund(s, payment, event, reason, commands)
    return bool(paid)


def _refund(
    s: PaymentState,
    payment: Payment,
    event: DossierEvent,
    reason: str,
    commands: list[PartnerCommand],
) -> None:
    ref = str(payment["payment_reference"])
    refund_ref = refund_reference(str(s["dossier_id"]), ref)
    payment["status"] = "REFUND_REQUESTED"
    payment["refund_reference"] = refund_ref
    event_id = event.event_id
    amount = payment["paid_amount_vnd"]
    refund: PaymentRefund = {
        "payment_reference": ref,
        "refund_reference": refund_ref,
        "provider": str(payment["provider"] or "paygov"),
        "provider_transaction_id": payment["provider_transaction_id"],
        "amount_vnd": int(payment["amount_vnd"] if amount is None else amount),
        "reason": reason[:500],
    }
    commands.append(_command(
        s, "PAYMENT_REFUND", ("vn.dvchub.command.PaymentRefund", refund),
        command_id=command_id(event_id, "PAYMENT_REFUND", ref), idempotency_key=refund_ref,
        causation_id=event_id, created_at=_recorded_at(event), correlation_id=_correlation(event),
    ))  # fmt: skip


def _status_view(state: PaymentState | None) -> StatusView:
    """Where the dossier stands, as far as the payments have seen (UNKNOWN: not submitted)."""
    if state is None or state["dossier_status"] == "UNKNOWN":
        return StatusView()
    return StatusView(state["dossier_status"], state["status_before_fee"])


# -- helpers ---------------------------------------------------------------------------------


def _command(
    s: PaymentState,
    command_type: CommandType,
    payload: PartnerCommandPayload,
    *,
    command_id: str,
    idempotency_key: str,
    causation_id: str | None,
    created_at: datetime,
    correlation_id: str,
) -> PartnerCommand:
    """A PartnerCommand record (``vn.dvchub.PartnerCommand``)."""
    return {
        "command_id": command_id, "command_type": command_type,
        "dossier_id": str(s["dossier_id"]), "idempotency_key": idempotency_key,
        "created_at": created_at, "correlation_id": correlation_id,
        "causation_id": causation_id,
        "payload": payload,
    }  # fmt: skip


def _provider(payment: Payment, policy: PaymentPolicy) -> str:
    return str(payment["provider"] or policy.accounts.default_provider)


def _recorded_at(event: DossierEvent) -> datetime:
    moment = event.recorded_at or event.occurred_at
    return wire_time(moment, "recorded_at")


def _correlation(event: DossierEvent) -> str:
    return str(event.correlation_id or event.dossier_id)


def _copy(state: PaymentState) -> PaymentState:
    """A copy deep enough that changing a payment leaves ``state`` as it was."""
    s = state.copy()
    s["payments"] = [p.copy() for p in state["payments"]]
    return s
