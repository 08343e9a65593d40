"""The faust runner: a processor's fold run live on Kafka, in batches, hardened against faults.

One agent per app consumes the input topic in batches (``stream.take_events``) and drives the
shared ``Fold``. Per batch it writes, in this order: dead letters (acknowledged), each changed
state once to the table's changelog and the state topic, the emits; then, once the broker
acknowledged the publications, the next-offset mark of every partition in the batch. A crash
anywhere re-delivers from the old mark; the processor's dedupe answers ``Unchanged`` (and
republishes), so nothing is lost or doubled.

faust-streaming 0.15.3 needs three workarounds, all here and nowhere else:

* after a SIGKILL rebalance the consumer may skip offsets: a message above the partition's mark
  makes the runner read the gap back from the broker itself (``dvchub_processor_refetched``);
* a taken-over partition may stop being delivered: a watchdog seeks a partition that has a
  backlog and no progress for two checks back to its mark (``..._partition_stalls``);
* a promoted standby can hang recovery, so standby replicas are off, and a 1 s commit interval
  stalled the agent, so it is 5 s (the marks, not the commits, say what was applied).

Durable timers (processors with ``timers``): a scan every ``timer_interval_s`` (under the same
lock as the batches, so a firing never interleaves with a batch) builds the due-index of newly
assigned, recovered partitions from the table's timer entries, forgets revoked ones, and folds
``on_timer`` for every key due on the injected clock. Its outcome is written like a batch's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import TP
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub import kafka
from hub.deadletter import DeadLetterWriter
from hub.processing import _metrics as metrics
from hub.processing._clock import Clock, clock_from_spec
from hub.processing._fold import Batch, Fold, mark_key
from hub.processing._timers import decode_due, is_timer, parse_timer_key
from hub.processing._types import Message, Processor
from hub.serde import RegistryClient, RegistryError
from hub.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunnerOptions:
    """How one worker runs a processor; the defaults suit production."""

    app_id: str | None = None  # default "<topic prefix><processor name>"
    state_topic: str | None = None  # default: the processor's state topic under the prefix
    web_port: int = 6066
    #: where /ready and /metrics listen (DVC_WEB_HOST; 0.0.0.0 in a container)
    web_host: str = field(default_factory=lambda: os.environ.get("DVC_WEB_HOST", "127.0.0.1"))
    web_enabled: bool = True
    grace_s: float = 2.0  # how long a Deferred message waits for its side input
    session_timeout_s: float = 10.0
    commit_interval_s: float = 5.0
    linger_s: float = 0.005
    watchdog_s: float = 5.0
    batch_max: int = 1000
    batch_within_s: float = 0.005
    store: str = "memory://"
    datadir: str | None = None
    standby_replicas: int = 0
    clock: str | None = None  # a ``clock_from_spec`` spec; default: $DVC_CLOCK, else wall time
    timer_interval_s: float = 0.2  # how often due timers are looked for


def app_id_for(processor: Processor[Any], settings: Settings) -> str:
    return f"{settings.topic_prefix}{processor.name}"


def changelog_for(
    processor: Processor[Any], settings: Settings, options: RunnerOptions | None = None
) -> str:
    """The table's changelog topic, as faust names it: ``<app id>-<table>-changelog``."""
    app_id = (options.app_id if options is not None else None) or app_id_for(processor, settings)
    return f"{app_id}-{processor.table}-changelog"


class _Pinned:
    """Stands for an event of ``partition`` where there is none (a timer, a batch's writes)."""

    __slots__ = ("__weakref__", "message")

    def __init__(self, partition: int) -> None:
        self.message = _PinnedMessage(partition)


@dataclass(frozen=True)
class _PinnedMessage:
    partition: int


