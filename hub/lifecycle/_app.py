"""The faust app: consume ``dossier.events``, fold into the ``dossiers`` table, publish states.

The table (``<app id>-dossiers-changelog``) holds each dossier's DossierState encoded exactly as on
``dossier.state`` (Confluent-framed Avro), so what a restarted worker recovers from the changelog
is what integrators read. Values are raw bytes end to end: decoding happens inside the agent, and
a message that does not decode becomes a dead letter, not a crashed agent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import faust
from kafka import TopicPartition
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub.deadletter import DeadLetterInput, DeadLetterWriter
from hub.kafka import make_consumer, make_producer
from hub.lifecycle import _metrics as metrics
from hub.lifecycle._catalog import CatalogView
from hub.lifecycle._core import Applied, Duplicate, LifecycleCore, Pending, RawMessage
from hub.lifecycle._errors import LifecycleError
from hub.serde import RegistryClient, RegistryError, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, DOSSIER_STATE

log = logging.getLogger(__name__)

#: Table key of "next offset to apply" per source partition (never a dossier id: starts with NUL).
#: Written to the same changelog partition as the states it covers, so a worker that takes the
#: partition over knows exactly where the previous owner stopped, whatever the committed offset.
_NEXT_OFFSET = b"\x00lifecycle.next-offset."


@dataclass(frozen=True)
class AppOptions:
    """How one lifecycle app runs; the defaults suit production.

    ``standby_replicas`` is 0: with faust-streaming 0.15.3 a standby promoted to active after a
    SIGKILL sometimes hung in recovery ("No event received for active tp"); the memory store
    recovers the whole changelog anyway. ``commit_interval_s`` is 5 s: every commit flushes the
    producer, and at 1 s the agent stalled (p50 1.4 s at 300 events/s instead of 10 ms).
    """

    app_id: str | None = None  # default: "<topic prefix>lifecycle"
    state_topic: str | None = None  # default: "<topic prefix>dossier.state"
    web_port: int = 6066
    web_enabled: bool = True
    catalog_grace_s: float = 2.0
    session_timeout_s: float = 10.0
    commit_interval_s: float = 5.0
    linger_s: float = 0.005  # batch produce requests (states + changelog) for throughput
    watchdog_s: float = 5.0
    standby_replicas: int = 0


def app_id_for(settings: Settings) -> str:
    return f"{settings.topic_prefix}lifecycle"


class _Runtime:
    """The blocking resources of one worker, opened when the agent starts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = RegistryClient(settings.schema_registry_url)
        prefix = settings.topic_prefix
        self.core = LifecycleCore(
            serde_for(DOSSIER_EVENTS, prefix, self.registry),
            serde_for(DOSSIER_STATE, prefix, self.registry),
        )
        self.catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, self.registry))
        self._deadletters: DeadLetterWriter | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            if self._deadletters is None:
                _ = await asyncio.to_thread(lambda: self.core.states.schema_id)
                self.catalog.start()
                await self.catalog.wait_ready_async()
                producer = await asyncio.to_thread(
                    make_producer, self.settings, client_id="lifecycle-dlq"
                )
                self._deadletters = DeadLetterWriter(self.settings, producer, self.registry)

    async def first_offset(self, topic: str, partition: int) -> int:
        """The log start offset of a partition (where a partition never seen before begins)."""
        return await asyncio.to_thread(_first_offset, self.settings, topic, partition)

    @property
    def started(self) -> bool:
        return self._deadletters is not None

    async def end_offsets(self, topic: str, partitions: list[int]) -> dict[int, int]:
        return await asyncio.to_thread(_end_offsets, self.settings, topic, partitions)

    async def fetch(self, topic: str, partition: int, start: int, stop: int) -> list[RawMessage]:
        """The records of ``[start, stop)`` of one partition, read directly from the broker."""
        return await asyncio.to_thread(_fetch, self.settings, topic, partition, start, stop)

    async def dead_letter(self, letter: DeadLetterInput) -> None:
        assert self._deadletters is not None
        await asyncio.to_thread(self._deadletters.send, letter)
        metrics.EVENTS.labels("dead_lettered").inc()
        metrics.DEAD_LETTERS.labels(letter.reason_code).inc()
        log.info(
            "dead-lettered %s offset %s: %s",
            letter.source_partition, letter.source_offset, letter.reason_code,
        )  # fmt: skip


