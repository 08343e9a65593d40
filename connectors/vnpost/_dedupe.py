"""Callback ids already produced: a bounded memory, rebuilt at start-up from a compacted topic.

The same pattern as the portal connector's accepted event ids (see connectors/portal's dedupe
for the reasoning): ``<prefix>vnpost.callback-ids``, key = VNPost's CallbackId, value = a JSON
marker with the content fingerprint and the dossier, ``cleanup.policy=compact,delete`` with a
retention of ``dedupe_retention_days``. A marker is written only after the broker acknowledged
the events, so it never stands for something not produced; a crash between the two produces
the events again on VNPost's retry, with the same event ids, and downstream dedupe drops them.
Concurrent callbacks with one id are serialised: the second waits for the first's outcome.
A callback id seen before with other content is refused (the partner reused an id).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum

from hub.kafka import create_topic, read_to_end
from hub.settings import Settings

CALLBACK_IDS_SUFFIX = "vnpost.callback-ids"


def callback_ids_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{CALLBACK_IDS_SUFFIX}"


class Seen(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Claim:
    callback_id: str
    fingerprint: str
    dossier_id: str
    seen: Seen
    _done: asyncio.Future[None] | None = field(default=None, repr=False, compare=False)

    def marker(self) -> bytes:
        return json.dumps({"fingerprint": self.fingerprint, "dossier_id": self.dossier_id}).encode()


class CallbackIds:
    """callback id -> fingerprint of what was produced; used on the event loop only."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._produced: OrderedDict[str, str] = OrderedDict()
        self._pending: dict[str, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        return len(self._produced)

    def remember(self, callback_id: str, fingerprint: str) -> None:
        self._produced[callback_id] = fingerprint
        self._produced.move_to_end(callback_id)
        while len(self._produced) > self.capacity:
            self._produced.popitem(last=False)

    async def claim(self, callback_id: str, fingerprint: str, dossier_id: str) -> Claim:
        """NEW (the caller produces, then ``settle``s), DUPLICATE or CONFLICT."""
        while (busy := self._pending.get(callback_id)) is not None:
            await asyncio.shield(busy)
        known = self._produced.get(callback_id)
        if known is not None:
            seen = Seen.DUPLICATE if known == fingerprint else Seen.CONFLICT
            return Claim(callback_id, fingerprint, dossier_id, seen)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[callback_id] = done
        return Claim(callback_id, fingerprint, dossier_id, Seen.NEW, done)

    def settle(self, claim: Claim, *, produced: bool) -> None:
        if claim._done is None:
            return
        self._pending.pop(claim.callback_id, None)
        if produced:
            self.remember(claim.callback_id, claim.fingerprint)
        if not claim._done.done():
            claim._done.set_result(None)


def ensure_callback_ids_topic(settings: Settings, retention_days: float) -> str:
    topic = callback_ids_topic(settings)
    config = {
        "cleanup.policy": "compact,delete",
        "retention.ms": str(int(retention_days * 86_400_000)),
    }
    create_topic(settings, topic, config=config)
    return topic


def load_callback_ids(settings: Settings, store: CallbackIds, *, timeout_s: float = 30.0) -> int:
    """Read the topic from its start into ``store`` (blocking); the number of markers read."""
    count = 0
    for record in read_to_end(settings, callback_ids_topic(settings), timeout_s=timeout_s):
        if record.key is not None and record.value is not None:
            body = json.loads(record.value)
            store.remember(record.key.decode(), str(body["fingerprint"]))
            count += 1
    return count