@contextlib.contextmanager
def _in_partition(event: Any) -> Iterator[None]:
    """Make ``event`` faust's current event: a RocksDB store reads and writes the database of
    its partition (faust's notion of "current" would be the *last* event of a batch)."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def _message(event: Any) -> Message:
    raw = event.message
    headers = raw.headers.items() if isinstance(raw.headers, dict) else (raw.headers or ())
    timestamp = raw.timestamp
    return Message(
        value=raw.value if raw.value is not None else b"", key=raw.key, topic=raw.topic,
        partition=raw.partition, offset=raw.offset,
        headers=tuple((str(k), v) for k, v in headers),
        timestamp_ms=None if timestamp is None else int(timestamp * 1000),
    )  # fmt: skip


class _Runtime:
    """One worker's state around the fold: resources opened when the agent starts."""

    def __init__(
        self, processor: Processor[Any], settings: Settings, options: RunnerOptions, app: Any
    ) -> None:
        self.processor = processor
        self.settings = settings
        self.options = options
        self.app = app
        self.name = processor.name
        self.source = processor.source.name(settings.topic_prefix)
        state = processor.state_topic
        self.state_topic = options.state_topic or (
            None if state is None else state.name(settings.topic_prefix)
        )
        self.table: Any = None
        self.changelog = ""
        self.fold: Fold[Any] | None = None
        self._letters: DeadLetterWriter | None = None
        self._registry: RegistryClient | None = None
        self._first: dict[int, int] = {}
        self._lock = asyncio.Lock()
        self._stalls: dict[int, tuple[int, int]] = {}
        self._lagging: set[int] = set()
        self._moved: dict[int, tuple[int, float]] = {}  # partition -> (mark, when it moved)
        self.clock: Clock = clock_from_spec(options.clock or os.environ.get("DVC_CLOCK"))
        # one batch or one timer scan at a time: both fold and write through the same Fold
        self._busy = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._letters is not None

    async def start(self) -> None:
        async with self._lock:
            if self._letters is not None:
                return
            await asyncio.to_thread(self.processor.open)
            self._registry = RegistryClient(self.settings.schema_registry_url)
            producer = await asyncio.to_thread(
                kafka.make_producer, self.settings, client_id=f"{self.name}-dlq"
            )
            self.fold = Fold(self.processor, self.table, complete_timers=False)
            self._letters = DeadLetterWriter(self.settings, producer, self._registry)
            log.info("%s processor started on %s", self.name, self.source)

    def close(self) -> None:
        self.processor.close()
        if self._registry is not None:
            self._registry.close()

    # -- one batch -------------------------------------------------------------------------------

    async def process(self, events: Sequence[Any]) -> None:
        async with self._busy:
            await self._process(events)

    async def _process(self, events: Sequence[Any]) -> None:
        started = time.perf_counter()
        assert self.fold is not None
        fold = self.fold
        for event in events:
            message = _message(event)
            assert message.partition is not None
            assert message.offset is not None
            with _in_partition(event):
                expected = fold.next_offset(message.partition)
                if expected is None:
                    expected = await self._first_offset(message.partition)
                if message.offset < expected:  # applied before a rebalance or restart
                    metrics.REDELIVERED.labels(self.name).inc()
                    continue
                if message.offset > expected:  # the consumer skipped offsets: read them back
                    for lost in await self._refetch(message.partition, expected, message.offset):
                        await self._step(lost)
                await self._step(message)
        await self._write(fold.drain())
        metrics.BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        metrics.BATCH_SIZE.labels(self.name).observe(len(events))

    async def _step(self, message: Message) -> None:
        assert self.fold is not None
        deadline: float | None = None
        while True:
            final = deadline is not None and time.monotonic() >= deadline
            try:
                deferred = self.fold.step(message, final=final)
            except RegistryError as exc:  # not the message's fault: retry it, never skip it
                metrics.REGISTRY_RETRIES.labels(self.name).inc()
                log.warning("schema registry unavailable, retrying: %s", exc)
                await asyncio.sleep(1.0)
                continue
            if deferred is None:
                return
            if deadline is None:
                metrics.DEFERRED.labels(self.name).inc()
                deadline = time.monotonic() + self.options.grace_s
            await asyncio.sleep(0.05)

    async def _write(self, batch: Batch) -> None:
        if batch.letters:
            assert self._letters is not None
            await asyncio.to_thread(self._letters.send_all, batch.letters)
            for letter in batch.letters:
                where = f"{letter.source_topic}[{letter.source_partition}]@{letter.source_offset}"
                log.info("dead-lettered %s: %s", where, letter.reason_code)
        producer = self.app.producer
        acks: list[Any] = []
        if self.state_topic is not None:
            for key, value in batch.publish.items():
                acks.append(await producer.send(self.state_topic, key, value, None, None, None))
        prefix = self.settings.topic_prefix
        for emit in batch.emits:
            topic = emit.topic.name(prefix)
            acks.append(await producer.send(topic, emit.key, emit.value, None, None, None))
        changelog: list[tuple[int, Any]] = []
        for partition, writes in batch.writes.items():
            assert partition is not None
            changelog += await self._put(partition, writes)
        written = await asyncio.gather(*(ack for _, ack in changelog), *acks)
        # Then the timer entries: one never points past a state the broker does not have.
        timers: list[tuple[int, Any]] = []
        for partition, entries in batch.timers.items():
            timers += await self._put(partition, entries)
        timed = await asyncio.gather(*(ack for _, ack in timers))
        # Only now: a mark never covers a state, timer, emit or dead letter the broker lacks.
        marks: list[tuple[int, Any]] = []
        for partition, offset in batch.marks.items():
            marks += await self._put(partition, {mark_key(partition): str(offset).encode()})
        marked = await asyncio.gather(*(ack for _, ack in marks))
        self._persisted(changelog + timers + marks, [*written[: len(changelog)], *timed, *marked])
        for lag in batch.timer_lags:
            metrics.TIMER_LAG.labels(self.name).observe(max(0.0, lag) / self.clock.rate)
        if batch.timer_lags:
            metrics.TIMERS_FIRED.labels(self.name).inc(len(batch.timer_lags))
        for outcome, count in batch.outcomes.items():
            metrics.EVENTS.labels(self.name, outcome).inc(count)
        if batch.timestamps:
            now_ms = time.time() * 1000
            latency = metrics.END_TO_END.labels(self.name)
            for timestamp in batch.timestamps:
                latency.observe(max(0.0, now_ms - timestamp) / 1000)

    async def _put(self, partition: int, writes: Mapping[bytes, bytes | None]) -> list[Any]:
        """Write table entries of ``partition`` (None: delete): the store, and the changelog
        partition of the same number (co-partitioned), straight through the producer in one go.

        Not ``table[key] = value``: that queues each write in faust's 100-message producer
        buffer, sent one by one by a background task ("producer buffer full" under load).
        """
        store = self.table.data
        producer = self.app.producer
        with _in_partition(_Pinned(partition)):  # RocksDB: the database of the partition
            for key, value in writes.items():
                if value is None:
                    with contextlib.suppress(KeyError):
                        del store[key]
                else:
                    store[key] = value
        return [
            (partition, await producer.send(self.changelog, key, value, partition, None, None))
            for key, value in writes.items()
        ]

    def _persisted(self, sent: list[tuple[int, Any]], results: list[Any]) -> None:
        """Tell the store which changelog offsets it holds (RocksDB then re-reads only the tail)."""
        highest: dict[int, int] = {}
        for (partition, _), metadata in zip(sent, results, strict=True):
            highest[partition] = max(highest.get(partition, -1), int(metadata.offset))
        for partition, offset in highest.items():
            self.table.data.set_persisted_offset(TP(self.changelog, partition), offset)

    async def _first_offset(self, partition: int) -> int:
        """The log start offset: where a partition never applied before begins."""
        if partition not in self._first:
            ranges = await asyncio.to_thread(kafka.offsets, self.settings, self.source)
            self._first.update({p: begin for p, (begin, _) in ranges.items()})
        return self._first.get(partition, 0)

    async def _refetch(self, partition: int, start: int, stop: int) -> list[Message]:
        def read() -> list[Message]:
            records = kafka.read_to_end(
                self.settings, self.source, start={partition: start}, stop={partition: stop}
            )
            return [Message.of_record(r) for r in records]

        missed = await asyncio.to_thread(read)
        log.warning("partition %s: offsets %s..%s were not delivered; refetched %s",
                    partition, start, stop - 1, len(missed))  # fmt: skip
        metrics.REFETCHED.labels(self.name).inc(len(missed))
        return missed

    # -- durable timers --------------------------------------------------------------------------

    async def scan_timers(self) -> None:
        """Fire what is due on the clock, in batches of at most ``batch_max`` keys."""
        if not self.started or self.app.rebalancing or self.app.in_recovery:
            return
        assert self.fold is not None
        timers = self.fold.timers
        if timers is None:
            return
        async with self._busy:
            assigned = set(self.assigned())
            for gone in timers.partitions - assigned:
                timers.drop(gone)
            missing = assigned - timers.partitions
            if missing:
                await self._build_timers(missing)
            metrics.TIMERS_ACTIVE.labels(self.name).set(len(timers))
            while True:
                now = self.clock.now()
                now_ms = int(now.timestamp() * 1000)
                due = timers.pop_due(now_ms, assigned, self.options.batch_max)
                if not due:
                    return
                started = time.perf_counter()
                try:
                    for partition, key, due_ms in due:
                        with _in_partition(_Pinned(partition)):
                            self.fold.fire(partition, key, due_ms, now)
                except RegistryError as exc:  # the timer was put back: the next scan retries
                    metrics.REGISTRY_RETRIES.labels(self.name).inc()
                    log.warning("schema registry unavailable while firing timers: %s", exc)
                    await self._write(self.fold.drain())
                    return
                await self._write(self.fold.drain())
                metrics.BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)

    async def _build_timers(self, partitions: set[int]) -> None:
        """The due-index of newly assigned partitions, from their timer entries in the table."""
        assert self.fold is not None
        timers = self.fold.timers
        assert timers is not None
        store = self.table.data

        def read() -> dict[int, list[tuple[bytes, int]]]:
            found: dict[int, list[tuple[bytes, int]]] = {p: [] for p in partitions}
            for key, value in store.items():
                if is_timer(key) and value is not None:
                    partition, state_key = parse_timer_key(key)
                    if partition in found:
                        found[partition].append((state_key, decode_due(value)))
            return found

        started = time.perf_counter()
        for partition, entries in (await asyncio.to_thread(read)).items():
            timers.build(partition, entries)
        took = time.perf_counter() - started
        log.info("timers of partitions %s rebuilt from the table: %s in %.2f s",
                 sorted(partitions), len(timers), took)  # fmt: skip

    # -- watchdog, readiness ---------------------------------------------------------------------

    def assigned(self) -> dict[int, Any]:
        return {
            tp.partition: tp for tp in self.app.consumer.assignment() if tp.topic == self.source
        }

    async def watch(self) -> None:
        """Publish the lag, and unstick a partition with a backlog and no progress for two checks.

        faust-streaming 0.15.3 occasionally stops delivering a partition taken over from a
        SIGKILLed worker. Seeking it to its mark and resuming it is harmless: offsets already
        applied are skipped, skipped ones are read back by ``process``.
        """
        if not self.started or self.app.rebalancing or self.app.in_recovery:
            return
        assert self.fold is not None
        assigned = self.assigned()
        for gone in self._lagging - set(assigned):
            self._moved.pop(gone, None)
            for gauge in (metrics.LAG, metrics.PARTITION_IDLE):
                with contextlib.suppress(KeyError):
                    gauge.remove(self.name, str(gone))
        self._lagging = set(assigned)
        if not assigned:
            return
        ranges = await asyncio.to_thread(kafka.offsets, self.settings, self.source)
        for partition, tp in assigned.items():
            begin, end = ranges.get(partition, (0, 0))
            stored = self.fold.next_offset(partition)
            mark = begin if stored is None else stored
            metrics.LAG.labels(self.name, str(partition)).set(max(0, end - mark))
            self._observe_progress(partition, mark, backlog=end > mark)
            if end <= mark:
                self._stalls.pop(partition, None)
                continue
            before = self._stalls.get(partition)
            checks = before[1] + 1 if before is not None and before[0] == mark else 0
            self._stalls[partition] = (mark, checks)
            if checks >= 2:
                log.warning("partition %s stalled at offset %s (end %s): reading it back and "
                            "seeking the consumer to it", partition, mark, end)  # fmt: skip
                metrics.STALLS.labels(self.name).inc()
                await self._catch_up(partition, mark, end)
                await self.app.consumer.seek(tp, mark)
                self.app.consumer.resume_partitions({tp})
                self._stalls[partition] = (mark, 0)

    async def _catch_up(self, partition: int, mark: int, end: int) -> None:
        """Apply ``[mark, end)`` of ``partition`` from the broker, as a batch would.

        faust-streaming drops a delivered message at or below the partition's committed offset,
        so a seek cannot bring back records the group committed past (a skip after a SIGKILL
        rebalance); when no later record arrives to reveal the gap to ``process``, nothing
        else would ever apply them.
        """
        async with self._busy:
            assert self.fold is not None
            current = self.fold.next_offset(partition)  # None: nothing applied yet
            if partition not in self.assigned() or current not in (None, mark):
                return  # moved or revoked meanwhile: the next check judges again
            while mark < end:
                stop = min(end, mark + self.options.batch_max)
                missed = await self._refetch(partition, mark, stop)
                for message in missed:
                    with _in_partition(_Pinned(partition)):
                        await self._step(message)
                await self._write(self.fold.drain())
                if not missed:
                    return
                mark = stop

    def _observe_progress(self, partition: int, mark: int, *, backlog: bool) -> None:
        now = time.monotonic()
        before = self._moved.get(partition)
        if before is None or before[0] != mark or not backlog:
            self._moved[partition] = before = (mark, now)
        idle = now - before[1] if backlog else 0.0
        metrics.PARTITION_IDLE.labels(self.name, str(partition)).set(idle)

    def readiness(self) -> dict[str, Any]:
        partitions = sorted(self.assigned())
        busy = bool(self.app.rebalancing) or bool(self.app.in_recovery)
        timers = None if self.fold is None else self.fold.timers
        # a timer processor serves once the due-index of every partition it owns is built
        indexed = timers is None or set(partitions) <= timers.partitions
        ready = self.started and self.processor.ready and bool(partitions) and not busy and indexed
        metrics.READY.labels(self.name).set(1 if ready else 0)
        return {
            "ready": ready, "processor": self.name, "started": self.started,
            "partitions": partitions, "rebalancing": bool(self.app.rebalancing),
            "in_recovery": bool(self.app.in_recovery), **self._timer_status(),
            **self.processor.status(),
        }  # fmt: skip

    def _timer_status(self) -> dict[str, Any]:
        timers = None if self.fold is None else self.fold.timers
        if timers is None:
            return {}
        return {"timers": len(timers), "timer_partitions": sorted(timers.partitions),
                "clock": self.clock.now().isoformat()}  # fmt: skip


