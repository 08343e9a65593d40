"""The outbox worker: one consumer group per partner, commands in, partner calls, outcomes out.

Order and concurrency. A dossier's commands share its Kafka key, so they are in one partition
and in order; the worker runs them one after the other in that dossier's *lane*, and runs the
lanes of different dossiers concurrently (``concurrency`` threads). A later status therefore
never overtakes an earlier one at the partner, while one slow dossier does not hold up the rest.

At-least-once. A command's offset is committed only once its outcome (and the dossier events it
means) are on the broker; the committed offset of a partition is its first unfinished command
(``PartitionOffsets``). A crash or a rebalance redelivers from there: commands already done are
called again with the same idempotency key (the partner answers as before, nothing doubles) and
give records with the same derived ids. A transient failure is retried with backoff for as long
as it takes (``RetryPolicy.max_attempts`` None): nothing is lost to an outage of any length.
While the breaker is open nobody calls; the consumer pauses once ``max_pending`` commands wait.

Threads. The kafka-python consumer is used only by the thread in ``run``; the producer and the
partner client are shared by the lane threads.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

from connectors.outbox._breaker import BreakerState, CircuitBreaker
from connectors.outbox._calls import Caller
from connectors.outbox._decode import CommandDecoder
from connectors.outbox._metrics import OutboxMetrics
from connectors.outbox._offsets import PartitionOffsets
from connectors.outbox._policy import OutboxOptions, group_for
from connectors.outbox._publish import OutcomePublisher, Work
from connectors.outbox._types import (
    PartnerClient,
)
from connectors.outbox._web import WebServer
from hub.deadletter import DeadLetterWriter
from hub.kafka import (
    ensure_topics,
    make_consumer,
    make_producer,
    partitions_of,
)
from hub.serde import AvroSerde, RegistryClient, RegistryError, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES

log = logging.getLogger("connectors.outbox")


@dataclass
class _Lane:
    queue: deque[Work] = field(default_factory=deque)


class OutboxWorker:
    """Drives ``client`` from ``<prefix>partner.commands``; ``run`` blocks until ``stop``."""

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
        self.options = options or OutboxOptions()
        self.group_id = self.options.group_id or group_for(settings, self.partner)
        self.metrics = OutboxMetrics(self.partner)
        self.breaker = CircuitBreaker(self.options.breaker)
        self._registry = registry or RegistryClient(settings.schema_registry_url)
        self._owns_registry = registry is None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}
        self._offsets: dict[TopicPartition, PartitionOffsets] = {}
        self._generation: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._first_pending: set[TopicPartition] = set()
        self._joined = False
        self._running = False
        self._paused = False
        self._executor = ThreadPoolExecutor(
            self.options.concurrency, thread_name_prefix=f"outbox-{self.partner}"
        )
        self._web: WebServer | None = None
        if self.options.web_port is not None:
            self._web = WebServer(
                self.options.web_host, self.options.web_port, self.status, self.metrics.registry
            )
        prefix = settings.topic_prefix
        self._commands: AvroSerde = serde_for(PARTNER_COMMANDS, prefix, self._registry)
        self._outcomes: AvroSerde = serde_for(PARTNER_OUTCOMES, prefix, self._registry)
        self._events: AvroSerde = serde_for(DOSSIER_EVENTS, prefix, self._registry)
        self._producer = make_producer(settings, client_id=f"dvchub-outbox-{self.partner}")
        self._decoder = CommandDecoder(
            self.partner, self._commands,
            DeadLetterWriter(settings, self._producer, self._registry), self.metrics,
            self.options.ack_timeout_s, self._stopping,
        )  # fmt: skip
        self._publisher = OutcomePublisher(
            self.partner, self._producer, self._outcomes, self._events,
            PARTNER_OUTCOMES.name(prefix), DOSSIER_EVENTS.name(prefix), self.metrics,
            self.options.ack_timeout_s, self._stopping, self._current, self._done,
            self._executor.submit,
        )  # fmt: skip
        self._caller = Caller(
            self.partner, client, self.options.retry, self.breaker, self.metrics,
            self._publisher, self._stopping, self._current,
        )  # fmt: skip

    @property
    def web_port(self) -> int | None:
        return self._web.port if self._web else None

    # -- the consumer thread ----------------------------------------------------------------

    def run(self) -> None:
        """Consume until ``stop``; then finish in-flight attempts, commit and close."""
        ensure_topics(
            self.settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER]
        )
        # registered here, once: lane threads registering a new subject at the same time race
        self._warm_up()
        topic = PARTNER_COMMANDS.name(self.settings.topic_prefix)
        session_ms = int(self.options.session_timeout_s * 1000)
        # Cooperative rebalancing: a worker joining or leaving moves only the partitions that
        # change owner; the others' commands go on (eager rebalancing stopped every worker
        # until the dead one's session expired).
        consumer = make_consumer(
            self.settings, group_id=self.group_id, client_id=f"dvchub-outbox-{self.partner}",
            max_poll_records=500, metadata_max_age_ms=10_000, session_timeout_ms=session_ms,
            heartbeat_interval_ms=min(3_000, session_ms // 3),
            partition_assignment_strategy=(CooperativeStickyAssignor,),
        )  # fmt: skip
        # A topic just created may be missing from the metadata for a moment. The consumer's
        # own metadata must hold it before joining: a group joined without it was assigned
        # nothing, and kept so for over a minute (asking the producer did not help).
        partitions_of(consumer, topic, timeout_s=60.0)
        consumer.subscribe([topic], listener=_Listener(self, consumer))
        if self._web:
            self._web.start()
        self._running = True
        last_commit = 0.0
        try:
            while not self._stopping.is_set():
                batch = consumer.poll(timeout_ms=100)
                for tp, records in batch.items():
                    for record in records:
                        self._dispatch(tp, record)
                self._apply_backpressure(consumer)
                if time.monotonic() - last_commit >= self.options.commit_interval_s:
                    self._commit(consumer)
                    self._update_gauges()
                    self._update_idle(consumer)
                    last_commit = time.monotonic()
        finally:
            self._running = False
            self._stopping.set()
            self._executor.shutdown(wait=True, cancel_futures=True)
            # the outcomes still in flight: their acknowledgements mark offsets done first
            self._producer.flush(timeout=self.options.ack_timeout_s)
            self._commit(consumer)
            consumer.close(autocommit=False)
            self._producer.close(timeout=self.options.ack_timeout_s)
            self.client.close()
            if self._owns_registry:
                self._registry.close()
            if self._web:
                self._web.stop()

    def stop(self) -> None:
        self._stopping.set()

    def _warm_up(self) -> None:
        while not self._stopping.is_set():
            try:
                _ = self._outcomes.schema_id, self._events.schema_id
                return
            except RegistryError as exc:
                log.warning("registry unavailable at start-up, retrying: %s", exc)
                self._stopping.wait(1.0)

    def _dispatch(self, tp: TopicPartition, record: Any) -> None:
        with self._lock:
            offsets = self._offsets.get(tp)
            generation = self._generation.get(tp, 0)
        if offsets is None:  # revoked between poll and here
            return
        if tp in self._first_pending:
            self._first_pending.discard(tp)
            log.info("outbox %s: partition %s starts at offset %s",
                     self.partner, tp.partition, record.offset)  # fmt: skip
        offsets.add(record.offset)
        command = self._decoder.decode(tp, record)
        if command is None:
            offsets.done(record.offset)
            return
        if command.command_type not in self.client.command_types:
            self.metrics.skipped.labels(self.partner).inc()
            offsets.done(record.offset)
            return
        work = Work(tp, record.offset, generation, command, time.monotonic())
        with self._lock:
            lane = self._lanes.get(command.dossier_id)
            idle = lane is None
            if lane is None:
                lane = self._lanes[command.dossier_id] = _Lane()
            lane.queue.append(work)
        if idle:
            self._executor.submit(self._run_lane, command.dossier_id)

    def _apply_backpressure(self, consumer: Any) -> None:
        # from the consumer's own state each time: a rebalance may add partitions, unpaused
        pending = self.pending
        if pending >= self.options.max_pending:
            if unpaused := set(consumer.assignment()) - set(consumer.paused()):
                consumer.pause(*unpaused)
            self._paused = True
        elif self._paused and pending <= self.options.max_pending // 2:
            consumer.resume(*consumer.paused())
            self._paused = False

    def _update_idle(self, consumer: Any) -> None:
        """The time without progress of each assigned partition that has work to do."""
        now = time.monotonic()
        with self._lock:
            tracked = dict(self._offsets)
        for tp, offsets in tracked.items():
            highwater = consumer.highwater(tp)
            try:
                position = consumer.position(tp, timeout_ms=0)
            except KafkaError:  # revoked meanwhile, or not known yet
                position = None
            behind = highwater is not None and position is not None and position < highwater
            idle = offsets.idle_s(behind=behind, now=now)
            self.metrics.partition_idle.labels(self.partner, str(tp.partition)).set(idle)

    def _commit(self, consumer: Any, only: Iterable[TopicPartition] | None = None) -> None:
        with self._lock:
            tracked = dict(self._offsets)
        wanted = set(only) if only is not None else set(tracked)
        offsets = {}
        for tp in wanted & set(tracked):
            position = tracked[tp].committable()
            if position is not None and position != self._committed.get(tp):
                offsets[tp] = OffsetAndMetadata(position, "", -1)
        if not offsets:
            return
        try:
            consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:  # a rebalance: the new owner redoes it
            log.warning("commit failed (%s): those commands will be redelivered", exc)
            return
        for tp, meta in offsets.items():
            self._committed[tp] = meta.offset

    def _assigned(self, partitions: Sequence[TopicPartition]) -> None:
        log.info("outbox %s: assigned partitions %s", self.partner, _numbers(partitions))
        with self._lock:
            for tp in partitions:
                self._first_pending.add(tp)
                self._offsets[tp] = PartitionOffsets()
                self._generation[tp] = self._generation.get(tp, 0) + 1
            self._joined = True

    def _revoked(self, consumer: Any, partitions: Sequence[TopicPartition]) -> None:
        log.info("outbox %s: partitions %s revoked", self.partner, _numbers(partitions))
        self._commit(consumer, only=partitions)
        with self._lock:
            for tp in partitions:
                self._offsets.pop(tp, None)
                self._committed.pop(tp, None)
                self._generation[tp] = self._generation.get(tp, 0) + 1
        for tp in partitions:
            with contextlib.suppress(KeyError):
                self.metrics.partition_idle.remove(self.partner, str(tp.partition))

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
                if self._current(work):
                    self._caller.execute(
                        work
                    )  # its offset is marked done once its outcome is acked
            except Exception:  # never lose the lane thread: the command is redelivered later
                log.exception(
                    "outbox %s: command %s abandoned", self.partner, work.command.command_id
                )

    def _current(self, work: Work) -> bool:
        with self._lock:
            return not self._stopping.is_set() and self._generation.get(work.tp) == work.generation

    def _done(self, work: Work) -> None:
        with self._lock:
            offsets = self._offsets.get(work.tp) if self._current_locked(work) else None
        if offsets is not None:
            offsets.done(work.offset)

    def _current_locked(self, work: Work) -> bool:
        return self._generation.get(work.tp) == work.generation

    # -- what ops see ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(len(o) for o in self._offsets.values())

    def _oldest_pending_s(self) -> float:
        now = time.monotonic()
        with self._lock:
            heads = [lane.queue[0].consumed_at for lane in self._lanes.values() if lane.queue]
        return now - min(heads) if heads else 0.0

    def _update_gauges(self) -> None:
        state = self.breaker.state
        self.metrics.breaker_state.labels(self.partner).set(int(state))
        self.metrics.pending.labels(self.partner).set(self.pending)
        self.metrics.oldest_pending.labels(self.partner).set(self._oldest_pending_s())
        self.metrics.ready.labels(self.partner).set(1 if self._is_ready(state) else 0)

    def _is_ready(self, state: BreakerState) -> bool:
        return self._running and self._joined and state is not BreakerState.OPEN

    def status(self) -> Mapping[str, object]:
        """The ``/ready`` document: not ready before joining the group or while the breaker is
        open (the partner is down; commands wait)."""
        state = self.breaker.state
        with self._lock:
            assigned = sorted(f"{tp.topic}:{tp.partition}" for tp in self._offsets)
            lanes = len(self._lanes)
        return {
            "ready": self._is_ready(state),
            "partner": self.partner,
            "group": self.group_id,
            "breaker": state.name.lower(),
            "assigned": assigned,
            "pending": self.pending,
            "dossiers_waiting": lanes,
            "oldest_pending_s": round(self._oldest_pending_s(), 3),
            "paused": self._paused,
        }


def _numbers(partitions: Iterable[TopicPartition]) -> list[int]:
    return sorted(tp.partition for tp in partitions)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: OutboxWorker, consumer: Any) -> None:
        self.worker = worker
        self.consumer = consumer

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.worker._revoked(self.consumer, list(revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.worker._assigned(list(assigned))
