"""A compacted topic materialised in memory: key -> decoded record, kept current by a thread.

The thread reads every partition from offset 0 with no consumer group (each process holds
everything) and keeps following (``hub.kafka.follow_topic``). ``ready`` says the topic as of
start-up has been loaded. A tombstone removes its key; an undecodable record is counted and
skipped, never fatal. The query API's state store and the lifecycle's catalogue are both this.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any, Self

from hub.kafka import follow_topic, read_to_end
from hub.serde import AvroSerde, DecodeError
from hub.settings import Settings

log = logging.getLogger(__name__)


class TopicFollower:
    """A thread following ``topic`` from offset 0 (``hub.kafka.follow_topic``) into ``apply``;
    ``ready`` once the topic as it was at start-up has been applied. Subclasses keep what they
    need of each record (``apply``) and say how much they hold (``__len__``, for the log)."""

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

    def _run(self) -> None:
        follow_topic(
            self._settings,
            self.topic,
            self.apply,
            loaded=self._ready,
            stop=self._stop,
            on_loaded=lambda: log.info("%s loaded: %d %s", self.topic, len(self), self._what),
            max_poll_records=self._max_poll_records,
        )


class MaterializedTopic(TopicFollower):
    """key -> decoded record of ``topic``; subclasses may key records by a field instead."""

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
        self._records: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._records)

    def get(self, key: str) -> dict[str, Any] | None:
        return self._records.get(key)

    def values(self) -> Iterator[dict[str, Any]]:
        return iter(list(self._records.values()))

    def key_of(self, key: bytes | None, record: dict[str, Any]) -> str | None:
        """Where ``record`` is kept; None drops it. By default the Kafka key."""
        return key.decode() if key is not None else None

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # tombstone: the key left the topic
            if key is not None:
                self._records.pop(key.decode(), None)
            return
        try:
            record = self._serde.decode(value)
        except DecodeError as exc:
            self.undecodable += 1
            log.warning("skipping undecodable record of %s: %s", self.topic, exc)
            return
        where = self.key_of(key, record)
        if where is not None:
            self._records[where] = record


def read_compacted(
    settings: Settings, topic: str, serde: AvroSerde, *, timeout_s: float = 120.0
) -> dict[str, dict[str, Any]]:
    """Key -> latest decoded value of compacted ``topic``, read once to its current end (no
    thread): a tombstone removes its key, an undecodable record is skipped."""
    latest: dict[str, dict[str, Any]] = {}
    for record in read_to_end(settings, topic, timeout_s=timeout_s):
        if record.key is None:
            continue
        key = record.key.decode("utf-8", "replace")
        if record.value is None:
            latest.pop(key, None)
            continue
        try:
            latest[key] = serde.decode(record.value)
        except DecodeError:
            continue
    return latest