def create_app(
    processor: Processor[Any], settings: Settings, options: RunnerOptions | None = None
) -> faust.App:
    """The faust app running ``processor`` (isolated by its app id: group, changelog, table)."""
    opts = options or RunnerOptions()
    where: dict[str, Any] = {} if opts.datadir is None else {"datadir": opts.datadir}
    app = faust.App(
        opts.app_id or app_id_for(processor, settings),
        broker=f"kafka://{settings.bootstrap_servers}",
        broker_credentials=kafka.faust_credentials(settings),
        store=opts.store,
        **where,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        web_enabled=opts.web_enabled,
        web_port=opts.web_port,
        web_host=opts.web_host,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=opts.session_timeout_s,
        broker_heartbeat_interval=min(3.0, opts.session_timeout_s / 3),
        broker_commit_interval=opts.commit_interval_s,
        table_standby_replicas=opts.standby_replicas,
        producer_linger=opts.linger_s,
        stream_buffer_maxsize=max(4096, opts.batch_max * 2),
        autodiscover=False,
    )
    runtime = _Runtime(processor, settings, opts, app)
    source = app.topic(
        runtime.source, key_type=bytes, value_type=bytes, key_serializer="raw",
        value_serializer="raw", partitions=settings.partitions,
    )  # fmt: skip
    runtime.table = table = app.Table(
        processor.table, key_type=bytes, value_type=bytes, partitions=settings.partitions,
        help=f"{processor.name} state by key",
    )  # fmt: skip

    runtime.changelog = table.changelog_topic.get_topic_name()

    @app.agent(source, name=processor.name)
    async def run(stream: Any) -> None:  # faust.Stream: StreamT does not declare take_events
        await runtime.start()
        async for events in stream.take_events(opts.batch_max, within=opts.batch_within_s):
            await runtime.process(events)

    @app.timer(interval=opts.watchdog_s)  # type: ignore[untyped-decorator]
    async def watchdog() -> None:
        await runtime.watch()

    if processor.timers:

        @app.timer(interval=opts.timer_interval_s)  # type: ignore[untyped-decorator]
        async def timer_scan() -> None:
            await runtime.scan_timers()

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/ready")
    async def ready_page(web: Any, request: Any) -> Any:
        """200 when this worker processes; 503 (same document) while it does not."""
        status = runtime.readiness()
        return web.json(status, status=200 if status["ready"] else 503)

    def on_shutdown(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        runtime.close()

    app.on_before_shutdown.connect(on_shutdown)

    return app
