"""A finished command's records on the broker, then its offset marked done: the outbox worker's
publishing role (``OutboxWorker`` composes it; the lanes call it).

The lane goes on to the dossier's next command while the broker acknowledges this one's
outcome: the partner's order is the order of the calls, and the outcomes of one dossier leave
one idempotent producer for one partition in order. The ticket is done only in the
acknowledgement's callback; a failed send is retried from a lane thread.

Evidence (``connectors.evidence``, ``DVC_EVIDENCE=on``): the call's exchange is one more message
of the same batch, not recorded and waited for before it, so the evidence log costs the outbox
one record per call, not one round trip. The ticket is done once the broker acknowledged every
message of the batch, evidence included: a crash before that redelivers the command, whose
exchange is recorded again and dropped by the chain as a repeat (at least once, never a gap).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.errors import KafkaError

from connectors.evidence import Message, OutboundEvidence, outbound_exchange
from connectors.outbox._metrics import OutboxMetrics
from connectors.outbox._outcomes import Finished, event_record
from connectors.outbox._types import CallFailed, Command, EventDraft
from hub.processing import Ticket
from hub.serde import AvroSerde

log = logging.getLogger("connectors.outbox")


@dataclass(frozen=True)
class Work:
    """One consumed command and its ticket (stale after a rebalance; done once acknowledged)."""

    ticket: Ticket
    command: Command


class Unpublished(Exception):
    """The outcome could not be put on the broker before the work was abandoned."""


@dataclass
class OutcomePublisher:
    """Encodes and produces a command's outcome and dossier events; the work's ticket is done
    once the broker acknowledged all of them (while it is still current)."""

    partner: str
    producer: KafkaProducer
    outcomes: AvroSerde
    events: AvroSerde
    outcomes_topic: str
    events_topic: str
    metrics: OutboxMetrics
    ack_timeout_s: float
    stopping: threading.Event
    #: Runs a retry on a lane thread; RuntimeError once shutting down.
    submit: Callable[[Callable[[], None]], object]
    #: Where each call's exchange goes with its outcome (None: evidence off).
    evidence: OutboundEvidence | None = None

    def finish(
        self, work: Work, outcome: str, attempts: int, first: datetime, reference: str | None,
        error: CallFailed | None, drafts: Sequence[EventDraft],
    ) -> bool:  # fmt: skip
        now = datetime.now(UTC)
        finished = Finished(
            work.command, self.partner, outcome, attempts, first, now, reference, error
        )
        records = self._events(work, drafts, now, outcome)
        key = work.command.dossier_id.encode()
        records.append((self.outcomes_topic, key, self.outcomes.encode(finished.outcome_record())))
        if self.evidence is not None:
            exchange = outbound_exchange(
                self.partner, work.command, outcome, attempts, reference, error, drafts
            )
            records.insert(0, self.evidence.message(exchange))
        self._produce_then_done(work, records, outcome)
        return True

    def _events(
        self, work: Work, drafts: Sequence[EventDraft], now: datetime, tag: str
    ) -> list[Message]:
        key = work.command.dossier_id.encode()
        return [
            (self.events_topic, key, self.events.encode(event_record(work.command, d, now, tag)))
            for d in drafts
        ]

    def _produce_then_done(self, work: Work, records: Sequence[Message], outcome: str) -> None:
        try:
            futures = [self.producer.send(t, key=k, value=v) for t, k, v in records]
        except KafkaError:
            self._retry(work, records, outcome)
            return
        pending = [len(futures)]
        failed = [False]
        lock = threading.Lock()

        def settled(ok: bool) -> None:
            with lock:
                failed[0] = failed[0] or not ok
                pending[0] -= 1
                last = pending[0] == 0
            if last and failed[0]:
                self._retry(work, records, outcome)
            elif last:
                self._acknowledged(work, outcome)

        for future in futures:
            future.add_callback(lambda _: settled(True))
            future.add_errback(lambda _: settled(False))

    def _retry(self, work: Work, records: Sequence[Message], outcome: str) -> None:
        def again() -> None:
            with contextlib.suppress(Unpublished):
                self._produce(work, records)
                self._acknowledged(work, outcome)

        with contextlib.suppress(RuntimeError):  # shutting down: redelivered after the restart
            self.submit(again)

    def _acknowledged(self, work: Work, outcome: str) -> None:
        self.metrics.outcomes.labels(self.partner, outcome).inc()
        work.ticket.done(outcome.lower())

    def publish_events(self, work: Work, drafts: Sequence[EventDraft], tag: str) -> None:
        """Events a command means before its outcome (a failure being retried)."""
        records = self._events(work, drafts, datetime.now(UTC), tag)
        with contextlib.suppress(Unpublished):  # the final outcome is what matters
            self._produce(work, records)

    def _produce(self, work: Work, records: Sequence[Message]) -> None:
        while work.ticket.current:
            try:
                futures = [self.producer.send(t, key=k, value=v) for t, k, v in records]
                for future in futures:
                    future.get(timeout=self.ack_timeout_s)
                return
            except KafkaError as exc:
                log.warning("outbox %s: outcome not acknowledged, retrying: %s", self.partner, exc)
                self.stopping.wait(1.0)
        raise Unpublished
