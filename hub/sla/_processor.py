"""The SLA as a ``hub.processing`` fold with durable timers, Kafka-free.

``dossier.events`` (co-partitioned: the key is the dossier id) -> ``deadlines`` table ->
``sla.deadlines``; timers raise alerts on ``sla.alerts`` (a late transfer step's too:
``_transfer_alerts``). The kernel (``hub.dossier.DossierFold``)
decodes, dedupes by event id (digests in the record) and reads a submission's procedure from the
catalogue; this applies ``_deadline``'s rules, and ``on_timer`` raises the alerts due on the
runner's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

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
from hub.records import DossierDeadline, SlaAlert
from hub.serde import AvroSerde
from hub.sla._alerts import Reappointment, next_due, raise_due_alerts
from hub.sla._deadline import Refusal, SlaPolicy, apply_event
from hub.sla._transfer_alerts import raise_transfer_alert, track_transfer, transfer_due
from hub.sla._transfers import TransferDeadlines
from hub.topics import SLA_ALERTS, SLA_DEADLINES

#: The transfer steps' deadlines when none are given (the live worker's: ``DVC_SLA_TRANSFER_*``).
DEFAULT_TRANSFER_DEADLINES: Final = TransferDeadlines()


class SlaProcessor(DossierFold[DossierDeadline]):
    """Deadlines, clocks and alerts of every dossier."""

    name = "sla"
    table = "deadlines"
    state_topic = SLA_DEADLINES
    outputs = (SLA_ALERTS,)
    timers = True

    def __init__(
        self,
        events: AvroSerde,
        deadlines: AvroSerde,
        alerts: AvroSerde,
        procedures: ProcedureLookup,
        policy: SlaPolicy,
        *,
        side_inputs: SideInputs = NO_SIDE_INPUTS,
        on_alert: Callable[[SlaAlert], None] = lambda alert: None,
        reappointment: Reappointment | None = None,
        transfers: TransferDeadlines = DEFAULT_TRANSFER_DEADLINES,
    ) -> None:
        super().__init__(events, deadlines, procedures, side_inputs=side_inputs)
        self.deadlines = deadlines
        self.alerts = alerts
        self.policy = policy
        self._on_alert = on_alert
        self.reappointment = reappointment
        self.transfers = transfers

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.events, self.alerts)

    def apply(
        self, state: DossierDeadline | None, event: DossierEvent, procedure: CatalogEntry | None,
        message: Message,
    ) -> Outcome[DossierDeadline]:  # fmt: skip
        result = apply_event(state, event, procedure, self.policy)
        if result is None:
            return Unchanged("not_tracked")
        if isinstance(result, Refusal):
            return Reject(result.reason_code, result.reason)
        track_transfer(result, event, self.policy.calendar, self.transfers)
        return Changed(result)

    def next_due(self, state: DossierDeadline) -> datetime | None:
        return min(filter(None, (next_due(state), transfer_due(state))), default=None)

    def on_timer(
        self, key: bytes, state: DossierDeadline, now: datetime
    ) -> Changed[DossierDeadline] | Unchanged:
        new, alerts = raise_due_alerts(state, now, self.policy, self.reappointment)
        new, late_steps = raise_transfer_alert(new, now, self.policy.calendar)
        alerts = [*alerts, *late_steps]
        if new["alerts_raised"] == state["alerts_raised"]:
            return Unchanged("timer_ignored")
        for alert in alerts:
            self._on_alert(alert)
        emits = tuple(Emit(SLA_ALERTS, key, self.alerts.encode(alert)) for alert in alerts)
        return Changed(new, emits, outcome="alerted" if alerts else "alerts_suppressed")
