"""What the IPN endpoints already settled, so each fact is produced once: a compacted topic
``<prefix>bank.settled`` of JSON markers, followed in memory and read in full at start-up (a
restarted connector still answers "already confirmed").

Keys: ``<payment_reference>`` for a confirmed payment (value: kind PAID, provider, transaction
id, dossier, event id); ``<payment_reference>/<transaction_id>/<REASON>`` for a PaymentFailed
produced for a callback (WRONG_AMOUNT, DECLINED). References hold only letters, digits and
'-', so '/' cannot collide. A marker is written only after the broker acknowledged the event
it stands for. Replicas follow each other's markers; two replicas racing on the same reference
in the same instant can both produce the FeePaid, with the same event id (dropped downstream).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from hub.kafka import create_topic
from hub.materialized import TopicFollower
from hub.settings import Settings

log = logging.getLogger("connectors.bank")
SETTLED_SUFFIX = "bank.settled"


def settled_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{SETTLED_SUFFIX}"


def ensure_settled_topic(settings: Settings) -> str:
    topic = settled_topic(settings)
    create_topic(settings, topic, config={"cleanup.policy": "compact"})
    return topic


@dataclass(frozen=True)
class Marker:
    key: str
    kind: str  # PAID, WRONG_AMOUNT, DECLINED
    provider: str
    payment_reference: str
    transaction_id: str
    dossier_id: str
    event_id: str

    @classmethod
    def paid(
        cls, provider: str, reference: str, transaction_id: str, dossier_id: str, event_id: str
    ) -> Marker:
        return cls(reference, "PAID", provider, reference, transaction_id, dossier_id, event_id)

    @classmethod
    def failed(
        cls,
        reason: str,
        provider: str,
        reference: str,
        transaction_id: str,
        dossier_id: str,
        event_id: str,
    ) -> Marker:
        key = failure_key(reference, transaction_id, reason)
        return cls(key, reason, provider, reference, transaction_id, dossier_id, event_id)

    def to_value(self) -> bytes:
        body = {
            "kind": self.kind,
            "provider": self.provider,
            "payment_reference": self.payment_reference,
            "transaction_id": self.transaction_id,
            "dossier_id": self.dossier_id,
            "event_id": self.event_id,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_record(cls, key: bytes, value: bytes) -> Marker:
        body = json.loads(value)
        return cls(
            key.decode(),
            str(body["kind"]),
            str(body["provider"]),
            str(body["payment_reference"]),
            str(body["transaction_id"]),
            str(body["dossier_id"]),
            str(body["event_id"]),
        )


def failure_key(reference: str, transaction_id: str, reason: str) -> str:
    return f"{reference}/{transaction_id}/{reason}"


class SettledMarkers(TopicFollower):
    """The markers in memory; written by the follower thread and the event loop (dict ops)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, settled_topic(settings), what="settled markers")
        self.unreadable = 0
        self._paid: dict[str, Marker] = {}
        self._paid_transactions: set[tuple[str, str]] = set()
        self._failures: set[str] = set()
        self._unwritten: dict[str, Marker] = {}

    def __len__(self) -> int:
        return len(self._paid) + len(self._failures)

    def confirmed(self, reference: str) -> Marker | None:
        return self._paid.get(reference)

    def transaction_confirmed(self, provider: str, transaction_id: str) -> bool:
        return (provider, transaction_id) in self._paid_transactions

    def failure_recorded(self, key: str) -> bool:
        return key in self._failures

    def unwritten(self, reference: str) -> Marker | None:
        """A confirmation whose event is on the broker but whose marker is not (yet)."""
        return self._unwritten.get(reference)

    def remember(self, marker: Marker, *, written: bool) -> None:
        if marker.kind == "PAID":
            self._paid[marker.key] = marker
            self._paid_transactions.add((marker.provider, marker.transaction_id))
            if written:
                self._unwritten.pop(marker.key, None)
            else:
                self._unwritten[marker.key] = marker
        else:
            self._failures.add(marker.key)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None or value is None:
            return
        try:
            marker = Marker.from_record(key, value)
        except (ValueError, KeyError, TypeError):
            self.unreadable += 1
            return
        self.remember(marker, written=True)
