"""The payments as a ``hub.processing`` fold with durable timers, Kafka-free.

``dossier.events`` (key: dossier id) -> ``payments`` table -> ``payments`` (each dossier's
PaymentState, compacted: the bank connector's callbacks look requests up there); the
PaymentRequest / PaymentRefund commands an event causes, and the PaymentStatusQuery commands
``on_timer`` sends, go to ``partner.commands``. The kernel (``hub.dossier.DossierFold``)
decodes and dedupes by event id (digests in the state); this applies ``_rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.dossier import CatalogEntry, DossierEvent, DossierFold
from hub.payments._config import PaymentPolicy
from hub.payments._rules import Applied, apply_event, next_due, query_due
from hub.processing import Changed, Emit, Message, Outcome, Unchanged
from hub.records import PartnerCommand, PaymentState
from hub.serde import AvroSerde
from hub.topics import PARTNER_COMMANDS, PAYMENTS


class PaymentsProcessor(DossierFold[PaymentState]):
    """Fee payments of every dossier: requests, callbacks' outcomes, status queries, refunds.
    It reads no catalogue: a fee's amount comes with its FeeRequested."""

    name = "payments"
    table = "payments"
    state_topic = PAYMENTS
    outputs = (PARTNER_COMMANDS,)
    timers = True

    def __init__(
        self,
        events: AvroSerde,
        states: AvroSerde,
        commands: AvroSerde,
        policy: PaymentPolicy | None = None,
        *,
        on_command: Callable[[PartnerCommand], None] = lambda command: None,
    ) -> None:
        super().__init__(events, states)
        self.commands = commands
        self.policy = policy or PaymentPolicy()
        self._on_command = on_command

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.events, self.commands)

    def apply(
        self, state: PaymentState | None, event: DossierEvent, procedure: CatalogEntry | None,
        message: Message,
    ) -> Outcome[PaymentState]:  # fmt: skip
        applied = apply_event(state, event, self.policy)
        if applied is None:
            return Unchanged("not_tracked")
        return self._changed(message.key, applied)

    def next_due(self, state: PaymentState) -> datetime | None:
        return next_due(state)

    def on_timer(
        self, key: bytes, state: PaymentState, now: datetime
    ) -> Changed[PaymentState] | Unchanged:
        applied = query_due(state, now, self.policy)
        if applied is None:
            return Unchanged("timer_ignored")
        return self._changed(key, applied)

    def _changed(self, key: bytes | None, applied: Applied) -> Changed[PaymentState]:
        emits = []
        for command in applied.commands:
            self._on_command(command)
            emits.append(Emit(PARTNER_COMMANDS, key, self.commands.encode(command)))
        return Changed(applied.state, tuple(emits), outcome=applied.outcome)
