"""The lifecycle's rules, pure: no Kafka, no clock, no I/O.

``apply`` folds one DossierEvent into a DossierState record (the Avro-shaped dict of
``DossierState.avsc``) through the kernel's status machine (``hub.dossier.StatusView``) and
returns the new state, or a ``Rejection`` saying why the event cannot be applied; it never
mutates its inputs. The DossierState keeps no "status before the fee step": its history does.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.dossier import (
    ACCEPTED,
    FEE_REQUESTED,
    PROCESSING,
    CatalogEntry,
    DossierEvent,
    StatusView,
    is_status,
)
from hub.lifecycle._effects import apply_effects, history_entry
from hub.records import DossierState, DossierStatus


@dataclass(frozen=True)
class Rejection:
    """Why an event cannot be applied; ``reason_code`` is a DeadLetterReason symbol."""

    reason_code: str
    reason: str


def is_duplicate(state: DossierState | None, event_id: str) -> bool:
    """Whether ``event_id`` was already applied (every applied event is in the history)."""
    if state is None:
        return False
    return any(entry["event_id"] == event_id for entry in state["history"])


def status_view(state: DossierState | None) -> StatusView:
    """Where ``state`` stands in the machine (the status before a fee step, from its history)."""
    if state is None:
        return StatusView()
    return StatusView(state["status"], _status_before_fee_step(state))


def target_status(state: DossierState | None, event_type: str) -> DossierStatus | Rejection:
    """The status ``event_type`` leads to from ``state``, or why it is illegal there."""
    view = status_view(state)
    after = view.after(event_type)
    if after is None or not is_status(after.status):
        return Rejection("INVALID_TRANSITION", view.refusal(event_type))
    return after.status


def _status_before_fee_step(state: DossierState) -> DossierStatus | None:
    if state["status"] != FEE_REQUESTED:
        return None
    for entry in reversed(state["history"]):
        if entry["to_status"] == FEE_REQUESTED and entry["from_status"] != FEE_REQUESTED:
            return PROCESSING if entry["from_status"] == PROCESSING else ACCEPTED
    return ACCEPTED


def apply(
    state: DossierState | None, event: DossierEvent, procedure: CatalogEntry | None = None
) -> DossierState | Rejection:
    """Fold ``event`` into ``state``; ``procedure`` is the catalogue entry of the dossier's
    procedure (required for DOSSIER_SUBMITTED, used for the level at acceptance)."""
    event_type = event.event_type
    if state is not None and state["dossier_id"] != event.dossier_id:
        return Rejection("VALIDATION_FAILED", "event belongs to another dossier")
    target = target_status(state, event_type)
    if isinstance(target, Rejection):
        return target
    if event_type == "DOSSIER_SUBMITTED" and procedure is None:
        code = event.procedure_code
        return Rejection("UNKNOWN_PROCEDURE", f"procedure {code} is not in the catalogue")
    if event_type == "APOLOGY_ISSUED" and state is not None:
        deadline = state.get("deadline")
        if deadline is not None and deadline["apology_issued_at"] is not None:
            return Rejection("VALIDATION_FAILED", "an apology with a new date was already issued")
    new = apply_effects(state, event, procedure)
    before = None if state is None else state["status"]
    new["status"] = target
    new["history"] = [*new["history"], history_entry(event, before, target)]
    new["version"] = int(new["version"]) + 1
    new["last_event_id"] = event.event_id
    new["updated_at"] = event.occurred_at
    if event.actor is not None:
        new["current_handler"] = event.actor.copy()
    return new
