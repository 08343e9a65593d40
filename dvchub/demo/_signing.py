"""Demo section: result PDFs signed by the Kafka signing processor, then verified.

A throwaway test PKI (root CA, agency CA, TSA, OCSP, CRL on loopback) and a SoftHSM token
holding the agency key stand in for the government CA and the agency's USB token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
import uuid
from typing import Any

from rich.table import Table

from dvchub.demo._console import console
from hub.events import payload_name_of
from hub.kafka import make_consumer, partitions_of
from hub.sample import VN_TZ
from hub.serde import AvroSerde, RegistryClient
from hub.settings import REPO_ROOT, Settings
from hub.topics import DOSSIER_EVENTS

STORE_DIR = REPO_ROOT / ".cache" / "documents"


def attach_result_pdfs(events: list[dict[str, Any]]) -> int:
    """Give every ResultReady a real PDF in the document store; returns how many."""
    from signing import LocalDocumentStore
    from signing.testing import sample_pdf

    store = LocalDocumentStore(STORE_DIR)
    count = 0
    for event in events:
        if payload_name_of(event) != "ResultReady":
            continue
        pdf = sample_pdf(f"Ket qua giai quyet ho so {event['dossier_id']}")
        key = store.put(pdf)
        assert key == hashlib.sha256(pdf).hexdigest()
        document = {
            "document_id": "giay-phep",
            "name": "Giấy phép.pdf",
            "media_type": "application/pdf",
            "sha256": key,
            "size_bytes": len(pdf),
        }
        event["payload"][1]["documents"] = [document]
        count += 1
    return count


def sign_and_verify(
    settings: Settings,
    registry: RegistryClient,
    serde: AvroSerde,
    dossiers: set[str],
    expected: int,
) -> None:
    from signing import (
        LocalDocumentStore,
        SigningConfig,
        SigningProcessor,
        SigningService,
        TimestampConfig,
        options_for,
        verify,
    )
    from signing.testing import provision_softhsm_token, running_test_pki

    console.rule("[bold]Signing: ResultReady -> signing processor -> ResultSigned, verified")
    work = STORE_DIR.parent / f"demo-pki-{uuid.uuid4().hex[:8]}"
    with running_test_pki(work / "pki") as pki:
        token = provision_softhsm_token(
            work / "softhsm",
            private_key_pkcs8_der=pki.private_key_pkcs8_der("agency-hsm"),
            certificate=pki.certificate("agency-hsm"),
            ca_certificates=[pki.certificate("interm"), pki.certificate("root")],
        )
        console.print(
            f"test PKI with TSA/OCSP/CRL at {pki.base_url}; agency key in SoftHSM token "
            f"'{token.token_label}' (PKCS#11, the key never leaves the token)"
        )
        config = SigningConfig(token.key_source(), pki.trust_config(), TimestampConfig(pki.tsa_url))
        store = LocalDocumentStore(STORE_DIR)
        processor = SigningProcessor(
            settings,
            SigningService(config, store),
            registry,
            timestamped=True,
            options=dataclasses.replace(options_for(settings), group_id="dvchub-demo-signing"),
        )
        worker = threading.Thread(target=processor.run, name="signing-processor")
        started = time.monotonic()
        worker.start()
        try:
            outcomes = _read_outcomes(settings, serde, dossiers, expected)
        finally:
            processor.stop()
            worker.join(timeout=30)
        elapsed = time.monotonic() - started
        table = Table("dossier", "outcome", "level", "signer", "timestamp (VN)", "verified")
        for event in outcomes:
            body = event["payload"][1]
            if payload_name_of(event) != "ResultSigned":
                table.add_row(event["dossier_id"], f"[red]{body['reason_code']}", "", "", "", "")
                continue
            report = verify(store.get(body["signed_sha256"]), trust=pki.trust_config())
            stamp = body["timestamp_at"]
            table.add_row(
                event["dossier_id"],
                "signed",
                body["signature_level"],
                body["signer_subject"].split(",")[0],
                stamp.astimezone(VN_TZ).strftime("%H:%M:%S") if stamp else "-",
                "[green]valid" if report.valid else "[red]INVALID",
            )
        console.print(table)
        console.print(f"{len(outcomes)} result documents signed and reported in {elapsed:.1f} s")


def _read_outcomes(
    settings: Settings, serde: AvroSerde, dossiers: set[str], expected: int
) -> list[dict[str, Any]]:
    # no group: kafka-python 3.0.12 can leave a lone group leader unassigned (_orphaned_join)
    consumer = make_consumer(settings, group_id=None, consumer_timeout_ms=120_000)
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    consumer.assign(partitions_of(consumer, topic, timeout_s=30))
    found: list[dict[str, Any]] = []
    for message in consumer:
        event = serde.decode(message.value)
        if event["source"] == "SIGNING" and event["dossier_id"] in dossiers:
            found.append(event)
            if len(found) == expected:
                break
    consumer.close()
    return found
