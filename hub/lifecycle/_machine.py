"""The dossier status machine (DOMAIN.md §2), pure: no Kafka, no clock, no I/O.

``TRANSITIONS`` is the whole machine: ``(event type, status before) -> status after``, where the
status before is ``None`` for a dossier the hub has not seen. Events that only record a fact
(signatures, apologies, postal, payment and national-sync events) map a status to itself. Every
pair that is not in the table is illegal. ``apply`` folds one decoded DossierEvent into a
DossierState record (the Avro-shaped dict of ``DossierState.avsc``) and returns the new state, or a
``Rejection`` saying why the event cannot be applied; it never mutates its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hub.events import event_type_of
from hub.lifecycle._effects import apply_effects, history_entry

SUBMITTED: Final = "SUBMITTED"  # 1
ACCEPTED: Final = "ACCEPTED"  # 2
REFUSED: Final = "REFUSED"  # 3
PROCESSING: Final = "PROCESSING"  # 4
SUPPLEMENT_REQUESTED: Final = "SUPPLEMENT_REQUESTED"  # 5
FEE_REQUESTED: Final = "FEE_REQUESTED"  # 6
WITHDRAWN: Final = "WITHDRAWN"  # 7
STOPPED: Final = "STOPPED"  # 8
RESULT_READY: Final = "RESULT_READY"  # 9
RESULT_RETURNED: Final = "RESULT_RETURNED"  # 10

#: The national portal's TrangThai code of each status.
STATUS_CODES: Final[Mapping[str, int]] = {
    SUBMITTED: 1, ACCEPTED: 2, REFUSED: 3, PROCESSING: 4, SUPPLEMENT_REQUESTED: 5,
    FEE_REQUESTED: 6, WITHDRAWN: 7, STOPPED: 8, RESULT_READY: 9, RESULT_RETURNED: 10,
}  # fmt: skip
STATUSES: Final = tuple(STATUS_CODES)
TERMINAL: Final = frozenset({REFUSED, WITHDRAWN, STOPPED, RESULT_RETURNED})
NON_TERMINAL: Final = tuple(s for s in STATUSES if s not in TERMINAL)

#: Marker target of FeePaid: back to ACCEPTED if the fee step came from 1 or 2,
#: to PROCESSING if it came from 4.
FEE_RETURN: Final = "<status before the fee step>"

EVENT_TYPES: Final = (
    "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "DOSSIER_REFUSED", "PROCESSING_STEP_RECORDED",
    "SUPPLEMENT_REQUESTED", "SUPPLEMENT_RECEIVED", "FEE_REQUESTED", "FEE_PAID",
    "DOSSIER_WITHDRAWN", "PROCESSING_STOPPED", "RESULT_READY", "RESULT_SIGNED",
    "RESULT_SIGNING_FAILED", "RESULT_RETURNED", "APOLOGY_ISSUED", "POSTAL_ORDER_CREATED",
    "POSTAL_STATUS_CHANGED", "PAYMENT_REQUEST_CREATED", "PAYMENT_FAILED",
    "NATIONAL_SYNC_COMPLETED", "NATIONAL_SYNC_FAILED", "PAYMENT_REFUNDED",
)  # fmt: skip

_MOVES: Final[dict[tuple[str, str | None], str]] = {
    ("DOSSIER_SUBMITTED", None): SUBMITTED,
    ("DOSSIER_ACCEPTED", SUBMITTED): ACCEPTED,
    ("DOSSIER_REFUSED", SUBMITTED): REFUSED,
    ("FEE_REQUESTED", SUBMITTED): FEE_REQUESTED,
    ("PROCESSING_STEP_RECORDED", ACCEPTED): PROCESSING,
    ("FEE_REQUESTED", ACCEPTED): FEE_REQUESTED,
    ("PROCESSING_STEP_RECORDED", PROCESSING): PROCESSING,
    ("SUPPLEMENT_REQUESTED", PROCESSING): SUPPLEMENT_REQUESTED,
    ("FEE_REQUESTED", PROCESSING): FEE_REQUESTED,
    ("PROCESSING_STOPPED", PROCESSING): STOPPED,
    ("RESULT_READY", PROCESSING): RESULT_READY,
    ("SUPPLEMENT_RECEIVED", SUPPLEMENT_REQUESTED): PROCESSING,
    ("DOSSIER_WITHDRAWN", SUPPLEMENT_REQUESTED): WITHDRAWN,
    ("PROCESSING_STOPPED", SUPPLEMENT_REQUESTED): STOPPED,
    ("FEE_PAID", FEE_REQUESTED): FEE_RETURN,
    ("DOSSIER_WITHDRAWN", FEE_REQUESTED): WITHDRAWN,
    ("PROCESSING_STOPPED", FEE_REQUESTED): STOPPED,
    ("RESULT_RETURNED", RESULT_READY): RESULT_RETURNED,
}

#: Events that record a fact without changing the status, and the statuses where they make sense.
#: National-sync outcomes are legal in every status, terminal ones included: the portal must be
#: told about statuses 3, 7, 8 and 10 too, so their sync necessarily arrives after them. Partner
#: facts are too: a postal callback can arrive after the result was returned (or out of order),
#: a payment callback before the request's creation was recorded, a refund after a refusal.
RECORDED_IN: Final[Mapping[str, frozenset[str]]] = {
    "RESULT_SIGNED": frozenset({RESULT_READY}),
    "RESULT_SIGNING_FAILED": frozenset({RESULT_READY}),
    "APOLOGY_ISSUED": frozenset({ACCEPTED, PROCESSING, SUPPLEMENT_REQUESTED, FEE_REQUESTED}),
    "POSTAL_ORDER_CREATED": frozenset(STATUSES),
    "POSTAL_STATUS_CHANGED": frozenset(STATUSES),
    "PAYMENT_REQUEST_CREATED": frozenset(STATUSES),
    "PAYMENT_FAILED": frozenset(STATUSES),
    "PAYMENT_REFUNDED": frozenset(STATUSES),
    "NATIONAL_SYNC_COMPLETED": frozenset(STATUSES),
    "NATIONAL_SYNC_FAILED": frozenset(STATUSES),
}

#: The machine: (event type, status before or None) -> status after (or ``FEE_RETURN``).
TRANSITIONS: Final[Mapping[tuple[str, str | None], str]] = {
    **_MOVES,
    **{(etype, s): s for etype, legal in RECORDED_IN.items() for s in legal},
}


@dataclass(frozen=True)
class Rejection:
    """Why an event cannot be applied; ``reason_code`` is a DeadLetterReason symbol."""

    reason_code: str
    reason: str


def is_duplicate(state: Mapping[str, Any] | None, event_id: str) -> bool:
    """Whether ``event_id`` was already applied (every applied event is in the history)."""
    if state is None:
        return False
    return any(entry["event_id"] == event_id for entry in state["history"])


def target_status(state: Mapping[str, Any] | None, event_type: str) -> str | Rejection:
    """The status ``event_type`` leads to from ``state``, or why it is illegal there."""
    current = None if state is None else str(state["status"])
    target = TRANSITIONS.get((event_type, current))
    if target is None:
        where = "a dossier the hub does not know" if current is None else f"status {current}"
        if current is not None and event_type == "DOSSIER_SUBMITTED":
            where = f"an existing dossier (status {current})"
        return Rejection("INVALID_TRANSITION", f"{event_type} is not allowed for {where}")
    if target == FEE_RETURN:
        assert state is not None
        return _status_before_fee_step(state)
    return target


def _status_before_fee_step(state: Mapping[str, Any]) -> str:
    for entry in reversed(state["history"]):
        if entry["to_status"] == FEE_REQUESTED and entry["from_status"] != FEE_REQUESTED:
            return PROCESSING if entry["from_status"] == PROCESSING else ACCEPTED
    return ACCEPTED


def apply(
    state: Mapping[str, Any] | None,
    event: Mapping[str, Any],
    procedure: Mapping[str, Any] | None = None,
) -> dict[str, Any] | Rejection:
    """Fold ``event`` into ``state``; ``procedure`` is the catalogue entry of the dossier's
    procedure (required for DOSSIER_SUBMITTED, used for the level at acceptance)."""
    event_type = str(event["event_type"])
    payload_name, payload = event["payload"]
    short_name = str(payload_name).rsplit(".", 1)[-1]
    if event_type_of(short_name) != event_type:
        return Rejection("VALIDATION_FAILED", f"event_type {event_type} but payload {short_name}")
    if state is not None and state["dossier_id"] != event["dossier_id"]:
        return Rejection("VALIDATION_FAILED", "event belongs to another dossier")
    target = target_status(state, event_type)
    if isinstance(target, Rejection):
        return target
    if event_type == "DOSSIER_SUBMITTED" and procedure is None:
        code = payload["procedure_code"]
        return Rejection("UNKNOWN_PROCEDURE", f"procedure {code} is not in the catalogue")
    if event_type == "APOLOGY_ISSUED" and state is not None:
        deadline = state.get("deadline") or {}
        if deadline.get("apology_issued_at") is not None:
            return Rejection("VALIDATION_FAILED", "an apology with a new date was already issued")
    new = apply_effects(state, event, payload, procedure)
    before = None if state is None else str(state["status"])
    new["status"] = target
    new["history"] = [*new["history"], history_entry(event, payload, before, target)]
    new["version"] = int(new["version"]) + 1
    new["last_event_id"] = str(event["event_id"])
    new["updated_at"] = event["occurred_at"]
    if event.get("actor") is not None:
        new["current_handler"] = dict(event["actor"])
    return new
