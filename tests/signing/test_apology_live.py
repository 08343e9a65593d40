"""The apology worker on the real broker and registry, with the real test PKI and TSA, on the
hub's consume loop (run in a thread): a late dossier gets one signed letter (also when its alert
comes twice), a dossier whose officer apologised first gets none, and what the letter records is
what the SLA and the citizen's notification take."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from hub.processing import LoopOptions
from hub.serde import RegistryClient
from hub.settings import Settings
from signing import LocalDocumentStore, SigningConfig, SigningService, TimestampConfig, verify
from signing._apology import ApologySettings, ApologyWriter, apology_event_id
from signing._apology_pdf import TITLE
from signing._apology_worker import LETTERS, ApologyProcessor
from signing.testing import TestPKI
from tests.lifecycle._support import wait_until
from tests.routing._support import Rig as RoutingRig
from tests.routing.test_notify import CONSENTING
from tests.signing._apology_support import APPLICANT_NAME, LateDossiers, apologies, local_date

LETTERS_SETTINGS = ApologySettings(place="An Giang", signer_title="Giám đốc Sở Tư pháp")


def _count(outcome: str) -> float:
    return float(LETTERS.labels(outcome)._value.get())


@pytest.fixture
def running(
    hub_topics: Settings, registry: RegistryClient, pki: TestPKI, tmp_path: Path
) -> Iterator[LocalDocumentStore]:
    store = LocalDocumentStore(tmp_path / "documents")
    config = SigningConfig(
        pki.pkcs12_key_source(), pki.trust_config(), TimestampConfig(pki.tsa_url)
    )
    writer = ApologyWriter(SigningService(config, store), store, timestamped=True)
    options = LoopOptions(group_id=f"apology-{uuid.uuid4().hex}", max_poll_records=20)
    processor = ApologyProcessor(hub_topics, writer, registry, letters=LETTERS_SETTINGS,
                                 options=options)  # fmt: skip
    worker = threading.Thread(target=processor.run)
    worker.start()
    try:
        yield store
    finally:
        processor.stop()
        worker.join(timeout=60)
        assert not worker.is_alive()


def test_a_late_dossier_gets_one_signed_letter_the_sla_and_the_citizen_take(
    hub_topics: Settings, registry: RegistryClient, pki: TestPKI,
    running: LocalDocumentStore,
) -> None:  # fmt: skip
    dossiers = LateDossiers(hub_topics, registry)
    late = dossiers.accept("HS-AP-1", applicant=CONSENTING)
    officer = dossiers.accept("HS-AP-2")
    alert = dossiers.alert(late.dossier_id)
    raced = dossiers.alert(officer.dossier_id)  # raised before the officer's letter came
    dossiers.apply(officer.add("APOLOGY_ISSUED", new_appointment_at=raced["due_at"].replace(
        year=raced["due_at"].year + 1)))  # fmt: skip
    repeated, apologised = _count("repeated"), _count("apologised")
    dossiers.publish([alert, raced, alert])  # the first alert redelivered

    wait_until(lambda: _count("repeated") > repeated and _count("apologised") > apologised, 120)
    found = [event for _, event in apologies(hub_topics, registry)]
    assert [e["dossier_id"] for e in found] == [late.dossier_id]  # one letter, none for HS-AP-2
    issued = found[0]
    assert str(issued["event_id"]) == apology_event_id(late.dossier_id)
    assert (issued["source"], str(issued["causation_id"])) == ("HUB", str(alert["alert_id"]))
    apology = issued["payload"][1]
    assert apology["new_appointment_at"] == alert["proposed_appointment_at"]

    signed = running.get(apology["letter"]["sha256"])
    assert len(signed) == apology["letter"]["size_bytes"]
    report = verify(signed, trust=pki.trust_config())
    assert report.valid, report
    assert report.signatures[0].timestamp_time is not None  # B-T: the TSA was configured
    text = PdfReader(io.BytesIO(signed)).pages[0].extract_text()
    for said in (TITLE, APPLICANT_NAME, late.dossier_id, "Cấp phiếu lý lịch tư pháp",
                 local_date(alert["proposed_appointment_at"]), "GIÁM ĐỐC SỞ TƯ PHÁP",
                 LETTERS_SETTINGS.place, LETTERS_SETTINGS.default_reason):  # fmt: skip
        assert said in text, said

    # the SLA takes the hub's letter: the appointment moves to the proposed date
    before = dossiers.sla.record(late.dossier_id)
    dossiers.apply(issued)
    after = dossiers.sla.record(late.dossier_id)
    assert after["appointment_at"] == alert["proposed_appointment_at"] != before["appointment_at"]
    assert after["apology_issued_at"] == alert["raised_at"]
    # and the citizen is told: the routing's notification of the apology, with the new date
    routing = RoutingRig(hub_topics, registry)
    commands = routing.decoded(routing.feed(*late.events, issued))
    notes = [c["payload"][1] for c in commands if c["command_type"] == "CITIZEN_NOTIFICATION"]
    told = [n for n in notes if n["step"] == "APOLOGY"]
    assert len(told) == 1
    assert told[0]["data"]["new_appointment_at"] == alert["proposed_appointment_at"]
    assert told[0]["data"]["reason"] == LETTERS_SETTINGS.default_reason
