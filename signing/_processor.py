"""The signing processor: ResultReady in, ResultSigned / ResultSigningFailed out, at least once.

It consumes ``<prefix>dossier.events`` in a consumer group of its own. For every document of a
ResultReady event it asks ``SigningService`` for an outcome (which never raises) and produces the
matching DossierEvent to the same topic, keyed by the dossier id, so the lifecycle processor
records the signature in the dossier's state.

Offsets are committed only after the broker acknowledged every outcome of a poll, so a crash
signs at most one poll's documents again; the outcome's event id is derived (uuid5) from the
ResultReady event id and the document id, so the repeat carries the same ids and is dropped as
a duplicate downstream. Messages it cannot decode are not its to dead-letter (the lifecycle
processor owns the event log's dead letters): they are counted and skipped, never stall a
partition.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from prometheus_client import Counter

from hub.events import new_event, payload_name_of
from hub.kafka import make_consumer, make_producer
from hub.serde import AvroSerde, DecodeError, RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS

from ._models import SignatureLevel, Signed, SigningFailed, SignOutcome, SignRequest
from ._service import SigningService

# Fixed namespace: the same ResultReady and document always give the same outcome event id.
OUTCOME_NAMESPACE = uuid.UUID("5b0c1a52-37f4-4c43-9d55-2f0a3c2e9d41")

OUTCOMES = Counter(
    "dvchub_signing_outcomes",
    "Signing outcomes produced, by kind and detail.",
    ["outcome", "detail"],
)
SKIPPED = Counter("dvchub_signing_skipped", "Event-log messages the signer could not decode.")


def level_for(media_type: str, *, timestamped: bool) -> SignatureLevel:
    """The signature a result gets: PAdES for PDF (B-T with a TSA), XMLDSig for XML, else CMS."""
    if media_type == "application/pdf":
        return SignatureLevel.PADES_B_T if timestamped else SignatureLevel.PADES_B_B
    if media_type in ("application/xml", "text/xml") or media_type.endswith("+xml"):
        return SignatureLevel.XMLDSIG_ENVELOPED
    return SignatureLevel.CMS_DETACHED


def outcome_event_id(result_ready_event_id: str, document_id: str) -> str:
    return str(uuid.uuid5(OUTCOME_NAMESPACE, f"{result_ready_event_id}/{document_id}"))


def outcome_event(ready: Mapping[str, Any], outcome: SignOutcome) -> dict[str, Any]:
    """The DossierEvent reporting ``outcome`` for a document of the ResultReady event ``ready``."""
    common: dict[str, Any] = {
        "source": "SIGNING",
        "correlation_id": ready["correlation_id"],
        "causation_id": str(ready["event_id"]),
        "event_id": outcome_event_id(str(ready["event_id"]), outcome.document_id),
    }
    if isinstance(outcome, Signed):
        payload = {
            "document_id": outcome.document_id,
            "original_sha256": outcome.original_sha256,
            "signed_sha256": outcome.signed_sha256,
            "signer_certificate_sha256": outcome.signer_cert_sha256,
            "signer_subject": outcome.signer_subject,
            "signature_level": outcome.signature_level.value,
            "timestamp_at": outcome.timestamp_time,
        }
        return new_event(
            ready["dossier_id"], "ResultSigned", payload, occurred_at=outcome.signed_at, **common
        )
    failed: SigningFailed = outcome
    payload = {
        "document_id": failed.document_id,
        "reason_code": failed.reason_code,
        "reason": failed.reason,
    }
    return new_event(
        ready["dossier_id"],
        "ResultSigningFailed",
        payload,
        occurred_at=datetime.now(UTC),
        **common,
    )


@dataclass(frozen=True)
class ProcessorOptions:
    group_id: str = "dvchub-signing"
    poll_timeout_ms: int = 500
    max_records: int = 20
    ack_timeout_s: float = 30.0


class SigningProcessor:
    """One consumer of the event log that signs result documents."""

    def __init__(
        self,
        settings: Settings,
        service: SigningService,
        registry: RegistryClient,
        *,
        timestamped: bool,
        options: ProcessorOptions = ProcessorOptions(),
    ) -> None:
        self._service = service
        self._timestamped = timestamped
        self._options = options
        self._topic = DOSSIER_EVENTS.name(settings.topic_prefix)
        self._serde: AvroSerde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        self._consumer: KafkaConsumer = make_consumer(
            settings, self._topic, group_id=options.group_id, max_poll_records=options.max_records
        )
        self._producer: KafkaProducer = make_producer(settings, client_id="dvchub-signing")

    def run(self, stop: threading.Event) -> None:
        """Process until ``stop`` is set."""
        while not stop.is_set():
            self.poll_once()

    def poll_once(self) -> int:
        """Handle one poll's messages; returns the number of outcomes produced."""
        batches = self._consumer.poll(timeout_ms=self._options.poll_timeout_ms)
        futures = []
        for messages in batches.values():
            for message in messages:
                for outcome in self._handle(message.value):
                    futures.append(
                        self._producer.send(
                            self._topic,
                            key=outcome["dossier_id"].encode(),
                            value=self._serde.encode(outcome),
                        )
                    )
        for future in futures:
            future.get(timeout=self._options.ack_timeout_s)
        if batches:
            self._consumer.commit()
        return len(futures)

    def _handle(self, value: bytes | None) -> list[dict[str, Any]]:
        if value is None:
            return []
        try:
            event = self._serde.decode(value)
        except DecodeError:
            SKIPPED.inc()
            return []
        if payload_name_of(event) != "ResultReady":
            return []
        outcomes = []
        for document in event["payload"][1]["documents"]:
            request = SignRequest(
                dossier_id=event["dossier_id"],
                document_id=document["document_id"],
                document_key=document["sha256"],
                media_type=document["media_type"],
                level=level_for(document["media_type"], timestamped=self._timestamped),
            )
            outcome = self._service.sign_result(request)
            if isinstance(outcome, Signed):
                OUTCOMES.labels("signed", outcome.signature_level.value).inc()
            else:
                OUTCOMES.labels("failed", outcome.reason_code).inc()
            outcomes.append(outcome_event(event, outcome))
        return outcomes

    def close(self) -> None:
        self._consumer.close()
        self._producer.close()
