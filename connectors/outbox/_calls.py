"""One command called until it has an outcome: the outbox worker's calling role (retries with
backoff, the circuit breaker, the call metrics). ``OutboxWorker`` composes it; each lane
thread calls ``execute`` for its dossier's commands in order. Every finished call goes to the
publisher, which also puts it in the evidence log (``connectors.evidence``, when enabled)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.outbox._breaker import CircuitBreaker
from connectors.outbox._metrics import OutboxMetrics
from connectors.outbox._outcomes import ACCEPTED, FAILED, REJECTED
from connectors.outbox._policy import RetryPolicy
from connectors.outbox._publish import OutcomePublisher, Work
from connectors.outbox._types import (
    CallFailed,
    Command,
    PartnerClient,
    Permanent,
    Transient,
)

log = logging.getLogger("connectors.outbox")


@dataclass
class Caller:
    partner: str
    client: PartnerClient
    retry: RetryPolicy
    breaker: CircuitBreaker
    metrics: OutboxMetrics
    publisher: OutcomePublisher
    stopping: threading.Event

    def execute(self, work: Work) -> bool:
        """Call until there is an outcome (True: sent, marked done once acknowledged) or the
        work is abandoned (False: not done, redelivered)."""
        command = work.command
        attempt = 0
        first: datetime | None = None
        retry = self.retry
        while work.ticket.current:
            wait = self.breaker.wait_s()
            if wait > 0:
                self.stopping.wait(min(wait, 0.5))
                continue
            attempt += 1
            first = first or datetime.now(UTC)
            started = time.monotonic()
            try:
                accepted = self.client.call(command, attempt)
            except Permanent as exc:
                self._observe(command, started, "rejected")
                self.breaker.succeeded()  # the partner answered: it is up
                drafts = self.client.failure_events(command, exc, attempt, False)
                return self.publisher.finish(work, REJECTED, attempt, first, None, exc, drafts)
            except Exception as exc:  # Transient, or a client bug: retry, never lose it
                error = exc if isinstance(exc, CallFailed) else Transient("CLIENT_ERROR", repr(exc))
                if not isinstance(exc, Transient):
                    log.exception("outbox %s: client raised %s", self.partner, type(exc).__name__)
                self._observe(command, started, "transient")
                self._breaker_failed()
                if retry.exhausted(attempt):
                    drafts = self.client.failure_events(command, error, attempt, False)
                    return self.publisher.finish(work, FAILED, attempt, first, None, error, drafts)
                if attempt == retry.report_after:
                    drafts = self.client.failure_events(command, error, attempt, True)
                    self.publisher.publish_events(work, drafts, "retrying")
                log.info(
                    "outbox %s: %s attempt %d failed (%s), retrying",
                    self.partner, command.command_id, attempt, error.code,
                )  # fmt: skip
                self.metrics.retries.labels(self.partner).inc()
                self.stopping.wait(retry.delay_s(attempt))
                continue
            self._observe(command, started, "accepted")
            self.breaker.succeeded()
            return self.publisher.finish(
                work, ACCEPTED, attempt, first, accepted.reference, None, accepted.events
            )
        return False

    def _breaker_failed(self) -> None:
        before = self.breaker.opened_count
        self.breaker.failed()
        self.metrics.breaker_state.labels(self.partner).set(int(self.breaker.state))
        if self.breaker.opened_count != before:
            self.metrics.breaker_opened.labels(self.partner).inc()
            log.warning("outbox %s: circuit breaker open", self.partner)

    def _observe(self, command: Command, started: float, result: str) -> None:
        self.metrics.latency.labels(self.partner).observe(time.monotonic() - started)
        self.metrics.calls.labels(self.partner, command.command_type, result).inc()
