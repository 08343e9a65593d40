"""The lifecycle as a ``hub.processing`` fold: one DossierEvent on a dossier's state, Kafka-free.

Decode, dedupe by event id, look the procedure up in the catalogue, apply the status machine.
The state is the decoded DossierState; the runner encodes it (as the table value and the
``dossier.state`` value, identical bytes) once per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.lifecycle._machine import Rejection, apply, is_duplicate
from hub.processing import (
    NO_SIDE_INPUTS,
    AvroStateProcessor,
    Changed,
    Deferred,
    Message,
    Outcome,
    Reject,
    SideInputs,
    Unchanged,
)
from hub.serde import AvroSerde, DecodeError, SchemaNotFound
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE

State = dict[str, Any]
#: procedure code -> Procedure record, or None while it is not in the catalogue
ProcedureLookup = Callable[[str], Mapping[str, Any] | None]


def procedure_code(event: Mapping[str, Any], state: Mapping[str, Any] | None) -> str | None:
    """The catalogue entry an event needs: the submission's, or the level at acceptance."""
    if event["event_type"] == "DOSSIER_SUBMITTED":
        return str(event["payload"][1]["procedure_code"])
    if event["event_type"] == "DOSSIER_ACCEPTED" and state is not None:
        code = state.get("procedure_code")
        return None if code is None else str(code)
    return None


def decode_event(events: AvroSerde, message: Message) -> State | Reject:
    """The decoded DossierEvent of ``message``, or why it cannot be read (a dead letter)."""
    try:
        event = events.decode(message.value)
    except DecodeError as exc:
        missing = isinstance(exc.__cause__, SchemaNotFound)
        return Reject("SCHEMA_NOT_FOUND" if missing else "UNDECODABLE", str(exc))
    key = None if message.key is None else message.key.decode("utf-8", "replace")
    if key != event["dossier_id"]:
        return Reject("VALIDATION_FAILED", "message key is not the dossier id")
    event["event_id"] = str(event["event_id"])
    return event


class LifecycleProcessor(AvroStateProcessor):
    """``dossier.events`` -> ``dossiers`` table -> ``dossier.state``."""

    name = "lifecycle"
    source = DOSSIER_EVENTS
    table = "dossiers"
    state_topic = DOSSIER_STATE

    def __init__(
        self,
        events: AvroSerde,
        states: AvroSerde,
        procedures: ProcedureLookup,
        *,
        side_inputs: SideInputs = NO_SIDE_INPUTS,
    ) -> None:
        self.events = events
        self.states = self.state_serde = states
        self._procedures = procedures
        self.side_inputs = side_inputs

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.events,)

    def fold(self, state: State | None, message: Message) -> Outcome[State]:
        event = decode_event(self.events, message)
        if isinstance(event, Reject):
            return event
        if is_duplicate(state, event["event_id"]):
            # republish: a crash may have persisted the table but lost the state message
            return Unchanged("duplicate", republish=True)
        code = procedure_code(event, state)
        procedure = None if code is None else self._procedures(code)
        result = apply(state, event, procedure)
        if isinstance(result, Rejection):
            reject = Reject(result.reason_code, result.reason)
            if (
                procedure is None
                and code is not None
                and event["event_type"] == "DOSSIER_SUBMITTED"
            ):
                return Deferred(reject, waiting_for=f"procedure {code}")
            return reject
        return Changed(result)
