"""The signing processor: ResultReady in, ResultSigned / ResultSigningFailed out, at least once.

It consumes ``<prefix>dossier.events`` in a consumer group of its own. For every document of a
ResultReady event it asks ``SigningService`` for an outcome (which never raises) and produces the
matching DossierEvent to the same topic, keyed by the dossier id, so the lifecycle processor
records the signature in the dossier's state.

It is a handler on the hub's consume loop (``hub.processing.ConsumeLoop``), which decodes,
dead-letters what no schema reads (``processor="signing"``, as every processor of the event log
does), commits, follows rebalances, serves ``/ready`` and ``/metrics`` and stops. A ResultReady
is done once the broker acknowledged all its outcomes, so a crash signs at most the events not
committed yet again; the outcome's event id is derived (uuid5) from the ResultReady event id and
the document id, so the repeat carries the same ids and is dropped as a duplicate downstream.
``dvchub worker signing`` runs it (``signing._worker.SPEC``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from prometheus_client import Counter

from hub.events import new_event, payload_name_of
from hub.kafka import make_producer
from hub.processing import ConsumeLoop, LoopHandler, LoopOptions, Ticket
from hub.records import Document
from hub.serde import AvroSerde, RegistryClient, serde_for
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
log = logging.getLogger("signing.processor")


def level_for(media_type: str, *, timestamped: bool) -> SignatureLevel:
    """The signature a result gets: PAdES for PDF (B-T with a TSA), XMLDSig for XML, else CMS."""
    if media_type == "application/pdf":
        return SignatureLevel.PADES_B_T if timestamped else SignatureLevel.PADES_B_B
    if media_type in ("application/xml", "text/xml") or media_type.endswith("+xml"):
        return SignatureLevel.XMLDSIG_ENVELOPED
    return SignatureLevel.CMS_DETACHED


def outcome_event_id(result_ready_event_id: str, document_id: str) -> str:
    return str(uuid.uuid5(OUTCOME_NAMESPACE, f"{result_ready_event_id}/{document_id}"))


def outcome_event(ready: Mapping[str, Any], outcome: SignOutcome) -> Mapping[str, object]:
    """The DossierEvent reporting ``outcome`` for a document of the ResultReady event ``ready``."""

    def event(name: str, payload: Mapping[str, object], at: datetime) -> Mapping[str, object]:
        return new_event(
            ready["dossier_id"],
            name,
            payload,
            occurred_at=at,
            source="SIGNING",
            correlation_id=ready["correlation_id"],
            causation_id=str(ready["event_id"]),
            event_id=outcome_event_id(str(ready["event_id"]), outcome.document_id),
        )

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
        return event("ResultSigned", payload, outcome.signed_at)
    failed: SigningFailed = outcome
    payload = {
        "document_id": failed.document_id,
        "reason_code": failed.reason_code,
        "reason": failed.reason,
    }
    return event("ResultSigningFailed", payload, datetime.now(UTC))


#: A poll's worth of ResultReady documents, each a signature (and perhaps a TSA round trip):
#: few, so that a stop or a rebalance has little in flight to finish.
MAX_POLL_RECORDS = 20


def group_for(settings: Settings) -> str:
    """The signing processor's consumer group, under the topic prefix like every worker's."""
    return f"{settings.topic_prefix}signing"


def options_for(settings: Settings) -> LoopOptions:
    """How a signing processor consumes unless told otherwise."""
    return LoopOptions(
        group_id=group_for(settings), client_id="dvchub-signing", max_poll_records=MAX_POLL_RECORDS
    )


class SigningProcessor(LoopHandler):
    """The event log's ResultReady events signed, on the hub's consume loop (``run`` blocks
    until ``stop``)."""

    name = "signing"
    source = DOSSIER_EVENTS
    outputs = (DOSSIER_EVENTS,)

    def __init__(
        self,
        settings: Settings,
        service: SigningService,
        registry: RegistryClient,
        *,
        timestamped: bool,
        options: LoopOptions | None = None,
    ) -> None:
        options = options or options_for(settings)
        self._service = service
        self._timestamped = timestamped
        self._topic = DOSSIER_EVENTS.name(settings.topic_prefix)
        self._serde: AvroSerde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        self._producer: KafkaProducer = make_producer(settings, client_id="dvchub-signing")
        self.loop = ConsumeLoop(settings, self, options, producer=self._producer, registry=registry)

    def run(self) -> None:
        """Process until ``stop``; then commit what was published and close."""
        self.loop.run()

    def stop(self) -> None:
        self.loop.stop()

    def open(self) -> None:
        _ = self._serde.schema_id  # fetched before the first outcome, not in its way

    def handle(self, ticket: Ticket, value: Mapping[str, Any]) -> None:
        if payload_name_of(value) != "ResultReady":
            ticket.done("ignored")
            return
        outcomes = [self._sign(value, document) for document in value["payload"][1]["documents"]]
        if self._publish(ticket, str(value["dossier_id"]), outcomes):
            ticket.done("signed")

    def _sign(self, event: Mapping[str, Any], document: Document) -> Mapping[str, object]:
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
        return outcome_event(event, outcome)

    def _publish(self, ticket: Ticket, key: str, outcomes: list[Mapping[str, object]]) -> bool:
        return publish_acknowledged(self.loop, self._serde, self._topic, ticket, key, outcomes)


def publish_acknowledged(
    loop: ConsumeLoop, serde: AvroSerde, topic: str, ticket: Ticket, key: str,
    records: list[Mapping[str, object]],
) -> bool:  # fmt: skip
    """Every record acknowledged (True), or given up once the ticket is stale (a stop or a
    rebalance: the input is handled again, its outputs keep their ids). The first attempt is
    made even when stopping: the signature is done, it is the work in flight."""
    while True:
        try:
            futures = [
                loop.producer.send(topic, key=key.encode(), value=serde.encode(r)) for r in records
            ]
            for future in futures:
                future.get(timeout=loop.options.ack_timeout_s)
            return True
        except KafkaError as exc:
            log.warning("%s: outputs not acknowledged: %s", loop.name, exc)
        if not ticket.current:
            return False
        loop.stopping.wait(1.0)
