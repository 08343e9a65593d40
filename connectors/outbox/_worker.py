"""The outbox worker: one consumer group per partner, commands in, partner calls, outcomes out.

It is a handler on the hub's consume loop (``hub.processing.ConsumeLoop``: decoding and dead
letters, commit marks, rebalances, the processor metrics, ``/ready``, the stop); what is its own
is the lanes, the partner calls and the outcomes.

Order and concurrency. A dossier's commands share its Kafka key, so they are in one partition
and in order; the worker runs them one after the other in that dossier's *lane*, and runs the
lanes of different dossiers concurrently (``concurrency`` threads). A later status therefore
never overtakes an earlier one at the partner, while one slow dossier does not hold up the rest.

At-least-once. A command's ticket is done only once its outcome (and the dossier events it
means) are on the broker, and the loop commits a partition's first unfinished command. A crash
or a rebalance redelivers from there: commands already done are called again with the same
idempotency key (the partner answers as before, nothing doubles) and give records with the same
derived ids. A transient failure is retried with backoff for as long as it takes
(``RetryPolicy.max_attempts`` None): nothing is lost to an outage of any length. While the
breaker is open nobody calls; the consumer pauses once ``max_pending`` commands wait.

Threads. The loop's thread hands commands to the lanes; the producer and the partner client are
shared by the lane threads.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from connectors.evidence import outbound_evidence
from connectors.outbox._breaker import BreakerState, CircuitBreaker
from connectors.outbox._calls import Caller
from connectors.outbox._metrics import OutboxMetrics
from connectors.outbox._policy import OutboxOptions, group_for
from connectors.outbox._publish import OutcomePublisher, Work
from connectors.outbox._types import Command, PartnerClient
from hub.kafka import make_producer
from hub.processing import ConsumeLoop, LoopHandler, LoopOptions, Reject, Ticket
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES

log = logging.getLogger("connectors.outbox")


@dataclass
class _Lane:
    queue: deque[Work] = field(default_factory=deque)


class OutboxWorker(LoopHandler):
    """Drives ``client`` from ``<prefix>partner.commands``; ``run`` blocks until ``stop``."""

    source = PARTNER_COMMANDS
    outputs = (PARTNER_OUTCOMES, DOSSIER_EVENTS)

    def __init__(
        self,
        settings: Settings,
        client: PartnerClient,
        options: OutboxOptions | None = None,
        *,
        registry: RegistryClient | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.partner = client.partner
        self.name = f"outbox.{self.partner}"
        self.options = options or OutboxOptions()
        self.group_id = self.options.group_id or group_for(settings, self.partner)
        self.metrics = OutboxMetrics(self.partner)
        self.metric_registries = (self.metrics.registry,)
        self.breaker = CircuitBreaker(self.options.breaker)
        self._registry = registry or RegistryClient(settings.schema_registry_url)
        self._owns_registry = registry is None
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}
        self._executor = ThreadPoolExecutor(
            self.options.concurrency, thread_name_prefix=f"outbox-{self.partner}"
        )
        prefix = settings.topic_prefix
        self._outcomes: AvroSerde = serde_for(PARTNER_OUTCOMES, prefix, self._registry)
        self._events: AvroSerde = serde_for(DOSSIER_EVENTS, prefix, self._registry)
        producer = make_producer(settings, client_id=f"dvchub-outbox-{self.partner}")
        opts = self.options
        self._loop = ConsumeLoop(
            settings, self,
            LoopOptions(
                group_id=self.group_id, client_id=f"dvchub-outbox-{self.partner}",
                commit_interval_s=opts.commit_interval_s, max_pending=opts.max_pending,
                session_timeout_s=opts.session_timeout_s, ack_timeout_s=opts.ack_timeout_s,
                web_host=opts.web_host, web_port=opts.web_port,
            ),
            producer=producer, registry=self._registry,
        )  # fmt: skip
        self._publisher = OutcomePublisher(
            self.partner, producer, self._outcomes, self._events,
            PARTNER_OUTCOMES.name(prefix), DOSSIER_EVENTS.name(prefix), self.metrics,
            opts.ack_timeout_s, self._loop.stopping, self._executor.submit,
            outbound_evidence(settings),
        )  # fmt: skip
        self._caller = Caller(
            self.partner, client, opts.retry, self.breaker, self.metrics,
            self._publisher, self._loop.stopping,
        )  # fmt: skip

    @property
    def web_port(self) -> int | None:
        return self._loop.web_port

    def run(self) -> None:
        """Consume until ``stop``; then finish in-flight attempts, commit and close."""
        try:
            self._loop.run()
        finally:
            if self._owns_registry:
                self._registry.close()

    def stop(self) -> None:
        self._loop.stop()

    # -- the loop's handler -----------------------------------------------------------------

    def open(self) -> None:
        # registered here, once: lane threads registering a new subject at the same time race
        _ = self._outcomes.schema_id, self._events.schema_id

    def handle(self, ticket: Ticket, value: Mapping[str, object]) -> Reject | None:
        try:
            command = Command.of_record(dict(value))
        except (KeyError, TypeError, ValueError) as exc:
            return Reject("UNDECODABLE", f"not a PartnerCommand: {exc}")
        if command.command_type not in self.client.command_types:
            self.metrics.skipped.labels(self.partner).inc()
            ticket.done("skipped")
            return None
        work = Work(ticket, command)
        with self._lock:
            lane = self._lanes.get(command.dossier_id)
            idle = lane is None
            if lane is None:
                lane = self._lanes[command.dossier_id] = _Lane()
            lane.queue.append(work)
        if idle:
            self._executor.submit(self._run_lane, command.dossier_id)
        return None

    def drain(self) -> None:
        # the attempts in flight finish; the queued commands are redelivered after the restart
        self._executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self.client.close()

    def ready(self) -> bool:
        return self.breaker.state is not BreakerState.OPEN

    def tick(self, idle: Mapping[int, float]) -> None:
        # the outbox's own idle gauge: its alert is silenced while the partner is down
        for partition, seconds in idle.items():
            self.metrics.partition_idle.labels(self.partner, str(partition)).set(seconds)
        state = self.breaker.state
        self.metrics.breaker_state.labels(self.partner).set(int(state))
        self.metrics.pending.labels(self.partner).set(self.pending)
        self.metrics.oldest_pending.labels(self.partner).set(self._oldest_pending_s())
        self.metrics.ready.labels(self.partner).set(1 if self._loop.ready else 0)

    def revoked(self, partitions: Sequence[int]) -> None:
        for partition in partitions:
            with contextlib.suppress(KeyError):
                self.metrics.partition_idle.remove(self.partner, str(partition))

    # -- the lane threads --------------------------------------------------------------------

    def _run_lane(self, dossier_id: str) -> None:
        while True:
            with self._lock:
                lane = self._lanes[dossier_id]
                if not lane.queue:
                    del self._lanes[dossier_id]
                    return
                work = lane.queue.popleft()
            try:
                if work.ticket.current:
                    self._caller.execute(work)  # its ticket is done once its outcome is acked
            except Exception:  # never lose the lane thread: the command is redelivered later
                log.exception(
                    "outbox %s: command %s abandoned", self.partner, work.command.command_id
                )

    # -- what ops see ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return self._loop.pending

    def _oldest_pending_s(self) -> float:
        now = time.monotonic()
        with self._lock:
            heads = [q.queue[0].ticket.consumed_at for q in self._lanes.values() if q.queue]
        return now - min(heads) if heads else 0.0

    def status(self) -> Mapping[str, object]:
        """The ``/ready`` document: not ready before joining the group or while the breaker is
        open (the partner is down; commands wait)."""
        return self._loop.status()

    def details(self) -> Mapping[str, object]:
        with self._lock:
            lanes = len(self._lanes)
        return {
            "partner": self.partner,
            "breaker": self.breaker.state.name.lower(),
            "dossiers_waiting": lanes,
            "oldest_pending_s": round(self._oldest_pending_s(), 3),
        }
