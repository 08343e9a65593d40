"""Routing as a ``hub.processing`` fold: dossier events -> partner commands, Kafka-free.

``dossier.events`` (key: dossier id) -> ``dossiers`` table (RoutingState) -> PartnerCommands on
``partner.commands``, keyed by the dossier id, so one dossier's commands keep its events' order
in one partition. No state topic: the table's changelog is the state.

Redelivery. The runners deliver at least once: a crash after the table's changelog has the new
state and before the broker acknowledged the commands re-delivers the event (its offset is past
the partition's mark) to a state that has already seen it. The commands would then be lost if a
duplicate were simply ignored, so the state keeps, for the events applied within
``redelivery_window`` offsets of its latest one, the commands each produced (as emitted), and an
event seen again *at the offset it was applied at* re-emits them, byte-identical (same
``command_id`` and ``idempotency_key``: the outbox and the partners dedupe them). A batch in
flight spans at most ``batch_max`` offsets per partition (plus a refetched gap), so the default
window (2000, twice the runner's default ``batch_max``) covers it. The same event id at another
offset (produced twice) is a duplicate: ``Unchanged``, nothing emitted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.lifecycle import decode_event
from hub.processing import (
    NO_SIDE_INPUTS,
    AvroStateProcessor,
    Changed,
    Deferred,
    Emit,
    Message,
    Outcome,
    Reject,
    SideInputs,
    Unchanged,
)
from hub.routing._commands import KINDS, envelope
from hub.routing._rules import Refused, Routed, Rules, State, is_duplicate
from hub.serde import AvroSerde
from hub.topics import DOSSIER_EVENTS, PARTNER_COMMANDS

#: procedure code -> Procedure record, or None while it is not in the catalogue
ProcedureLookup = Callable[[str], Mapping[str, Any] | None]

DEFAULT_REDELIVERY_WINDOW = 2000


class RoutingProcessor(AvroStateProcessor):
    """``dossier.events`` -> ``dossiers`` table -> ``partner.commands``."""

    name = "routing"
    source = DOSSIER_EVENTS
    table = "dossiers"
    state_topic = None
    outputs = (PARTNER_COMMANDS,)

    def __init__(
        self,
        events: AvroSerde,
        states: AvroSerde,
        commands: AvroSerde,
        procedures: ProcedureLookup,
        rules: Rules | None = None,
        *,
        side_inputs: SideInputs = NO_SIDE_INPUTS,
        redelivery_window: int = DEFAULT_REDELIVERY_WINDOW,
        on_command: Callable[[str], None] = lambda command_type: None,
    ) -> None:
        self.events = events
        self.states = self.state_serde = states
        self.commands = commands
        self.rules = rules or Rules()
        self.redelivery_window = redelivery_window
        self.side_inputs = side_inputs
        self._procedures = procedures
        self._on_command = on_command

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (
            self.events,
            self.commands,
        )

    def fold(self, state: State | None, message: Message) -> Outcome[State]:
        event = decode_event(self.events, message)
        if isinstance(event, Reject):
            return event
        event_id = str(event["event_id"])
        if is_duplicate(state, event_id):
            assert state is not None
            return self._seen_again(state, event_id, message)
        event_type = str(event["event_type"])
        code = None
        if event_type == "DOSSIER_SUBMITTED":
            code = str(event["payload"][1]["procedure_code"])
        elif event_type == "DOSSIER_ACCEPTED" and state is not None:
            code = str(state["procedure_code"])
        procedure = None if code is None else self._procedures(code)
        if event_type == "DOSSIER_SUBMITTED" and procedure is None and state is None:
            reject = Reject("UNKNOWN_PROCEDURE", f"procedure {code} is not in the catalogue")
            return Deferred(reject, waiting_for=f"procedure {code}")
        result = self.rules.route(state, event, procedure)
        if result is None:
            return Unchanged("not_routed")
        if isinstance(result, Refused):
            return Reject(result.reason_code, result.reason)
        return self._changed(result, event, message)

    def _changed(
        self, routed: Routed, event: Mapping[str, Any], message: Message
    ) -> Changed[State]:
        new = routed.state
        encoded = [self.commands.encode(envelope(event, c)) for c in routed.commands]
        if message.offset is not None:
            floor = message.offset - self.redelivery_window
            kept = [r for r in new["recent"] if int(r["offset"]) > floor]
            if encoded:
                kept.append({"event_id": str(event["event_id"]), "offset": message.offset,
                             "commands": encoded})  # fmt: skip
            new["recent"] = kept
        for command in routed.commands:
            self._on_command(KINDS[command.kind][0])
        emits = tuple(Emit(PARTNER_COMMANDS, message.key, value) for value in encoded)
        return Changed(new, emits, outcome=routed.outcome)

    def _seen_again(self, state: State, event_id: str, message: Message) -> Unchanged:
        if message.offset is not None:
            for routed in state["recent"]:
                if routed["event_id"] == event_id and int(routed["offset"]) == message.offset:
                    emits = tuple(
                        Emit(PARTNER_COMMANDS, message.key, bytes(value))
                        for value in routed["commands"]
                    )
                    return Unchanged("redelivered", emits=emits)
        return Unchanged("duplicate")
