"""Claim/settle dedupe by a request or event id: one bounded memory per inbound endpoint, kept
by following a compacted marker topic, so a restart, another host or another replica knows
what was produced.

Why a Kafka topic, not a file: everything but the event log is derived and rebuildable, and
nothing assumes one process or one disk. ``<prefix><suffix>`` (``portal.accepted-ids``,
``vnpost.callback-ids``) holds key = the id, value = a small JSON marker (the content's
fingerprint and the dossier); its cleanup policy is ``compact,delete`` with a retention of the
dedupe window, so it keeps one marker per id and no more than the window (``compact`` alone for
ids that never expire: the national intake's dossier codes). The memory is bounded
too (``capacity`` ids, the oldest forgotten first).

The order makes it safe::

    claim(markers)   ids not produced yet are reserved; a request carrying an id another
                     request holds waits for that one's outcome (produced -> a duplicate;
                     failed -> the claim is released and it produces the id itself);
                     an id produced before with other content raises ``IdConflict``
    produce          the caller's records, acknowledged by the broker
    settle(claim)    produced: the ids are remembered; failed: forgotten, nothing claimed
    markers          written after the records were acknowledged, so a marker never stands
                     for something not produced (a crash between the two produces the id again
                     on the partner's retry, and downstream dedupe by event id drops it)

The follower thread applies every replica's markers, its own included, so replicas converge;
two replicas receiving one id in the same instant can both produce it (dropped downstream).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from hub.kafka import create_topic
from hub.materialized import TopicFollower
from hub.settings import Settings

log = logging.getLogger("connectors.common.dedupe")
_MS_PER_DAY = 86_400_000


class IdConflict(Exception):
    """An id was produced before with different content: the partner reused it."""

    def __init__(self, ids: Sequence[str]) -> None:
        super().__init__(f"{len(ids)} id(s) reused with different content")
        self.ids = tuple(ids)


@dataclass(frozen=True)
class Marker:
    """What the marker topic says about one id: what a resend must repeat, and its dossier."""

    id: str
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
    """Which ids to produce now (``fresh``, first occurrence of each) and which were produced
    before (``duplicates``)."""

    fresh: tuple[Marker, ...]
    duplicates: frozenset[str]
    _done: asyncio.Future[None] = field(repr=False, compare=False)

    def is_new(self, marker_id: str) -> bool:
        return any(m.id == marker_id for m in self.fresh)


@dataclass(frozen=True)
class DedupeSpec:
    """An endpoint's dedupe: its marker topic's suffix, the window and the memory's bound."""

    suffix: str
    #: None: no window, markers kept as long as their id (a poller's intake ids: the partner
    #: may list a dossier again at any time, and an id it owns is never reused).
    retention_days: float | None
    capacity: int
    #: Keys of markers start with it; the topic's other records are the endpoint's own (a
    #: poller keeps its cursor there, the one topic its principal owns).
    key_prefix: str = ""

    def topic(self, settings: Settings) -> str:
        return f"{settings.topic_prefix}{self.suffix}"

    def config(self) -> dict[str, str]:
        """The marker topic's configuration: compacted, and deleted after the window if any."""
        if self.retention_days is None:
            return {"cleanup.policy": "compact"}
        retention_ms = int(self.retention_days * _MS_PER_DAY)
        return {"cleanup.policy": "compact,delete", "retention.ms": str(retention_ms)}


class ClaimedIds(TopicFollower):
    """Produced ids with their fingerprints, and the ids being produced right now.

    ``claim``/``settle`` run on the event loop; ``apply`` (markers read back) on the follower
    thread: the bounded memory is guarded by a lock, the pending claims are the loop's alone.
    """

    def __init__(self, settings: Settings, spec: DedupeSpec) -> None:
        super().__init__(settings, spec.topic(settings), what=f"{spec.suffix} markers")
        self.spec = spec
        self._key_prefix = spec.key_prefix.encode()
        self._produced: OrderedDict[str, str] = OrderedDict()
        self._memory = threading.Lock()
        self._pending: dict[str, asyncio.Future[None]] = {}
        self.unreadable = 0

    def __len__(self) -> int:
        return len(self._produced)

    def __contains__(self, marker_id: object) -> bool:
        return marker_id in self._produced

    def ensure_topic(self) -> None:
        """Create the marker topic unless it exists (another replica may race: same outcome)."""
        create_topic(self._settings, self.topic, config=self.spec.config())

    def remember(self, marker_id: str, fingerprint: str) -> None:
        with self._memory:
            self._produced[marker_id] = fingerprint
            self._produced.move_to_end(marker_id)
            while len(self._produced) > self.spec.capacity:
                self._produced.popitem(last=False)

    def _known(self, marker_id: str) -> str | None:
        with self._memory:
            return self._produced.get(marker_id)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None or value is None or not key.startswith(self._key_prefix):
            return
        try:
            marker = Marker.from_record(key, value)
        except (ValueError, KeyError, TypeError):
            self.unreadable += 1  # not ours to judge; counted, and the id is not deduped
            return
        self.remember(marker.id, marker.fingerprint)

    async def claim(self, markers: Sequence[Marker]) -> Claim:
        """Reserve the ids not produced yet; waits while another request holds one of them.

        All or nothing: a request holding ids never waits for another, so two requests can
        never wait for each other.
        """
        while True:
            busy = next((self._pending[m.id] for m in markers if m.id in self._pending), None)
            if busy is None:
                break
            await asyncio.shield(busy)
        known = {m.id: self._known(m.id) for m in markers}
        conflicts = sorted({m.id for m in markers if known[m.id] not in (None, m.fingerprint)})
        if conflicts:
            raise IdConflict(conflicts)
        fresh: dict[str, Marker] = {}
        for marker in markers:
            if known[marker.id] is None:
                fresh.setdefault(marker.id, marker)  # an id twice in one request: once
        duplicates = frozenset(m.id for m in markers) - fresh.keys()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for marker_id in fresh:
            self._pending[marker_id] = done
        return Claim(tuple(fresh.values()), duplicates, done)

    def settle(self, claim: Claim, *, produced: bool) -> None:
        """End a claim: remember its ids if they were produced, and wake whoever waits."""
        for marker in claim.fresh:
            self._pending.pop(marker.id, None)
            if produced:
                self.remember(marker.id, marker.fingerprint)
        if not claim._done.done():
            claim._done.set_result(None)
