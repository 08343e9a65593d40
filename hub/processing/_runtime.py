"""The faust runner's worker core: batches folded and written, durable timers fired.

One ``Runtime`` per worker drives the shared ``Fold``. Per batch it writes, in this order:

1. dead letters (acknowledged), then the emits and the state publications;
2. once the broker acknowledged those, each changed state once to the table's changelog;
3. once the changelog has them, the states into the local store (until then the fold reads them
   from ``PendingStates``), then the timer entries, then the next-offset mark of every partition
   in the batch.

Why this order: a state in the changelog holds the ids of the events it has seen, so whoever
recovers it takes those events, redelivered, for duplicates and emits nothing for them. Had the
state reached the broker before its emits (a full changelog batch leaves before a lingering
batch of emits) and the worker died in between, those emits would be lost for good. Likewise the
local store (RocksDB survives kill -9) never holds a state the changelog may lack, and a mark
never covers what the broker lacks. A crash anywhere re-delivers from the old mark; the
processor's dedupe answers ``Unchanged`` (and republishes) for what was persisted, and folds
again what was not, so nothing is lost, and downstream dedupe by deterministic ids absorbs the
emits sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import Generic

import faust
from faust.types import TP, EventT, TableT
from faust.types.stores import StoreT
from faust.types.tuples import RecordMetadata

from hub import kafka
from hub.deadletter import DeadLetterWriter
from hub.processing import _metrics as metrics
from hub.processing._clock import Clock, clock_from_spec
from hub.processing._events import in_partition, in_partition_of, message_of
from hub.processing._fold import Batch, Fold, mark_key
from hub.processing._hold import BacklogGate
from hub.processing._options import RunnerOptions
from hub.processing._store import PendingStates, timer_entries
from hub.processing._types import Message, Processor, S
from hub.serde import RegistryClient, RegistryError
from hub.settings import Settings

log = logging.getLogger(__name__)

Ack = Awaitable[RecordMetadata]  # the broker's acknowledgement of one send


class Runtime(Generic[S]):
    """One worker's state around the fold: resources opened when the agent starts."""

    def __init__(
        self, processor: Processor[S], settings: Settings, options: RunnerOptions, app: faust.App
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
        self.table: TableT[bytes, bytes] | None = None
        self.changelog = ""
        self.fold: Fold[S] | None = None
        self.pending: PendingStates | None = None
        self._letters: DeadLetterWriter | None = None
        self._registry: RegistryClient | None = None
        self._first: dict[int, int] = {}
        self._lock = asyncio.Lock()
        self.clock: Clock = clock_from_spec(options.clock or os.environ.get("DVC_CLOCK"))
        # one batch, timer scan or catch-up at a time: all fold and write through the same Fold
        self.busy = asyncio.Lock()
        self._commit: asyncio.Future[None] | None = None  # the last batch's commit, in flight
        # due timers wait for their partition's backlog (hub.processing._hold); the watchdog
        # shares its offsets reading, so the scan reads them only when that one is old
        self.backlog = BacklogGate(
            self.name, hold_lag=options.timer_hold_lag, hold_max_s=options.timer_hold_max_s,
            refresh_s=2 * options.watchdog_s,
        )  # fmt: skip

    @property
    def store(self) -> StoreT[bytes, bytes]:
        """The table's local store (``TableT`` declares its ``data`` a plain mapping; a faust
        ``Collection``'s is its ``StoreT``: RocksDB or memory)."""
        assert self.table is not None
        store = self.table.data
        assert isinstance(store, StoreT)
        return store

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
            assert self.table is not None
            self.pending = PendingStates(self.table)
            self.fold = Fold(
                self.processor, self.pending, cache_size=self.options.fold_cache,
                complete_timers=False,
            )  # fmt: skip
            self._letters = DeadLetterWriter(self.settings, producer, self._registry)
            log.info("%s processor started on %s", self.name, self.source)

    def close(self) -> None:
        self.processor.close()
        if self._registry is not None:
            self._registry.close()

    # -- one batch -------------------------------------------------------------------------------

    async def process(self, events: Sequence[EventT[bytes]]) -> None:
        async with self.busy:
            await self._process(events)

    async def _process(self, events: Sequence[EventT[bytes]]) -> None:
        started = time.perf_counter()
        assert self.fold is not None
        fold = self.fold
        for event in events:
            message = message_of(event)
            assert message.partition is not None
            assert message.offset is not None
            with in_partition(event):
                expected = fold.next_offset(message.partition)
                if expected is None:
                    expected = await self._first_offset(message.partition)
                if message.offset < expected:  # applied before a rebalance or restart
                    metrics.REDELIVERED.labels(self.name).inc()
                    continue
                if message.offset > expected:  # the consumer skipped offsets: read them back
                    for lost in await self.refetch(message.partition, expected, message.offset):
                        await self.step(lost)
                await self.step(message)
        await self.write(fold.drain())
        metrics.BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        metrics.BATCH_SIZE.labels(self.name).observe(len(events))

    async def step(self, message: Message) -> None:
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

    async def write(self, batch: Batch) -> None:
        """Send ``batch``'s emits and publications now; its commit (wait for the broker's
        acknowledgements, then the changelog, the local store, the timer entries, the marks)
        runs in the background while the next batch is folded, after the commit of the batch
        before it. At most one commit is in flight: the fold never runs more than one batch
        ahead of what the broker acknowledged.
        """
        sent = await self._send(batch)
        await self.settle()
        self._commit = asyncio.ensure_future(self._commit_batch(batch, sent))

    async def settle(self) -> None:
        """Wait until every batch written so far is committed (its marks acknowledged)."""
        commit = self._commit
        if commit is None:
            return
        try:
            await commit
        finally:  # done (or failed, raised once): the next batch's commit may start
            if self._commit is commit:
                self._commit = None

    async def _send(self, batch: Batch) -> list[Ack]:
        """Dead letters (acknowledged), then state publications and emits: sent; the states
        held for the fold until they are stored."""
        if batch.letters:
            assert self._letters is not None
            await asyncio.to_thread(self._letters.send_all, batch.letters)
            for letter in batch.letters:
                where = f"{letter.source_topic}[{letter.source_partition}]@{letter.source_offset}"
                log.info("dead-lettered %s: %s", where, letter.reason_code)
        producer = self.app.producer
        acks: list[Ack] = []
        if self.state_topic is not None:
            for key, value in batch.publish.items():
                acks.append(await producer.send(self.state_topic, key, value, None, None, None))
        prefix = self.settings.topic_prefix
        for emit in batch.emits:
            topic = emit.topic.name(prefix)
            acks.append(await producer.send(topic, emit.key, emit.value, None, None, None))
        assert self.pending is not None
        for writes in batch.writes.values():
            self.pending.hold(writes)
        return acks

    async def _commit_batch(self, batch: Batch, acks: list[Ack]) -> None:
        await asyncio.gather(*acks)
        # The states only once everything they caused is on the broker (see the docstring).
        changelog: list[tuple[int, Ack]] = []
        for partition, writes in batch.writes.items():
            assert partition is not None
            changelog += await self._log(partition, writes)
        written = await asyncio.gather(*(ack for _, ack in changelog))
        self._store(batch.writes)
        # Then the timer entries: one never points past a state the broker does not have.
        timers: list[tuple[int, Ack]] = []
        for partition, entries in batch.timers.items():
            timers += await self._put(partition, entries)
        timed = await asyncio.gather(*(ack for _, ack in timers))
        # Only now: a mark never covers a state, timer, emit or dead letter the broker lacks.
        marks: list[tuple[int, Ack]] = []
        for partition, offset in batch.marks.items():
            marks += await self._put(partition, {mark_key(partition): str(offset).encode()})
        marked = await asyncio.gather(*(ack for _, ack in marks))
        assert self.fold is not None
        self.fold.saved(batch.marks)
        self._persisted(changelog + timers + marks, [*written, *timed, *marked])
        self._count(batch)

    def _count(self, batch: Batch) -> None:
        """The metrics of a committed batch."""
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

    async def _put(
        self, partition: int, writes: Mapping[bytes, bytes | None]
    ) -> list[tuple[int, Ack]]:
        """Write table entries of ``partition`` (None: delete): the store, and the changelog."""
        self._write_store(partition, writes)
        return await self._log(partition, writes)

    async def _log(
        self, partition: int, writes: Mapping[bytes, bytes | None]
    ) -> list[tuple[int, Ack]]:
        """Send table entries to the changelog partition of the same number (co-partitioned),
        straight through the producer in one go.

        Not ``table[key] = value``: that queues each write in faust's 100-message producer
        buffer, sent one by one by a background task ("producer buffer full" under load).
        """
        producer = self.app.producer
        return [
            (partition, await producer.send(self.changelog, key, value, partition, None, None))
            for key, value in writes.items()
        ]

    def _store(self, writes: Mapping[int | None, Mapping[bytes, bytes]]) -> None:
        """Acknowledged states into the local store; the fold then reads them from there."""
        assert self.pending is not None
        for partition, states in writes.items():
            assert partition is not None
            self._write_store(partition, states)
            self.pending.release(states)

    def _write_store(self, partition: int, writes: Mapping[bytes, bytes | None]) -> None:
        store = self.store
        with in_partition_of(partition):  # RocksDB: the database of the partition
            for key, value in writes.items():
                if value is None:
                    with contextlib.suppress(KeyError):
                        del store[key]
                else:
                    store[key] = value

    def _persisted(self, sent: list[tuple[int, Ack]], results: list[RecordMetadata]) -> None:
        """Tell the store which changelog offsets it holds (RocksDB then re-reads only the tail)."""
        highest: dict[int, int] = {}
        for (partition, _), metadata in zip(sent, results, strict=True):
            highest[partition] = max(highest.get(partition, -1), int(metadata.offset))
        for partition, offset in highest.items():
            self.store.set_persisted_offset(TP(self.changelog, partition), offset)

    async def _first_offset(self, partition: int) -> int:
        """The log start offset: where a partition never applied before begins."""
        if partition not in self._first:
            ranges = await asyncio.to_thread(kafka.offsets, self.settings, self.source)
            self._first.update({p: begin for p, (begin, _) in ranges.items()})
        return self._first.get(partition, 0)

    async def refetch(self, partition: int, start: int, stop: int) -> list[Message]:
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
        """Fire what is due on the clock, in batches of at most ``batch_max`` keys, in the
        partitions whose backlog is read (``hub.processing._hold``)."""
        if not self.started or self.app.rebalancing or self.app.in_recovery:
            return
        assert self.fold is not None
        timers = self.fold.timers
        if timers is None:
            return
        await self.backlog.refresh(self.settings, self.source)
        async with self.busy:
            assigned = set(self.assigned())
            for gone in timers.partitions - assigned:
                timers.drop(gone)
            missing = assigned - timers.partitions
            if missing:
                # the last batch's commit may still be writing timer entries of these partitions
                # (the fold skips the index of a partition not built): the build must see them
                await self.settle()
                await self._build_timers(missing)
            metrics.TIMERS_ACTIVE.labels(self.name).set(len(timers))
            read = self.backlog.open(assigned, self.fold.next_offset)
            while True:
                now = self.clock.now()
                now_ms = int(now.timestamp() * 1000)
                due = timers.pop_due(now_ms, read, self.options.batch_max)
                if not due:
                    return
                started = time.perf_counter()
                try:
                    for partition, key, due_ms in due:
                        with in_partition_of(partition):
                            self.fold.fire(partition, key, due_ms, now)
                except RegistryError as exc:  # the timer was put back: the next scan retries
                    metrics.REGISTRY_RETRIES.labels(self.name).inc()
                    log.warning("schema registry unavailable while firing timers: %s", exc)
                    await self.write(self.fold.drain())
                    return
                await self.write(self.fold.drain())
                metrics.BATCH_SECONDS.labels(self.name).observe(time.perf_counter() - started)

    async def _build_timers(self, partitions: set[int]) -> None:
        """The due-index of newly assigned partitions, from their timer entries in the table."""
        assert self.fold is not None
        timers = self.fold.timers
        assert timers is not None
        started = time.perf_counter()
        found = await asyncio.to_thread(timer_entries, self.store, partitions)
        for partition, entries in found.items():
            timers.build(partition, entries)
        took = time.perf_counter() - started
        log.info("timers of partitions %s rebuilt from the table: %s in %.2f s",
                 sorted(partitions), len(timers), took)  # fmt: skip

    def assigned(self) -> dict[int, TP]:
        return {
            tp.partition: tp for tp in self.app.consumer.assignment() if tp.topic == self.source
        }
