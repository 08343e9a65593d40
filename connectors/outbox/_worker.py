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
from datetime import UTC, datetime
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

from connectors.outbox._breaker import BreakerState, CircuitBreaker
from connectors.outbox._metrics import OutboxMetrics
from connectors.outbox._offsets import PartitionOffsets
from connectors.outbox._outcomes import ACCEPTED, FAILED, REJECTED, Finished, event_record
from connectors.outbox._policy import BreakerPolicy, RetryPolicy
from connectors.outbox._types import (
    CallFailed,
    Command,
    EventDraft,
    PartnerClient,
    Permanent,
    Transient,
)
from connectors.outbox._web import WebServer
from hub.deadletter import DeadLetterInput, DeadLetterWriter
from hub.kafka import (
    GROUP_SESSION_TIMEOUT_MS,
    ensure_topics,
    make_consumer,
    make_producer,
    partitions_of,
)
from hub.serde import AvroSerde, DecodeError, RegistryClient, RegistryError, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES

log = logging.getLogger("connectors.outbox")


@dataclass(frozen=True)
class OutboxOptions:
    """How one outbox worker runs."""

    concurrency: int = 16
    max_pending: int = 5_000
    commit_interval_s: float = 0.5
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    #: None: ``<prefix>outbox.<partner>``.
    group_id: str | None = None
    web_host: str = "127.0.0.1"
    #: None: no web server; 0: any free port.
    web_port: int | None = None
    ack_timeout_s: float = 30.0
    #: How long the group waits for a worker that stopped heartbeating (a kill -9) before its
    #: partitions move: the bound on a stall after a crash (kafka-python's default is 45 s).
    session_timeout_s: float = GROUP_SESSION_TIMEOUT_MS / 1000


def group_for(settings: Settings, partner: str) -> str:
    """The consumer group of ``partner``'s outbox (each partner reads every command)."""
    return f"{settings.topic_prefix}outbox.{partner}"


@dataclass
class _Work:
    tp: TopicPartition
    offset: int
    generation: int
    command: Command
    consumed_at: float


@dataclass
class _Lane:
    queue: deque[_Work] = field(default_factory=deque)


