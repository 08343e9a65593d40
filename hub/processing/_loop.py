"""The one consume loop of the processors that are not folds (a partner call, a signature).

A partner call or a signature is neither pure nor quick, so no fold: they run here, with what
the faust runner gives a fold: ``decode_message`` (unreadable records dead-lettered with their
bytes; a registry outage waited out), its metrics under the handler's ``name`` (events by
outcome, batch seconds, end-to-end latency, readiness), ``/ready``, ``/metrics``, one stop.

Marks. Each consumed message gets a ``Ticket``; the handler calls ``ticket.done(outcome)`` once
what the message caused is acknowledged by the broker, from any thread, in any order (the
outbox runs dossiers' lanes concurrently). The committed offset of a partition is its first
message not done (``PartitionOffsets``), so a crash or a rebalance redelivers from there: at
least once, and a handler derives its outputs' ids from its input so a repeat is recognised.

Rebalances (cooperative-sticky: only the partitions that change owner move). A revoked
partition's finished offsets are sent to be committed (kafka-python 3 calls the rebalance
listener on its IO thread, where a blocking commit raises: the commit is not waited for, and
what it would have covered is redelivered to the new owner if it does not land), its tickets
become stale (``current`` false,
``done`` changes nothing): the new owner redoes them. Over ``max_pending`` messages not done,
the consumer pauses.

Stop (``stop``, or SIGTERM/SIGINT with ``run_until_signalled``): no new message is handed out,
the handler finishes its in-flight work (``drain``), the producer flushes, finished offsets are
committed, then the consumer, the producer and the handler close.

The consumer is used only by ``run``'s thread. A handler's exception is a bug: the message is
dead-lettered (PROCESSING_ERROR, with its bytes) like a fold's.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from prometheus_client import REGISTRY

from hub.deadletter import DeadLetterInput, DeadLetterWriter
from hub.kafka import ensure_topics, make_consumer, partitions_of
from hub.processing import _metrics as m
from hub.processing._avro import decode_message
from hub.processing._handler import LoopHandler, LoopOptions
from hub.processing._http import WebServer
from hub.processing._marks import PartitionOffsets, Ticket
from hub.processing._orphaned_join import rejoin_if_orphaned
from hub.processing._types import Message, Reject
from hub.serde import RegistryClient, RegistryError, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER

log = logging.getLogger("hub.processing.loop")
T = TypeVar("T")
#: Commits refused this long in a row end the worker (``GroupStuck``), so that its supervisor
#: starts a fresh group member: the fault suite saw kafka-python 3.0.12's consumer stay in a
#: rebalance for minutes after a broker kill (elected leader, the assignment never synced),
#: every commit refused; ``_orphaned_join`` now puts that case right after one poll, and this
#: stays the way out of any other. A normal rebalance takes seconds.
STUCK_AFTER_S = 60.0


#: The group's rebalance timeout (kafka-python's ``max_poll_interval_ms``, default 5 min): how
#: long a rebalance waits for members that do not rejoin, a killed worker among them after its
#: group's coordinator moved (the fault suite saw the outboxes wait 5 min after a broker kill).
#: The loop polls every ``poll_timeout_s`` and never blocks between polls for longer than a
#: commit's request timeout (30 s), so a live member always rejoins in time.
REBALANCE_TIMEOUT_MS = 60_000


class GroupStuck(RuntimeError):
    """The consumer's group membership did not recover within ``STUCK_AFTER_S``."""


