"""Producing to Kafka and waiting for the broker's acknowledgement (blocking; run in threads).

One idempotent ``acks=all`` producer (``hub.kafka.make_producer``) is shared by every request.
Its delivery timeout equals the connector's acknowledgement timeout, so a record the connector
gave up on (and answered 503 for) is also given up by the producer, instead of landing minutes
later behind the client's retry.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kafka.errors import KafkaError

from connectors.portal._dedupe import Marker, accepted_ids_topic
from hub.kafka import make_producer
from hub.serde import AvroSerde, RegistryClient, RegistryError, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS

_LINGER_MS = 5


class NotAcknowledged(Exception):
    """The broker (or the registry) did not confirm in time; the client should retry (503)."""


@dataclass(frozen=True)
class Keyed:
    """A record to produce with its Kafka key."""

    key: str
    record: dict[str, Any]


class Publisher:
    """Encodes with ``hub.serde`` and produces; every method blocks until acknowledged."""

    def __init__(
        self, settings: Settings, registry: RegistryClient, *, ack_timeout_s: float
    ) -> None:
        self.ack_timeout_s = ack_timeout_s
        ack_ms = int(ack_timeout_s * 1000)
        request_ms = max(ack_ms - _LINGER_MS - 1, 1)
        self._producer = make_producer(
            settings,
            client_id="dvchub-portal",
            linger_ms=_LINGER_MS,
            request_timeout_ms=request_ms,
            delivery_timeout_ms=request_ms + _LINGER_MS,
            max_block_ms=ack_ms,
        )
        prefix = settings.topic_prefix
        self.events_topic = DOSSIER_EVENTS.name(prefix)
        self.procedures_topic = CATALOG_PROCEDURES.name(prefix)
        self.markers_topic = accepted_ids_topic(settings)
        self._events: AvroSerde = serde_for(DOSSIER_EVENTS, prefix, registry)
        self._procedures: AvroSerde = serde_for(CATALOG_PROCEDURES, prefix, registry)

    def warm_up(self) -> None:
        """Register both value schemas now rather than in the first request."""
        _ = self._events.schema_id, self._procedures.schema_id

    def publish_events(self, events: Sequence[Keyed]) -> None:
        self._send_all(
            self.events_topic, [(e.key, self._encode(self._events, e.record)) for e in events]
        )

    def publish_procedure(self, procedure: Keyed) -> None:
        self._send_all(
            self.procedures_topic,
            [(procedure.key, self._encode(self._procedures, procedure.record))],
        )

    def publish_markers(self, markers: Sequence[Marker]) -> None:
        self._send_all(self.markers_topic, [(m.event_id, m.to_value()) for m in markers])

    def broker_reachable(self, topic: str) -> bool:
        """Whether the broker answers with metadata for ``topic`` (blocks up to the timeout)."""
        try:
            return bool(self._producer.partitions_for(topic))
        except KafkaError:
            return False

    def close(self) -> None:
        self._producer.close(timeout=self.ack_timeout_s)

    def _encode(self, serde: AvroSerde, record: dict[str, Any]) -> bytes:
        try:
            return serde.encode(record)
        except RegistryError as exc:
            raise NotAcknowledged(f"schema registry unavailable: {exc}") from exc

    def _send_all(self, topic: str, messages: Sequence[tuple[str, bytes]]) -> None:
        deadline = time.monotonic() + self.ack_timeout_s
        try:
            futures = [self._producer.send(topic, key=k.encode(), value=v) for k, v in messages]
            for future in futures:
                future.get(timeout=max(deadline - time.monotonic(), 0.001))
        except KafkaError as exc:
            raise NotAcknowledged(f"{topic}: {type(exc).__name__}: {exc}") from exc
