"""Producing to Kafka and waiting for the broker's acknowledgement (blocking; run in threads).

An inbound endpoint answers its partner only after this returned: what it acknowledged is on
the broker (idempotent ``acks=all`` producer, ``hub.kafka.make_producer``). The delivery timeout
equals the acknowledgement timeout, so a record the endpoint gave up on (and answered "retry"
for) is also given up by the producer, instead of landing minutes later behind the partner's
retry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from kafka.errors import KafkaError

from hub.kafka import make_producer
from hub.serde import AvroSerde, RegistryClient, RegistryError, serde_for
from hub.settings import Settings
from hub.topics import TopicSpec

_LINGER_MS = 5

#: A record for ``hub.serde`` to encode (its schema checks the fields): connectors build them
#: and hand them on without reading them back.
AvroRecord = Mapping[str, object]


class NotAcknowledged(Exception):
    """The broker (or the registry) did not confirm in time: tell the partner to retry."""


class AckedPublisher:
    """Encodes with ``hub.serde`` and produces; every ``publish`` blocks until acknowledged.

    Thread-safe (the kafka-python producer is); one per process, shared by every request.
    """

    def __init__(
        self,
        settings: Settings,
        registry: RegistryClient,
        *,
        client_id: str,
        ack_timeout_s: float = 10.0,
    ) -> None:
        self.ack_timeout_s = ack_timeout_s
        self.prefix = settings.topic_prefix
        ack_ms = int(ack_timeout_s * 1000)
        request_ms = max(ack_ms - _LINGER_MS - 1, 1)
        self._registry = registry
        self._serdes: dict[str, AvroSerde] = {}
        self._producer = make_producer(
            settings,
            client_id=client_id,
            linger_ms=_LINGER_MS,
            request_timeout_ms=request_ms,
            delivery_timeout_ms=request_ms + _LINGER_MS,
            max_block_ms=ack_ms,
        )

    def serde(self, spec: TopicSpec) -> AvroSerde:
        serde = self._serdes.get(spec.suffix)
        if serde is None:
            serde = self._serdes[spec.suffix] = serde_for(spec, self.prefix, self._registry)
        return serde

    def warm_up(self, *specs: TopicSpec) -> None:
        """Register the topics' value schemas now rather than in the first request."""
        for spec in specs:
            _ = self.serde(spec).schema_id

    def encode(self, spec: TopicSpec, record: AvroRecord) -> bytes:
        try:
            return self.serde(spec).encode(dict(record))
        except RegistryError as exc:
            raise NotAcknowledged(f"schema registry unavailable: {exc}") from exc

    def publish(self, spec: TopicSpec, records: Sequence[tuple[str, AvroRecord]]) -> None:
        """Encode and produce ``(key, record)`` pairs to ``spec``'s topic; wait for every ack."""
        encoded = [(key, self.encode(spec, record)) for key, record in records]
        self.publish_bytes(spec.name(self.prefix), encoded)

    def publish_bytes(self, topic: str, messages: Sequence[tuple[str, bytes | None]]) -> None:
        """Produce already-encoded values (``None``: a tombstone); wait for every ack."""
        deadline = time.monotonic() + self.ack_timeout_s
        try:
            futures = [self._producer.send(topic, key=k.encode(), value=v) for k, v in messages]
            for future in futures:
                future.get(timeout=max(deadline - time.monotonic(), 0.001))
        except KafkaError as exc:
            raise NotAcknowledged(f"{topic}: {type(exc).__name__}: {exc}") from exc

    def broker_reachable(self, topic: str) -> bool:
        """Whether the broker answers with metadata for ``topic`` (blocks up to the timeout)."""
        try:
            return bool(self._producer.partitions_for(topic))
        except KafkaError:
            return False

    def close(self) -> None:
        self._producer.close(timeout=self.ack_timeout_s)
