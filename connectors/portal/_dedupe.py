"""First-line dedupe by event id: a bounded memory of recently accepted ids, rebuilt at start-up.

Why a Kafka topic, not a SQLite file: the hub's principle is that everything but the event log
is derived and rebuildable, and nothing assumes one process or one disk. A compacted topic
``<prefix>portal.accepted-ids`` (key = event id, value = a small JSON marker) survives a
restart, a move to another host and a lost container volume, needs no new infrastructure, and
is read back from the start in well under a second for a week of ids. Its cleanup policy is
``compact,delete`` with a retention of ``dedupe_retention_days``: compaction keeps one marker
per id and deletion bounds the topic to the dedupe window; the memory is bounded too
(``dedupe_capacity`` ids, oldest forgotten first).

Ordering makes it safe: a marker is written only after the broker acknowledged the event
itself, so a marker never stands for an event that was not produced (a resend after a crash
between the two is produced again, and the lifecycle processor's own dedupe drops it).
Concurrent requests carrying the same id are serialised: the second waits for the first's
outcome (accepted -> duplicate; failed -> it produces the event itself).

Replicas each load the topic at start-up but do not follow each other's markers while running;
an id resent to another replica within that window is produced twice and dropped downstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafka import TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from hub.kafka import make_admin, make_consumer
from hub.settings import Settings

ACCEPTED_IDS_SUFFIX = "portal.accepted-ids"


def accepted_ids_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{ACCEPTED_IDS_SUFFIX}"


class EventIdConflict(Exception):
    """An event id was accepted before with different content (answered with 409)."""

    def __init__(self, event_ids: Sequence[str]) -> None:
        super().__init__(f"{len(event_ids)} event id(s) reused with different content")
        self.event_ids = tuple(event_ids)


@dataclass(frozen=True)
class Marker:
    """What the accepted-ids topic says about one event id."""

    event_id: str
    fingerprint: str
    dossier_id: str

    def to_value(self) -> bytes:
        return json.dumps({"fingerprint": self.fingerprint, "dossier_id": self.dossier_id}).encode()

    @classmethod
    def from_record(cls, key: bytes, value: bytes) -> Marker:
        body = json.loads(value)
        return cls(key.decode(), str(body["fingerprint"]), str(body["dossier_id"]))


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a batch's ids: which to produce now, which were already accepted."""

    fresh: tuple[Marker, ...]
    duplicates: frozenset[str]
    _done: asyncio.Future[None] = field(repr=False, compare=False)


class AcceptedIds:
    """Recently accepted event ids with their content fingerprints; used on the event loop only."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._accepted: OrderedDict[str, str] = OrderedDict()
        self._pending: dict[str, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        return len(self._accepted)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._accepted

    def remember(self, event_id: str, fingerprint: str) -> None:
        self._accepted[event_id] = fingerprint
        self._accepted.move_to_end(event_id)
        while len(self._accepted) > self.capacity:
            self._accepted.popitem(last=False)

    async def claim(self, markers: Sequence[Marker]) -> Claim:
        """Reserve the ids not accepted yet; waits while another request holds one of them.

        All or nothing: a request holding ids never waits for another, so two requests can
        never wait for each other.
        """
        while True:
            busy = next(
                (self._pending[m.event_id] for m in markers if m.event_id in self._pending), None
            )
            if busy is None:
                break
            await asyncio.shield(busy)
        conflicts = [
            m.event_id
            for m in markers
            if self._accepted.get(m.event_id, m.fingerprint) != m.fingerprint
        ]
        if conflicts:
            raise EventIdConflict(sorted(set(conflicts)))
        fresh: dict[str, Marker] = {}
        for marker in markers:
            if marker.event_id not in self._accepted:
                fresh.setdefault(marker.event_id, marker)  # an id twice in one batch: once
        duplicates = frozenset(m.event_id for m in markers) - fresh.keys()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for event_id in fresh:
            self._pending[event_id] = done
        return Claim(tuple(fresh.values()), duplicates, done)

    def settle(self, claim: Claim, *, accepted: bool) -> None:
        """End a claim: remember its ids if they were produced, and wake whoever waits."""
        for marker in claim.fresh:
            self._pending.pop(marker.event_id, None)
            if accepted:
                self.remember(marker.event_id, marker.fingerprint)
        if not claim._done.done():
            claim._done.set_result(None)


def ensure_accepted_ids_topic(settings: Settings, retention_days: float) -> str:
    topic = accepted_ids_topic(settings)
    admin = make_admin(settings)
    try:
        if topic not in set(admin.list_topics()):
            config = {
                "cleanup.policy": "compact,delete",
                "retention.ms": str(int(retention_days * 86_400_000)),
            }
            new = NewTopic(
                topic, settings.partitions, settings.replication_factor, topic_configs=config
            )
            # Another replica may create it between list and create: same outcome.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([new], timeout_ms=30_000)
    finally:
        admin.close()
    return topic


def load_accepted_ids(settings: Settings, store: AcceptedIds, *, timeout_s: float = 30.0) -> int:
    """Read the accepted-ids topic from its start into ``store`` (blocking); returns ids read."""
    topic = accepted_ids_topic(settings)
    # through hub.kafka: the broker's address and, on a secured cluster, the portal's login
    consumer = make_consumer(settings, group_id=None, client_id="dvchub-portal-dedupe")
    deadline = time.monotonic() + timeout_s
    try:
        partitions = None
        while not partitions:
            partitions = consumer.partitions_for_topic(topic)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no metadata for {topic}")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        end = consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if end[tp] > 0}
        count = 0
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took more than {timeout_s} s")
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if record.key is not None and record.value is not None:
                        marker = Marker.from_record(record.key, record.value)
                        store.remember(marker.event_id, marker.fingerprint)
                        count += 1
            remaining = {tp for tp in remaining if consumer.position(tp) < end[tp]}
        return count
    finally:
        consumer.close()