def _first_offset(settings: Settings, topic: str, partition: int) -> int:
    consumer = make_consumer(settings, group_id=None)
    try:
        tp = TopicPartition(topic, partition)
        return int(consumer.beginning_offsets([tp])[tp])
    finally:
        consumer.close()


def _end_offsets(settings: Settings, topic: str, partitions: list[int]) -> dict[int, int]:
    consumer = make_consumer(settings, group_id=None)
    try:
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return {tp.partition: int(offset) for tp, offset in ends.items()}
    finally:
        consumer.close()


def _fetch(
    settings: Settings, topic: str, partition: int, start: int, stop: int
) -> list[RawMessage]:
    consumer = make_consumer(settings, group_id=None)
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, start)
        out: list[RawMessage] = []
        deadline = time.monotonic() + 60
        while consumer.position(tp) < stop:
            if time.monotonic() > deadline:
                raise LifecycleError(f"could not read {topic}[{partition}] {start}..{stop}")
            for record in consumer.poll(timeout_ms=500).get(tp, []):
                if record.offset < stop:
                    headers = tuple((str(k), v) for k, v in (record.headers or ()))
                    out.append(RawMessage(record.value or b"", record.key, topic, partition,
                                          record.offset, headers))  # fmt: skip
        return out
    finally:
        consumer.close()


def _headers(raw: Any) -> tuple[tuple[str, bytes | None], ...]:
    items = raw.items() if isinstance(raw, dict) else (raw or ())
    return tuple((str(k), v) for k, v in items)


def _raw(event: Any) -> RawMessage:
    return RawMessage(
        value=event.value if event.value is not None else b"", key=event.key,
        topic=event.message.topic, partition=event.message.partition,
        offset=event.message.offset, headers=_headers(event.message.headers),
    )  # fmt: skip


