"""What the hub wrote during a run, followed live: one consumer (no group) on the run's topics.

The runner reads it to feed the scripts (a dossier's payment reference, its VNPost waybills,
whether the hub wrote the event a step waits for) and for the live summary and the figures
(dossiers filed, their states, late ones, commands and outcomes per partner, dead letters, the
time from an event's produce to the state that applied it, from the brokers' timestamps).

It also reads the changelogs of the workers that judge time (``JUDGES``: the lifecycle and the
SLA worker) for their next-offset marks, which each writes after a batch's states and timers
(``hub.processing``): ``lagging(ends)`` says whether one has not yet applied the event log up
to ``ends``, what the clock waits for (``_pace``).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord

from hub import kafka
from hub.dossier import TERMINAL
from hub.lifecycle import LifecycleProcessor
from hub.processing import Processor, changelog_for, is_mark, partition_of_mark
from hub.serde import AvroSerde, DecodeError, RegistryClient, RegistryError, serde_for
from hub.settings import Settings
from hub.sla import SlaProcessor
from hub.topics import (
    DEADLETTER,
    DOSSIER_EVENTS,
    DOSSIER_STATE,
    PARTNER_COMMANDS,
    PARTNER_OUTCOMES,
    PAYMENTS,
    SLA_ALERTS,
    SLA_DEADLINES,
    TopicSpec,
)

#: How long a poll waits for records when there are none.
POLL_MS = 200
#: How long the tail waits for the registry between two tries while it is down.
REGISTRY_RETRY_S = 0.5
FOLLOWED = (DOSSIER_EVENTS, DOSSIER_STATE, PARTNER_COMMANDS, PARTNER_OUTCOMES, PAYMENTS,
            SLA_ALERTS, SLA_DEADLINES, DEADLETTER)  # fmt: skip
#: The workers whose view of the log the clock waits for.
JUDGES: tuple[type[Processor[Any]], ...] = (LifecycleProcessor, SlaProcessor)


@dataclass(frozen=True)
class Summary:
    """The live summary's figures at one moment."""

    events: int
    filed: int
    open: int
    returned: int
    refused: int
    late: int
    commands: int
    outcomes: Mapping[str, int]
    dead_letters: int


