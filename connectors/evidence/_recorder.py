"""Recorders: how an exchange gets onto ``<prefix>evidence.log``.

``Recorder.record`` returns once the broker acknowledged the record (``NotRecorded`` if it did
not in time), so an inbound endpoint, which records *before* it answers, never gives an answer
without its evidence; a partner that sends again after a crash is recorded again and the chain
drops the copy by call id. (The outbox does not wait per call: its exchanges go with the
outcomes, ``_outbound``.)
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from kafka.errors import KafkaError

from connectors.evidence._config import EvidenceConfig
from connectors.evidence._entry import Record, encode_record
from connectors.evidence._errors import NotRecorded
from hub.kafka import create_topic, make_producer
from hub.settings import Settings

log = logging.getLogger("connectors.evidence")

#: The topic's suffix after the prefix. Its values are JSON (``_entry``), not Avro: the log
#: is read back only by the evidence tools, and must not change with the contract's versions.
EVIDENCE_LOG = "evidence.log"
#: Evidence is kept until archived and then as long as the law asks: never deleted by Kafka.
TOPIC_CONFIG = {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}


def evidence_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{EVIDENCE_LOG}"


def ensure_evidence_topic(settings: Settings) -> str:
    topic = evidence_topic(settings)
    create_topic(settings, topic, config=TOPIC_CONFIG)
    return topic


class Recorder(Protocol):
    """Where partner messages go; ``enabled`` False: nowhere (the hook costs nothing)."""

    enabled: bool

    def record(self, record: Record) -> None: ...

    def close(self) -> None: ...


class NoEvidence:
    """Evidence disabled."""

    enabled = False

    def record(self, record: Record) -> None:
        return None

    def close(self) -> None:
        return None


NO_EVIDENCE = NoEvidence()


class KafkaRecorder:
    """Appends records to the evidence log, keyed by partner; thread-safe (one producer)."""

    enabled = True

    def __init__(self, settings: Settings, config: EvidenceConfig, *, client_id: str) -> None:
        self.topic = ensure_evidence_topic(settings)
        self._timeout_s = config.ack_timeout_s
        self._producer = make_producer(settings, client_id=client_id, linger_ms=0)
        self._closed = threading.Event()

    def record(self, record: Record) -> None:
        try:
            future = self._producer.send(
                self.topic, key=record.partner.encode(), value=encode_record(record)
            )
            future.get(timeout=self._timeout_s)
        except KafkaError as exc:
            raise NotRecorded(f"evidence of {record.partner} not acknowledged: {exc}") from exc

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._producer.close(timeout=self._timeout_s)


def recorder_from_env(settings: Settings, *, client_id: str) -> Recorder:
    """A ``KafkaRecorder`` when ``DVC_EVIDENCE=on``, else the no-op."""
    config = EvidenceConfig.from_env()
    if not config.enabled:
        return NO_EVIDENCE
    return KafkaRecorder(settings, config, client_id=client_id)