def create_app(settings: Settings, options: AppOptions | None = None) -> faust.App:
    """The lifecycle faust app of ``settings``' topic prefix (isolated by its app id)."""
    opts = options or AppOptions()
    prefix = settings.topic_prefix
    app = faust.App(
        opts.app_id or app_id_for(settings),
        broker=f"kafka://{settings.bootstrap_servers}",
        store="memory://",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        web_enabled=opts.web_enabled,
        web_port=opts.web_port,
        web_host="127.0.0.1",
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=opts.session_timeout_s,
        broker_heartbeat_interval=min(3.0, opts.session_timeout_s / 3),
        broker_commit_interval=opts.commit_interval_s,
        table_standby_replicas=opts.standby_replicas,
        producer_linger=opts.linger_s,
        autodiscover=False,
    )
    runtime = _Runtime(settings)
    events_topic = app.topic(
        DOSSIER_EVENTS.name(prefix), key_type=bytes, value_type=bytes,
        key_serializer="raw", value_serializer="raw", partitions=settings.partitions,
    )  # fmt: skip
    state_topic = app.topic(
        opts.state_topic or DOSSIER_STATE.name(prefix), key_type=bytes, value_type=bytes,
        key_serializer="raw", value_serializer="raw",
    )  # fmt: skip
    table = app.Table(
        "dossiers", key_type=bytes, value_type=bytes, partitions=settings.partitions,
        help="dossier id -> encoded DossierState",
    )  # fmt: skip

    async def publish(key: bytes, encoded: bytes) -> None:
        await state_topic.send(key=key, value=encoded, force=True)

    async def handle(message: RawMessage) -> None:
        current = table.get(message.key) if message.key is not None else None
        step = runtime.core.prepare(message, current)
        if isinstance(step, Duplicate):
            # Republish: a crash may have persisted the table but lost the state message.
            metrics.EVENTS.labels("duplicate").inc()
            metrics.DUPLICATES.inc()
            await publish(step.dossier_id.encode(), step.encoded)
            return
        if isinstance(step, Pending):
            procedure = None
            code = step.procedure_code
            if code is not None:
                procedure = runtime.catalog.get(code)
                if procedure is None and step.event_type == "DOSSIER_SUBMITTED":
                    metrics.CATALOG_WAITS.inc()
                    procedure = await runtime.catalog.wait_for(code, opts.catalog_grace_s)
            outcome = runtime.core.finish(step, procedure)
            if isinstance(outcome, Applied):
                key = outcome.dossier_id.encode()
                table[key] = outcome.encoded
                await publish(key, outcome.encoded)
                metrics.EVENTS.labels("applied").inc()
                return
            step = outcome
        await runtime.dead_letter(step)

    async def handle_safely(message: RawMessage) -> None:
        while True:
            try:
                await handle(message)
                return
            except RegistryError as exc:  # not the message's fault: retry, do not skip
                log.warning("schema registry unavailable, retrying: %s", exc)
                await asyncio.sleep(1.0)
            except Exception as exc:  # a bug must not stall the partition: set it aside
                log.exception("processing error at offset %s", message.offset)
                reason = f"{type(exc).__name__}: {exc}"
                await runtime.dead_letter(runtime.core.letter(message, "PROCESSING_ERROR", reason))
                return

    @app.agent(events_topic, name="lifecycle")
    async def lifecycle(stream: faust.StreamT[bytes]) -> None:
        await runtime.start()
        async for event in stream.events():
            started = time.perf_counter()
            message = _raw(event)
            assert message.partition is not None
            assert message.offset is not None
            mark = _NEXT_OFFSET + str(message.partition).encode()
            stored = table.get(mark)
            expected = (
                int(stored)
                if stored is not None
                else await runtime.first_offset(message.topic, message.partition)
            )
            if message.offset < expected:  # already applied before a rebalance or restart
                metrics.REDELIVERED.inc()
                continue
            if message.offset > expected:  # the consumer skipped offsets: read them ourselves
                missed = await runtime.fetch(
                    message.topic, message.partition, expected, message.offset
                )
                log.warning(
                    "partition %s: offsets %s..%s were not delivered; refetched %s",
                    message.partition, expected, message.offset - 1, len(missed),
                )  # fmt: skip
                metrics.REFETCHED.inc(len(missed))
                for lost in missed:
                    await handle_safely(lost)
            await handle_safely(message)
            table[mark] = str(message.offset + 1).encode()
            metrics.LATENCY.observe(time.perf_counter() - started)

    stalls: dict[int, tuple[int, int]] = {}  # partition -> (mark, checks without progress)

    @app.timer(interval=opts.watchdog_s)  # type: ignore[untyped-decorator]
    async def watchdog() -> None:
        """Unstick a partition that has a backlog but has not advanced for two checks.

        faust-streaming 0.15.3 occasionally stops delivering a partition taken over from a
        SIGKILLed worker. Seeking it to the changelog-backed mark and resuming it is harmless:
        offsets already applied are skipped, skipped ones are read back by the agent.
        """
        if not runtime.started or app.rebalancing or app.in_recovery:
            return
        topic = events_topic.get_topic_name()
        assigned = {tp.partition: tp for tp in app.consumer.assignment() if tp.topic == topic}
        if not assigned:
            return
        ends = await runtime.end_offsets(topic, sorted(assigned))
        for partition, tp in assigned.items():
            stored = table.get(_NEXT_OFFSET + str(partition).encode())
            mark = int(stored) if stored is not None else 0
            if ends.get(partition, 0) <= mark:
                stalls.pop(partition, None)
                continue
            before = stalls.get(partition)
            checks = before[1] + 1 if before is not None and before[0] == mark else 0
            stalls[partition] = (mark, checks)
            if checks >= 2:
                log.warning(
                    "partition %s stalled at offset %s (end %s): seeking and resuming it",
                    partition, mark, ends[partition],
                )  # fmt: skip
                metrics.STALLS.inc()
                await app.consumer.seek(tp, mark)
                app.consumer.resume_partitions({tp})
                stalls[partition] = (mark, 0)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/ready")
    async def ready_page(web: Any, request: Any) -> Any:
        """Whether this worker processes: catalogue loaded, partitions assigned and recovered."""
        topic = events_topic.get_topic_name()
        assigned = sorted(tp.partition for tp in app.consumer.assignment() if tp.topic == topic)
        return web.json({
            "catalog_ready": runtime.catalog.ready,
            "procedures": len(runtime.catalog),
            "partitions": assigned,
            "rebalancing": bool(app.rebalancing),
            "in_recovery": bool(app.in_recovery),
        })  # fmt: skip

    return app