class ConsumeLoop:
    """Runs ``handler`` on ``handler.source`` in ``options.group_id`` (``run`` blocks until
    ``stop``). It owns ``producer`` (the handler's too: dead letters go through it) and closes
    it; ``registry`` stays the caller's."""

    def __init__(
        self, settings: Settings, handler: LoopHandler, options: LoopOptions, *,
        producer: KafkaProducer, registry: RegistryClient,
    ) -> None:  # fmt: skip
        self.settings, self.handler, self.options = settings, handler, options
        self.producer = producer
        self.name = handler.name
        self.topic = handler.source.name(settings.topic_prefix)
        self._serde = serde_for(handler.source, settings.topic_prefix, registry)
        self._deadletters = DeadLetterWriter(settings, producer, registry)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._offsets: dict[TopicPartition, PartitionOffsets] = {}
        self._generation: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._joined = self._running = self._paused = False
        self._refused_since: float | None = None  # first commit refused since the last accepted
        self._behind: list[int] = []  # partitions with records not read yet, at the last tick
        self._web: WebServer | None = None
        if options.web_port is not None:
            self._web = WebServer(options.web_host, options.web_port, self.status,
                                  (REGISTRY, *handler.metric_registries))  # fmt: skip

    @property
    def web_port(self) -> int | None:
        return self._web.port if self._web else None

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Consume until ``stop``; then drain the handler, commit and close."""
        consumer = None
        if self._web:  # first: /ready answers (503) while the worker starts
            self._web.start()
        try:
            ensure_topics(self.settings, [self.handler.source, *self.handler.outputs, DEADLETTER])
            self._retry_registry(self.handler.open, "opening")
            session_ms = int(self.options.session_timeout_s * 1000)
            consumer = make_consumer(
                self.settings, group_id=self.options.group_id, client_id=self.options.client_id,
                max_poll_records=self.options.max_poll_records, metadata_max_age_ms=10_000,
                session_timeout_ms=session_ms, heartbeat_interval_ms=min(3_000, session_ms // 3),
                partition_assignment_strategy=(CooperativeStickyAssignor,),
                max_poll_interval_ms=REBALANCE_TIMEOUT_MS,
            )  # fmt: skip
            # a group joined before its metadata has a new topic is assigned nothing for minutes
            partitions_of(consumer, self.topic, timeout_s=60.0)
            consumer.subscribe([self.topic], listener=_Listener(self, consumer))
            self._running = True
            self._consume(consumer)
        finally:
            self._running = False
            self.stopping.set()
            m.READY.labels(self.name).set(0)
            self.handler.drain()
            self.producer.flush(timeout=self.options.ack_timeout_s)
            if consumer is not None:
                self._commit(consumer)
                consumer.close(autocommit=False)
            self.producer.close(timeout=self.options.ack_timeout_s)
            self.handler.close()
            if self._web:
                self._web.stop()

    def _consume(self, consumer: KafkaConsumer) -> None:
        last_tick = 0.0
        while not self.stopping.is_set():
            batch = consumer.poll(timeout_ms=int(self.options.poll_timeout_s * 1000))
            if rejoin_if_orphaned(consumer, self.name):
                m.REJOINS.labels(self.name).inc()
            if batch:
                started, handed = time.monotonic(), 0
                for tp, records in batch.items():
                    for record in records:
                        if self.stopping.is_set():
                            break  # not handed out: redelivered after the restart
                        self._dispatch(tp, record)
                        handed += 1
                m.BATCH_SIZE.labels(self.name).observe(handed)
                m.BATCH_SECONDS.labels(self.name).observe(time.monotonic() - started)
            self._apply_backpressure(consumer)
            if time.monotonic() - last_tick >= self.options.commit_interval_s:
                self._commit(consumer)
                self._tick(consumer)
                last_tick = time.monotonic()
                refused = self._refused_since
                if refused is not None and last_tick - refused > STUCK_AFTER_S:
                    raise GroupStuck(f"{self.name}: every commit refused for "
                                     f"{last_tick - refused:.0f} s, leaving the group")  # fmt: skip

    def _retry_registry(self, action: Callable[[], T], what: str) -> T | None:
        """``action()``, waiting out a registry outage (None if stopped meanwhile)."""
        while not self.stopping.is_set():
            try:
                return action()
            except RegistryError as exc:
                m.REGISTRY_RETRIES.labels(self.name).inc()
                log.warning("%s: registry unavailable %s, retrying: %s", self.name, what, exc)
                self.stopping.wait(1.0)
        return None

    def _dispatch(self, tp: TopicPartition, record: ConsumerRecord) -> None:
        with self._lock:
            offsets = self._offsets.get(tp)
            generation = self._generation.get(tp, 0)
        if offsets is None:  # revoked between poll and here
            return
        offsets.add(record.offset)
        message = Message.of_record(record)
        ticket = Ticket(message, generation, time.monotonic(), self)
        value = self._retry_registry(lambda: decode_message(self._serde, message), "decoding")
        if value is None:  # stopped while the registry was away: redelivered
            return
        if not isinstance(value, Reject):
            try:
                value = self.handler.handle(ticket, value)
            except Exception as exc:  # a bug in the handler: set aside, like a fold's
                # the type only: the message may carry personal data (it is in the dead letter)
                log.error("%s: handler raised %s at %s:%s", self.name, type(exc).__name__,
                          tp.partition, record.offset)  # fmt: skip
                value = Reject("PROCESSING_ERROR", f"{type(exc).__name__}: {exc}")
        if isinstance(value, Reject):
            self._dead_letter(ticket, value)

    def _dead_letter(self, ticket: Ticket, reject: Reject) -> None:
        msg = ticket.message
        letter = DeadLetterInput(
            processor=self.name, reason_code=reject.reason_code, reason=reject.reason,
            original_value=msg.value, source_topic=msg.topic, source_partition=msg.partition,
            source_offset=msg.offset, original_key=msg.key, headers=msg.headers,
        )  # fmt: skip
        while ticket.current:
            try:
                self._deadletters.send(letter, timeout_s=self.options.ack_timeout_s)
                ticket.done("dead_lettered")
                return
            except (KafkaError, RegistryError) as exc:
                log.warning("%s: dead letter not written yet, retrying: %s", self.name, exc)
                self.stopping.wait(1.0)

    def _current(self, ticket: Ticket) -> bool:
        with self._lock:
            return (
                not self.stopping.is_set() and self._generation.get(ticket.tp) == ticket.generation
            )

    def _done(self, ticket: Ticket, outcome: str) -> None:
        tp = ticket.tp
        with self._lock:
            stale = self._generation.get(tp) != ticket.generation
            offsets = None if stale else self._offsets.get(tp)
        if offsets is None or ticket.message.offset is None:
            return  # the partition's new owner redoes it
        offsets.done(ticket.message.offset)
        m.EVENTS.labels(self.name, outcome).inc()
        if ticket.message.timestamp_ms is not None:
            latency = time.time() - ticket.message.timestamp_ms / 1000
            m.END_TO_END.labels(self.name).observe(max(0.0, latency))

    def _apply_backpressure(self, consumer: KafkaConsumer) -> None:
        # from the consumer's own state each time: a rebalance may add partitions, unpaused
        pending = self.pending
        if pending >= self.options.max_pending:
            if unpaused := set(consumer.assignment()) - set(consumer.paused()):
                consumer.pause(*unpaused)
            self._paused = True
        elif self._paused and pending <= self.options.max_pending // 2:
            consumer.resume(*consumer.paused())
            self._paused = False

    def _tick(self, consumer: KafkaConsumer) -> None:
        now = time.monotonic()
        with self._lock:
            tracked = dict(self._offsets)
        idle, behind_partitions = {}, []
        for tp, offsets in tracked.items():
            highwater = consumer.highwater(tp)
            try:
                position = consumer.position(tp, timeout_ms=0)
            except KafkaError:  # revoked meanwhile, or not known yet
                position = None
            behind = highwater is not None and position is not None and position < highwater
            idle[tp.partition] = offsets.idle_s(behind=behind, now=now)
            if highwater is None or position is None or position < highwater:
                behind_partitions.append(tp.partition)  # or not fetched yet: not known caught up
        self._behind = sorted(behind_partitions)
        self.handler.tick(idle)
        # in the group and consuming; not the handler's own state (a partner down has its alert)
        m.READY.labels(self.name).set(1 if self._running and self._joined else 0)

    def _commit(
        self, consumer: KafkaConsumer, only: Iterable[TopicPartition] | None = None,
        *, wait: bool = True,
    ) -> None:  # fmt: skip
        with self._lock:
            tracked = dict(self._offsets)
        wanted = set(only) if only is not None else set(tracked)
        offsets = {}
        for tp in wanted & set(tracked):
            position = tracked[tp].committable()
            if position is not None and position != self._committed.get(tp):
                offsets[tp] = OffsetAndMetadata(position, "", -1)
        if not offsets:
            if only is None:
                self._refused_since = None  # nothing waits to be committed: nothing refused
            return
        if not wait:
            consumer.commit_async(offsets, callback=self._commit_answered)
            return
        try:
            consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:  # a rebalance: the new owner redoes it
            log.warning("%s: commit failed (%s): those messages will be redelivered",
                        self.name, exc)  # fmt: skip
            self._refused_since = self._refused_since or time.monotonic()
            return
        self._refused_since = None
        for tp, meta in offsets.items():
            self._committed[tp] = meta.offset

    def _commit_answered(self, offsets: Mapping[TopicPartition, OffsetAndMetadata],
                         answer: object) -> None:  # fmt: skip
        """A commit sent without waiting (a revocation's), answered: only a failure matters."""
        if isinstance(answer, Exception):
            log.warning("%s: commit of revoked partitions %s failed (%s): the new owner "
                        "redelivers them", self.name, _numbers(offsets), answer)  # fmt: skip

    def _assigned(self, partitions: Sequence[TopicPartition]) -> None:
        log.info("%s: assigned partitions %s", self.name, _numbers(partitions))
        with self._lock:
            for tp in partitions:
                self._offsets[tp] = PartitionOffsets()
                self._generation[tp] = self._generation.get(tp, 0) + 1
            self._joined = True

    def _revoked(self, consumer: KafkaConsumer, partitions: Sequence[TopicPartition]) -> None:
        log.info("%s: partitions %s revoked", self.name, _numbers(partitions))
        self._commit(consumer, only=partitions, wait=False)  # on kafka-python's IO thread
        with self._lock:
            for tp in partitions:
                self._offsets.pop(tp, None)
                self._committed.pop(tp, None)
                self._generation[tp] = self._generation.get(tp, 0) + 1
        self.handler.revoked(_numbers(partitions))

    @property
    def pending(self) -> int:  # messages read and not done
        with self._lock:
            return sum(len(o) for o in self._offsets.values())

    @property
    def ready(self) -> bool:
        return self._running and self._joined and self.handler.ready()

    def status(self) -> Mapping[str, object]:
        """The ``/ready`` document: ready once in the group, while the handler can work."""
        with self._lock:
            assigned = sorted(f"{tp.topic}:{tp.partition}" for tp in self._offsets)
        return {
            "ready": self.ready, "processor": self.name, "group": self.options.group_id,
            "assigned": assigned, "pending": self.pending, "behind": self._behind,
            "paused": self._paused,
            **self.handler.details(),
        }  # fmt: skip


def run_until_signalled(loop: ConsumeLoop) -> None:
    """``loop.run()`` in the main thread until SIGTERM or SIGINT (then it stops cleanly)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    loop.run()


def _numbers(partitions: Iterable[TopicPartition]) -> list[int]:
    return sorted(tp.partition for tp in partitions)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: ConsumeLoop, consumer: KafkaConsumer) -> None:
        self.loop = loop
        self.consumer = consumer

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.loop._revoked(self.consumer, list(revoked))

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.loop._assigned(list(assigned))