class _Unpublished(Exception):
    """The outcome could not be put on the broker before the work was abandoned."""


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
        self._deadletters = DeadLetterWriter(settings, self._producer, self._registry)
        self._outcomes_topic = PARTNER_OUTCOMES.name(prefix)
        self._events_topic = DOSSIER_EVENTS.name(prefix)

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
        command = self._decode(tp, record)
        if command is None:
            offsets.done(record.offset)
            return
        if command.command_type not in self.client.command_types:
            self.metrics.skipped.labels(self.partner).inc()
            offsets.done(record.offset)
            return
        work = _Work(tp, record.offset, generation, command, time.monotonic())
        with self._lock:
            lane = self._lanes.get(command.dossier_id)
            idle = lane is None
            if lane is None:
                lane = self._lanes[command.dossier_id] = _Lane()
            lane.queue.append(work)
        if idle:
            self._executor.submit(self._run_lane, command.dossier_id)

    def _decode(self, tp: TopicPartition, record: Any) -> Command | None:
        while not self._stopping.is_set():
            try:
                return Command.of_record(self._commands.decode(record.value))
            except DecodeError as exc:
                self._dead_letter(tp, record, str(exc))
                return None
            except RegistryError as exc:  # an outage: the record is fine, wait for the registry
                log.warning("registry unavailable decoding a command, retrying: %s", exc)
                self._stopping.wait(1.0)
            except (KeyError, TypeError, ValueError) as exc:
                self._dead_letter(tp, record, f"not a PartnerCommand: {exc}")
                return None
        return None

    def _dead_letter(self, tp: TopicPartition, record: Any, reason: str) -> None:
        letter = DeadLetterInput(
            processor=f"outbox.{self.partner}", reason_code="UNDECODABLE", reason=reason,
            original_value=record.value or b"", source_topic=tp.topic,
            source_partition=tp.partition, source_offset=record.offset, original_key=record.key,
            headers=tuple((str(k), v) for k, v in (record.headers or ())),
        )  # fmt: skip
        while not self._stopping.is_set():
            try:
                self._deadletters.send(letter, timeout_s=self.options.ack_timeout_s)
                self.metrics.deadletters.labels(self.partner).inc()
                return
            except (KafkaError, RegistryError) as exc:
                log.warning("dead letter not written yet, retrying: %s", exc)
                self._stopping.wait(1.0)

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
                    self._execute(work)  # its offset is marked done once its outcome is acked
            except Exception:  # never lose the lane thread: the command is redelivered later
                log.exception(
                    "outbox %s: command %s abandoned", self.partner, work.command.command_id
                )

    def _current(self, work: _Work) -> bool:
        with self._lock:
            return not self._stopping.is_set() and self._generation.get(work.tp) == work.generation

    def _done(self, work: _Work) -> None:
        with self._lock:
            offsets = self._offsets.get(work.tp) if self._current_locked(work) else None
        if offsets is not None:
            offsets.done(work.offset)

    def _current_locked(self, work: _Work) -> bool:
        return self._generation.get(work.tp) == work.generation

    def _execute(self, work: _Work) -> bool:
        """Call until there is an outcome (True: sent, marked done once acknowledged) or the
        work is abandoned (False: not done, redelivered)."""
        command = work.command
        attempt = 0
        first: datetime | None = None
        retry = self.options.retry
        while self._current(work):
            wait = self.breaker.wait_s()
            if wait > 0:
                self._stopping.wait(min(wait, 0.5))
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
                return self._finish(work, REJECTED, attempt, first, None, exc, drafts)
            except Exception as exc:  # Transient, or a client bug: retry, never lose it
                error = exc if isinstance(exc, CallFailed) else Transient("CLIENT_ERROR", repr(exc))
                if not isinstance(exc, Transient):
                    log.exception("outbox %s: client raised %s", self.partner, type(exc).__name__)
                self._observe(command, started, "transient")
                self._breaker_failed()
                if retry.exhausted(attempt):
                    drafts = self.client.failure_events(command, error, attempt, False)
                    return self._finish(work, FAILED, attempt, first, None, error, drafts)
                if attempt == retry.report_after:
                    drafts = self.client.failure_events(command, error, attempt, True)
                    self._publish_events(work, drafts, "retrying")
                log.info(
                    "outbox %s: %s attempt %d failed (%s), retrying",
                    self.partner, command.command_id, attempt, error.code,
                )  # fmt: skip
                self.metrics.retries.labels(self.partner).inc()
                self._stopping.wait(retry.delay_s(attempt))
                continue
            self._observe(command, started, "accepted")
            self.breaker.succeeded()
            return self._finish(
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

    def _finish(
        self,
        work: _Work,
        outcome: str,
        attempts: int,
        first: datetime,
        reference: str | None,
        error: CallFailed | None,
        drafts: Sequence[EventDraft],
    ) -> bool:
        now = datetime.now(UTC)
        finished = Finished(
            work.command, self.partner, outcome, attempts, first, now, reference, error
        )
        records = [
            (self._events_topic, self._events.encode(event_record(work.command, d, now, outcome)))
            for d in drafts
        ]
        records.append((self._outcomes_topic, self._outcomes.encode(finished.outcome_record())))
        self._produce_then_done(work, records, outcome)
        return True

    # The lane goes on to the dossier's next command while the broker acknowledges this one's
    # outcome: the partner's order is the order of the calls, and the outcomes of one dossier
    # leave one idempotent producer for one partition in order. The offset is marked done only
    # in the acknowledgement's callback; a failed send is retried from a lane thread.
    def _produce_then_done(
        self, work: _Work, records: Sequence[tuple[str, bytes]], outcome: str
    ) -> None:
        key = work.command.dossier_id.encode()
        try:
            futures = [self._producer.send(t, key=key, value=v) for t, v in records]
        except KafkaError:
            self._retry_publication(work, records, outcome)
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
                self._retry_publication(work, records, outcome)
            elif last:
                self._acknowledged(work, outcome)

        for future in futures:
            future.add_callback(lambda _: settled(True))
            future.add_errback(lambda _: settled(False))

    def _retry_publication(
        self, work: _Work, records: Sequence[tuple[str, bytes]], outcome: str
    ) -> None:
        def again() -> None:
            with contextlib.suppress(_Unpublished):
                self._produce(work, records)
                self._acknowledged(work, outcome)

        with contextlib.suppress(RuntimeError):  # shutting down: redelivered after the restart
            self._executor.submit(again)

    def _acknowledged(self, work: _Work, outcome: str) -> None:
        self.metrics.outcomes.labels(self.partner, outcome).inc()
        self._done(work)

    def _publish_events(self, work: _Work, drafts: Sequence[EventDraft], tag: str) -> None:
        now = datetime.now(UTC)
        records = [
            (self._events_topic, self._events.encode(event_record(work.command, d, now, tag)))
            for d in drafts
        ]
        with contextlib.suppress(_Unpublished):  # the final outcome is what matters
            self._produce(work, records)

    def _produce(self, work: _Work, records: Sequence[tuple[str, bytes]]) -> None:
        key = work.command.dossier_id.encode()
        while self._current(work):
            try:
                futures = [self._producer.send(t, key=key, value=v) for t, v in records]
                for future in futures:
                    future.get(timeout=self.options.ack_timeout_s)
                return
            except KafkaError as exc:
                log.warning("outbox %s: outcome not acknowledged, retrying: %s", self.partner, exc)
                self._stopping.wait(1.0)
        raise _Unpublished

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
