"""A compacted topic materialised in memory: key -> decoded record, kept current by a thread.

The thread reads every partition from offset 0 with no consumer group (each process holds
everything) and keeps following. ``ready`` says the topic as of start-up has been loaded;
``catch_up()`` says when everything on the topic at a later moment has been applied. A
tombstone removes its key; an undecodable record is counted and skipped, never fatal. The
query API's state store and the lifecycle's catalogue are both this.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Generic, Self, TypeVar, cast

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from hub.kafka import make_consumer, read_to_end
from hub.serde import AvroSerde, DecodeError
from hub.settings import Settings

log = logging.getLogger(__name__)

#: End offsets to reach, and the event set once they are.
Barrier = tuple[dict[TopicPartition, int], threading.Event]


class TopicFollower:
    """A thread following ``topic`` from offset 0 into ``apply``; ``ready`` once the topic as it
    was at start-up has been applied. Subclasses keep what they need of each record (``apply``)
    and say how much they hold (``__len__``, for the log).

    ``catch_up()`` answers "has the view seen everything on the topic *now*?": the follower
    thread reads the topic's end offsets when it next polls and sets the returned event once
    every partition has been applied up to them. A caller that finds no entry for a key can
    wait on it (bounded) before concluding the key is not on the topic, rather than trusting a
    view that may lag a record produced a moment ago.

    It reads the topic with no consumer group (nothing committed, every start reads it all),
    in a loop of its own: the barriers need the consumer's positions between polls.
    """

    #: How long one poll waits for records: also how soon a catch-up request is noticed.
    POLL_MS = 200

    def __init__(
        self, settings: Settings, topic: str, *, what: str, max_poll_records: int = 500
    ) -> None:
        self.topic = topic
        self._settings = settings
        self._what = what
        self._max_poll_records = max_poll_records
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Catch-up requests not yet turned into barriers (their end offsets not read yet).
        self._asked: list[threading.Event] = []

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One record of the topic (``value`` None: a tombstone)."""
        raise NotImplementedError

    def __len__(self) -> int:
        return 0

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start(self) -> Self:
        if self._thread is None:
            name = f"{self._what}-view"
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_ready(self, timeout_s: float = 60.0) -> bool:
        return self._ready.wait(timeout_s)

    def catch_up(self) -> threading.Event:
        """An event set once every record on the topic at (about) this call has been applied:
        the end offsets are read by the follower thread at its next poll, after this call."""
        reached = threading.Event()
        with self._lock:
            self._asked.append(reached)
        return reached

    def _run(self) -> None:
        consumer = make_consumer(
            self._settings, group_id=None, max_poll_records=self._max_poll_records
        )
        try:
            partitions = None
            while not partitions and not self._stop.is_set():
                partitions = consumer.partitions_for_topic(self.topic)
                if not partitions:
                    time.sleep(0.2)
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions or ())]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            loaded = threading.Event()
            barriers: list[Barrier] = [(consumer.end_offsets(tps), loaded)]
            while not self._stop.is_set():
                for records in consumer.poll(timeout_ms=self.POLL_MS).values():
                    for record in records:
                        self.apply(record.key, record.value)
                with self._lock:
                    asked, self._asked = self._asked, []
                if asked:
                    try:
                        end = consumer.end_offsets(tps)
                    except KafkaError as exc:  # the broker did not answer: ask again next poll
                        log.warning("%s: end offsets not read, retrying: %s", self.topic, exc)
                        with self._lock:
                            self._asked[:0] = asked
                    else:
                        barriers += [(end, event) for event in asked]
                barriers = _unreached(consumer, barriers)
                if loaded.is_set() and not self._ready.is_set():
                    log.info("%s loaded: %d %s", self.topic, len(self), self._what)
                    self._ready.set()
        finally:
            consumer.close()


def _unreached(consumer: KafkaConsumer, barriers: list[Barrier]) -> list[Barrier]:
    """Set the event of every barrier ``consumer`` has read up to; the others."""
    pending = []
    for end, event in barriers:
        if all(consumer.position(tp) >= offset for tp, offset in end.items()):
            event.set()
        else:
            pending.append((end, event))
    return pending


#: The record type of a topic's values (a TypedDict of ``hub.records``).
R = TypeVar("R", bound=Mapping[str, object])


class MaterializedTopic(TopicFollower, Generic[R]):
    """key -> decoded record ``R`` of ``topic``; subclasses may key records by a field instead."""

    def __init__(
        self,
        settings: Settings,
        serde: AvroSerde,
        topic: str,
        *,
        what: str,
        max_poll_records: int = 500,
    ) -> None:
        super().__init__(settings, topic, what=what, max_poll_records=max_poll_records)
        self.undecodable = 0
        self._serde = serde
        self._records: dict[str, R] = {}

    def __len__(self) -> int:
        return len(self._records)

    def get(self, key: str) -> R | None:
        return self._records.get(key)

    def values(self) -> Iterator[R]:
        return iter(list(self._records.values()))

    def key_of(self, key: bytes | None, record: R) -> str | None:
        """Where ``record`` is kept; None drops it. By default the Kafka key."""
        return key.decode() if key is not None else None

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # tombstone: the key left the topic
            if key is not None:
                self._records.pop(key.decode(), None)
            return
        try:
            # the decoding boundary: ``serde`` reads the topic's schema, whose record type R is
            record = cast(R, self._serde.decode(value))
        except DecodeError as exc:
            self.undecodable += 1
            log.warning("skipping undecodable record of %s: %s", self.topic, exc)
            return
        where = self.key_of(key, record)
        if where is not None:
            self._records[where] = record


def read_compacted(
    settings: Settings, topic: str, serde: AvroSerde, kind: type[R], *, timeout_s: float = 120.0
) -> dict[str, R]:
    """Key -> latest decoded value (a ``kind`` record) of compacted ``topic``, read once to its
    current end (no thread): a tombstone removes its key, an undecodable record is skipped."""
    latest: dict[str, R] = {}
    for record in read_to_end(settings, topic, timeout_s=timeout_s):
        if record.key is None:
            continue
        key = record.key.decode("utf-8", "replace")
        if record.value is None:
            latest.pop(key, None)
            continue
        try:
            # the decoding boundary: ``serde`` reads the topic's schema, whose record type R is
            latest[key] = cast(R, serde.decode(record.value))
        except DecodeError:
            continue
    return latest
