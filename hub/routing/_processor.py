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

from collections.abc import Callable

from hub.dossier import CatalogEntry, DossierEvent, DossierFold, ProcedureLookup
from hub.processing import (
    NO_SIDE_INPUTS,
    Changed,
    Emit,
    Message,
    Outcome,
    Reject,
    SideInputs,
    Unchanged,
)
from hub.records import RoutingState
from hub.routing._commands import KINDS, envelope
from hub.routing._rules import Refused, Routed, Rules
from hub.serde import AvroSerde
from hub.topics import PARTNER_COMMANDS

DEFAULT_REDELIVERY_WINDOW = 2000


class RoutingProcessor(DossierFold[RoutingState]):
    """``dossier.events`` -> ``dossiers`` table -> ``partner.commands``."""

    name = "routing"
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
        super().__init__(events, states, procedures, side_inputs=side_inputs)
        self.commands = commands
        self.rules = rules or Rules()
        self.redelivery_window = redelivery_window
        self._on_command = on_command

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.events, self.commands)

    def apply(
        self, state: RoutingState | None, event: DossierEvent, procedure: CatalogEntry | None,
        message: Message,
    ) -> Outcome[RoutingState]:  # fmt: skip
        result = self.rules.route(state, event, procedure)
        if result is None:
            return Unchanged("not_routed")
        if isinstance(result, Refused):
            return Reject(result.reason_code, result.reason)
        return self._changed(result, event, message)

    def _changed(
        self, routed: Routed, event: DossierEvent, message: Message
    ) -> Changed[RoutingState]:
        new = routed.state
        encoded = [self.commands.encode(envelope(event, c)) for c in routed.commands]
        if message.offset is not None:
            floor = message.offset - self.redelivery_window
            kept = [r for r in new["recent"] if int(r["offset"]) > floor]
            if encoded:
                kept.append({"event_id": event.event_id, "offset": message.offset,
                             "commands": encoded})  # fmt: skip
            new["recent"] = kept
        for command in routed.commands:
            self._on_command(KINDS[command.kind][0])
        emits = tuple(Emit(PARTNER_COMMANDS, message.key, value) for value in encoded)
        return Changed(new, emits, outcome=routed.outcome)

    def on_duplicate(self, state: RoutingState, event: DossierEvent, message: Message) -> Unchanged:
        if message.offset is not None:
            for routed in state["recent"]:
                if routed["event_id"] == event.event_id and int(routed["offset"]) == message.offset:
                    emits = tuple(
                        Emit(PARTNER_COMMANDS, message.key, bytes(value))
                        for value in routed["commands"]
                    )
                    return Unchanged("redelivered", emits=emits)
        return Unchanged("duplicate")
