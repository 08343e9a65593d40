"""The signing processor end to end on the real broker and registry, with the real test PKI/TSA,
on the hub's consume loop (run in a thread, stopped as SIGTERM stops it)."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from hub.events import new_event, payload_name_of
from hub.kafka import make_consumer, make_producer, read_to_end
from hub.processing import LoopOptions
from hub.serde import DecodeError, RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS
from signing import (
    LocalDocumentStore,
    SigningConfig,
    SigningProcessor,
    SigningService,
    options_for,
    outcome_event_id,
    verify,
)
from signing.testing import TestPKI


def _document(document_id: str, media_type: str, content: bytes) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "name": document_id,
        "media_type": media_type,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size_bytes": len(content),
    }


def _produce(
    settings: Settings, registry: RegistryClient, values: list[bytes | dict[str, Any]]
) -> None:
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    producer = make_producer(settings)
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    for value in values:
        data = value if isinstance(value, bytes) else serde.encode(value)
        producer.send(topic, key=b"HS-SIGN-1", value=data)
    producer.flush()
    producer.close()


def _options(settings: Settings, group: str) -> LoopOptions:
    return dataclasses.replace(options_for(settings), group_id=f"{group}-{uuid.uuid4().hex}")


@contextmanager
def _running(processor: SigningProcessor) -> Iterator[None]:
    worker = threading.Thread(target=processor.run)
    worker.start()
    try:
        yield
    finally:
        processor.stop()
        worker.join(timeout=60)
        assert not worker.is_alive()


def _signing_events(
    settings: Settings, registry: RegistryClient, count: int
) -> list[dict[str, Any]]:
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    consumer = make_consumer(
        settings,
        DOSSIER_EVENTS.name(settings.topic_prefix),
        group_id=f"test-{uuid.uuid4().hex}",
        consumer_timeout_ms=60_000,  # the processor runs meanwhile: a signature takes a while
    )
    found = []
    for message in consumer:
        try:
            event = serde.decode(message.value)
        except DecodeError:
            continue  # the poison message the first test planted
        if event["source"] == "SIGNING":
            found.append(event)
        if len(found) == count:
            break
    consumer.close()
    return found


def test_result_documents_are_signed_and_reported(
    hub_topics: Settings,
    registry: RegistryClient,
    pki: TestPKI,
    pkcs12_config: SigningConfig,
    store: LocalDocumentStore,
    pdf_bytes: bytes,
    xml_bytes: bytes,
) -> None:
    corrupt = b"%PDF-1.7\nthis is not a PDF body"
    for content in (pdf_bytes, xml_bytes, corrupt):
        store.put(content)
    documents = [
        _document("giay-phep", "application/pdf", pdf_bytes),
        _document("ket-qua-xml", "application/xml", xml_bytes),
        _document("hong", "application/pdf", corrupt),
    ]
    now = datetime.now(UTC)
    submitted = new_event(
        "HS-SIGN-1", "DossierRefused", {"reason": "x"}, source="HUB", occurred_at=now
    )
    ready = new_event(
        "HS-SIGN-1",
        "ResultReady",
        {"decision_number": "12/QĐ", "documents": documents, "return_channel": "ONLINE"},
        source="PROVINCIAL_PORTAL",
        occurred_at=now,
    )
    # An unrelated event, a poison message, then the ResultReady: the poison must not stall it.
    _produce(hub_topics, registry, [submitted, b"\x00\x00\x00\x00\x01garbage", ready])

    service = SigningService(pkcs12_config, store)
    processor = SigningProcessor(
        hub_topics, service, registry, timestamped=True, options=_options(hub_topics, "t1")
    )
    with _running(processor):
        signed = _signing_events(hub_topics, registry, 3)

    events = {e["payload"][1]["document_id"]: e for e in signed}
    pdf, xml, broken = events["giay-phep"], events["ket-qua-xml"], events["hong"]
    assert payload_name_of(pdf) == "ResultSigned"
    assert pdf["payload"][1]["signature_level"] == "PADES_B_T"
    assert pdf["payload"][1]["timestamp_at"] is not None
    assert pdf["causation_id"] == ready["event_id"]
    assert str(pdf["event_id"]) == outcome_event_id(ready["event_id"], "giay-phep")
    assert payload_name_of(xml) == "ResultSigned"
    assert xml["payload"][1]["signature_level"] == "XMLDSIG_ENVELOPED"
    assert payload_name_of(broken) == "ResultSigningFailed"
    assert broken["payload"][1]["reason_code"] == "corrupt_document"

    signed_pdf = store.get(pdf["payload"][1]["signed_sha256"])
    report = verify(signed_pdf, trust=pki.trust_config())
    assert report.valid, report

    # the poison set aside by the loop, with its bytes, under the signer's name
    letters = serde_for(DEADLETTER, hub_topics.topic_prefix, registry)
    records = read_to_end(hub_topics, DEADLETTER.name(hub_topics.topic_prefix), timeout_s=30)
    decoded = [letters.decode(r.value) for r in records]
    assert [(d["processor"], d["original_value"]) for d in decoded] == [
        ("signing", b"\x00\x00\x00\x00\x01garbage")
    ]


def test_a_restart_before_commit_repeats_the_same_event_ids(
    hub_topics: Settings,
    registry: RegistryClient,
    pkcs12_config: SigningConfig,
    store: LocalDocumentStore,
    xml_bytes: bytes,
) -> None:
    store.put(xml_bytes)
    ready = new_event(
        "HS-SIGN-1",
        "ResultReady",
        {
            "decision_number": None,
            "documents": [_document("kq", "application/xml", xml_bytes)],
            "return_channel": "DESK",
        },
        source="PROVINCIAL_PORTAL",
        occurred_at=datetime.now(UTC),
    )
    _produce(hub_topics, registry, [ready])
    service = SigningService(pkcs12_config, store)
    # Two processors in different groups stand for a worker that crashed before committing
    # and its replacement reading the same message again.
    for count, group in enumerate(("first", "replacement"), start=1):
        processor = SigningProcessor(
            hub_topics, service, registry, timestamped=False, options=_options(hub_topics, group)
        )
        with _running(processor):
            events = _signing_events(hub_topics, registry, count)
    ids = {str(e["event_id"]) for e in events}
    assert len(events) == 2
    assert ids == {outcome_event_id(ready["event_id"], "kq")}


def test_run_stops_when_asked(
    hub_topics: Settings,
    registry: RegistryClient,
    pkcs12_config: SigningConfig,
    store: LocalDocumentStore,
) -> None:
    processor = SigningProcessor(
        hub_topics, SigningService(pkcs12_config, store), registry, timestamped=False,
        options=_options(hub_topics, "stop"),
    )  # fmt: skip
    worker = threading.Thread(target=processor.run)
    worker.start()
    processor.stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
