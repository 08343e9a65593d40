"""The SLA as a ``hub.processing`` fold with durable timers, Kafka-free.

``dossier.events`` (co-partitioned: the key is the dossier id) -> ``deadlines`` table ->
``sla.deadlines``; timers raise alerts on ``sla.alerts``. The fold dedupes by event id (digests in
the record), reads a submission's procedure from the catalogue (waiting for it like the lifecycle
does), and applies ``_deadline``'s rules; ``on_timer`` raises the alerts due on the runner's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
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
from hub.serde import AvroSerde
from hub.sla._deadline import (
    Record,
    Refusal,
    SlaPolicy,
    apply_event,
    is_duplicate,
    next_due,
    raise_due_alerts,
)
from hub.topics import DOSSIER_EVENTS, SLA_ALERTS, SLA_DEADLINES

#: procedure code -> Procedure record, or None while it is not in the catalogue
ProcedureLookup = Callable[[str], Mapping[str, Any] | None]


class SlaProcessor(AvroStateProcessor):
    """Deadlines, clocks and alerts of every dossier."""

    name = "sla"
    source = DOSSIER_EVENTS
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
        on_alert: Callable[[Record], None] = lambda alert: None,
    ) -> None:
        self.events = events
        self.deadlines = self.state_serde = deadlines
        self.alerts = alerts
        self.policy = policy
        self._procedures = procedures
        self.side_inputs = side_inputs
        self._on_alert = on_alert

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (
            self.events,
            self.alerts,
        )

    def fold(self, state: Record | None, message: Message) -> Outcome[Record]:
        event = decode_event(self.events, message)
        if isinstance(event, Reject):
            return event
        if is_duplicate(state, event["event_id"]):
            return Unchanged("duplicate", republish=True)
        procedure = None
        if event["event_type"] == "DOSSIER_SUBMITTED":
            code = str(event["payload"][1]["procedure_code"])
            procedure = self._procedures(code)
            if procedure is None:
                reject = Reject("UNKNOWN_PROCEDURE", f"procedure {code} is not in the catalogue")
                return Deferred(reject, waiting_for=f"procedure {code}")
        result = apply_event(state, event, procedure, self.policy)
        if result is None:
            return Unchanged("not_tracked")
        if isinstance(result, Refusal):
            return Reject(result.reason_code, result.reason)
        return Changed(result)

    def next_due(self, state: Record) -> datetime | None:
        return next_due(state)

    def on_timer(self, key: bytes, state: Record, now: datetime) -> Changed[Record] | Unchanged:
        new, alerts = raise_due_alerts(state, now, self.policy)
        if new["alerts_raised"] == state["alerts_raised"]:
            return Unchanged("timer_ignored")
        for alert in alerts:
            self._on_alert(alert)
        emits = tuple(Emit(SLA_ALERTS, key, self.alerts.encode(alert)) for alert in alerts)
        return Changed(new, emits, outcome="alerted" if alerts else "alerts_suppressed")