class Tail(threading.Thread):
    """Follows ``FOLLOWED`` on ``settings``' prefix from the beginning until ``stop()``."""

    def __init__(
        self, settings: Settings, registry: RegistryClient, partner_of: Mapping[str, str]
    ) -> None:
        super().__init__(name="simulate-tail", daemon=True)
        prefix = settings.topic_prefix
        self._settings = settings
        self._partner_of = partner_of
        self._serdes: dict[str, tuple[TopicSpec, AvroSerde]] = {
            spec.name(prefix): (spec, serde_for(spec, prefix, registry)) for spec in FOLLOWED
        }
        #: changelog topic -> (worker, its marks: input partition -> next offset applied)
        self._marks: dict[str, tuple[str, dict[int, int]]] = {
            changelog_for(judge, settings): (judge.name, {}) for judge in JUDGES
        }
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        self.events = 0
        self._seen: dict[str, set[str]] = defaultdict(set)
        self._event_ms: dict[str, int] = {}
        self.status: dict[str, str] = {}
        self.to_state_ms: list[int] = []
        self._payment: dict[str, str] = {}
        self._waybill: dict[tuple[str, str], str] = {}
        self.commands: dict[str, str] = {}  # command id -> partner
        self.outcomes: dict[str, tuple[str, str]] = {}  # command id -> (partner, outcome)
        self.late: set[str] = set()
        self.dead_letters: Counter[str] = Counter()  # by reason code
        #: the first reason of each code (a dead letter's reason carries no personal data)
        self.first_reason: dict[str, str] = {}
        self._apply: dict[str, Callable[[dict[str, Any], ConsumerRecord], None]] = {
            DOSSIER_EVENTS.suffix: self._event, DOSSIER_STATE.suffix: self._state,
            PARTNER_COMMANDS.suffix: self._command, PARTNER_OUTCOMES.suffix: self._outcome,
            PAYMENTS.suffix: self._payments, SLA_ALERTS.suffix: self._alert,
            SLA_DEADLINES.suffix: self._deadline,
            DEADLETTER.suffix: self._dead_letter,
        }  # fmt: skip

    # -- what the runner asks ------------------------------------------------------------------
    def seen(self, dossier_id: str, event_type: str) -> bool:
        with self._lock:
            return event_type in self._seen.get(dossier_id, ())

    def payment_reference(self, dossier_id: str) -> str | None:
        with self._lock:
            return self._payment.get(dossier_id)

    def waybill(self, dossier_id: str, direction: str) -> str | None:
        with self._lock:
            return self._waybill.get((dossier_id, direction))

    def lagging(self, ends: Mapping[int, int]) -> str | None:
        """A worker of ``JUDGES`` that has not applied ``dossier.events`` up to ``ends``
        (partition -> end offset), or None when all have."""
        with self._lock:
            for name, marks in self._marks.values():
                if any(marks.get(p, 0) < end for p, end in ends.items() if end):
                    return name
        return None

    def statuses(self) -> dict[str, str]:
        """Each dossier's status on ``dossier.state``, now."""
        with self._lock:
            return dict(self.status)

    def figures(self) -> tuple[list[int], frozenset[str], dict[str, int]]:
        """Produce -> state milliseconds, dossiers judged late, dead letters by reason."""
        with self._lock:
            return list(self.to_state_ms), frozenset(self.late), dict(self.dead_letters)

    def dead_letter_reasons(self) -> dict[str, str]:
        with self._lock:
            return dict(self.first_reason)

    def without_outcome(self) -> list[str]:
        with self._lock:
            return sorted(set(self.commands) - set(self.outcomes))

    def summary(self) -> Summary:
        with self._lock:
            filed = sum("DOSSIER_SUBMITTED" in kinds for kinds in self._seen.values())
            states = Counter(self.status.values())
            closed = sum(n for status, n in states.items() if status in TERMINAL)
            outcomes = Counter(outcome for _, outcome in self.outcomes.values())
            return Summary(self.events, filed, filed - closed, states["RESULT_RETURNED"],
                           states["REFUSED"], len(self.late), len(self.commands),
                           dict(outcomes), sum(self.dead_letters.values()))  # fmt: skip

    def per_partner(self) -> dict[str, Counter[str]]:
        """Commands and their outcomes, per partner."""
        with self._lock:
            found: dict[str, Counter[str]] = defaultdict(Counter)
            for partner in self.commands.values():
                found[partner]["commands"] += 1
            for partner, outcome in self.outcomes.values():
                found[partner][outcome] += 1
            return dict(found)

    # -- the consumer --------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)

    def run(self) -> None:
        consumer = kafka.make_consumer(self._settings, group_id=None, max_poll_records=5000)
        try:
            partitions = [tp for topic in (*self._serdes, *self._marks)
                          for tp in kafka.partitions_of(consumer, topic, timeout_s=30)]  # fmt: skip
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            while not self._stopping.is_set():
                for tp, records in consumer.poll(timeout_ms=POLL_MS).items():
                    if tp.topic in self._marks:
                        self._marked(self._marks[tp.topic][1], records)
                        continue
                    spec, serde = self._serdes[tp.topic]
                    apply = self._apply[spec.suffix]
                    # decoded outside the lock: a registry outage must not block the runner
                    decoded = [(self._decoded(serde, r.value), r) for r in records if r.value]
                    with self._lock:
                        for value, record in decoded:
                            if value is not None:
                                apply(value, record)
        except BaseException as exc:  # the runner reports it and stops: never silently stale
            self.error = exc
        finally:
            consumer.close()

    def _marked(self, marks: dict[int, int], records: list[ConsumerRecord]) -> None:
        """A changelog's records: only the marks count (the states are the worker's)."""
        with self._lock:
            for record in records:
                if record.key is not None and is_mark(record.key) and record.value:
                    marks[partition_of_mark(record.key)] = int(record.value)

    def _decoded(self, serde: AvroSerde, data: bytes) -> dict[str, Any] | None:
        """The record, or None for poison (the processors dead-letter it); a registry outage
        (the fault suite restarts it) is waited out, as the hub's processors do."""
        while True:
            try:
                return dict(serde.decode(data))
            except DecodeError:
                return None
            except RegistryError:
                if self._stopping.wait(REGISTRY_RETRY_S):
                    raise

    def _event(self, event: dict[str, Any], record: ConsumerRecord) -> None:
        self.events += 1
        dossier, kind = str(event["dossier_id"]), str(event["event_type"])
        self._seen[dossier].add(kind)
        self._event_ms[str(event["event_id"])] = int(record.timestamp)
        if kind == "POSTAL_ORDER_CREATED":
            payload = event["payload"][1]
            self._waybill[(dossier, str(payload["direction"]))] = str(payload["waybill_number"])

    def _state(self, state: dict[str, Any], record: ConsumerRecord) -> None:
        self.status[str(state["dossier_id"])] = str(state["status"])
        produced = self._event_ms.pop(str(state["last_event_id"]), None)
        if produced is not None:
            self.to_state_ms.append(int(record.timestamp) - produced)

    def _command(self, command: dict[str, Any], _: ConsumerRecord) -> None:
        partner = self._partner_of.get(str(command["command_type"]), "?")
        self.commands[str(command["command_id"])] = partner

    def _outcome(self, outcome: dict[str, Any], _: ConsumerRecord) -> None:
        self.outcomes[str(outcome["command_id"])] = (str(outcome["partner"]),
                                                     str(outcome["outcome"]))  # fmt: skip

    def _payments(self, state: dict[str, Any], _: ConsumerRecord) -> None:
        payments = state["payments"]
        if payments and payments[-1]["payment_url"]:
            self._payment[str(state["dossier_id"])] = str(payments[-1]["payment_reference"])

    def _alert(self, alert: dict[str, Any], _: ConsumerRecord) -> None:
        if alert["kind"] in ("OVERDUE", "REAPPOINTMENT_MISSED"):
            self.late.add(str(alert["dossier_id"]))

    def _deadline(self, deadline: dict[str, Any], _: ConsumerRecord) -> None:
        # judged late by an event too (a result after the deadline), not only by an alert
        if deadline["late"]:
            self.late.add(str(deadline["dossier_id"]))

    def _dead_letter(self, letter: dict[str, Any], _: ConsumerRecord) -> None:
        code = str(letter["reason_code"])
        self.dead_letters[code] += 1
        self.first_reason.setdefault(code, f"{letter['processor']}: {letter['reason']}")
