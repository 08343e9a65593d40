"""Recording over the real broker: the outbox and an inbound endpoint (the portal) each put one
chain entry per call in the evidence log across a redelivery, the stamper stamps the heads in a
batch, and the archives written from the log verify, the second continuing the first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.evidence import (
    Direction,
    EvidenceConfig,
    Exchange,
    KafkaRecorder,
    Stamper,
    archive_once,
    read_chains,
    verify_archive,
)
from dvchub.cli import app
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings
from signing import SigningConfig
from signing.testing import TestPKI
from tests.connectors.evidence._records import exchange, logged
from tests.connectors.portal.conftest import make_config as portal_config
from tests.connectors.portal.conftest import start_portal
from tests.connectors.portal.samples import item
from tests.lifecycle._support import wait_until
from tests.outbox._partner import progress_command
from tests.outbox.test_worker import Rig


@pytest.fixture
def evidence_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVC_EVIDENCE", "on")


@pytest.fixture
def rig(evidence_on: None, settings: Settings, registry: RegistryClient) -> Iterator[Rig]:
    rig = Rig(settings, registry)
    yield rig
    rig.close()


def test_the_outbox_records_one_entry_per_call_across_a_redelivery(rig: Rig) -> None:
    commands = [progress_command("D-001", seq) for seq in (1, 2, 3)]
    rig.send(commands)
    rig.start_worker()
    rig.wait_outcomes(3)
    rig.send([commands[1]])  # delivered again: called again with the same idempotency key
    wait_until(lambda: len(logged(rig.settings)) == 4, 60, 0.3)

    chain = read_chains(rig.settings).by_partner["echo"]
    keys = [e.record.call_id for e in chain.entries if isinstance(e.record, Exchange)]
    assert Counter(keys) == Counter(c["idempotency_key"] for c in commands)
    assert all(e.record.direction is Direction.OUT for e in chain.entries)  # type: ignore[union-attr]
    assert [e.record.dossier_id for e in chain.entries] == ["D-001"] * 3  # type: ignore[union-attr]


def test_the_portal_records_one_entry_per_request_across_a_resend(
    evidence_on: None, hub_topics: Settings, registry: RegistryClient
) -> None:
    portal = start_portal(hub_topics, registry, portal_config())
    try:
        batch = {"events": [item("DossierSubmitted"), item("DossierAccepted")]}
        with portal.client() as http:
            assert http.post("/v1/events", json=batch).status_code == 202
            assert http.post("/v1/events", json=batch).status_code == 202  # the resend
            http.get("/ready")  # ops, not a partner: not recorded
        wait_until(lambda: len(logged(hub_topics)) == 2, 60, 0.3)
    finally:
        portal.stop()
    chain = read_chains(hub_topics).by_partner["portal"]
    assert chain.length == 1
    record = chain.entries[0].record
    assert isinstance(record, Exchange)
    assert record.direction is Direction.IN
    assert record.call_id.startswith("ids:")
    assert record.dossier_id == batch["events"][0]["dossier_id"]
    assert record.request.startswith("POST /v1/events\n")
    assert record.response.startswith("202\n")
    applicant = batch["events"][0]["payload"]["applicant"]
    for personal in (applicant["full_name"], applicant["id_number"], applicant["phone"]):
        assert personal not in record.request


def test_stamped_in_a_batch_and_archived_incrementally(
    rig: Rig, pki: TestPKI, hub_key: SigningConfig, tmp_path: Path
) -> None:
    rig.send([progress_command("D-002", seq) for seq in (1, 2, 3)])
    rig.start_worker()
    wait_until(lambda: len(logged(rig.settings)) == 3, 60, 0.3)
    config = EvidenceConfig(enabled=True, tsa_url=pki.tsa_url, batch_entries=3)
    stamper = Stamper(rig.settings, config)
    try:
        assert stamper.flush() == 1  # one token for the batch of three
        assert stamper.flush() == 0  # nothing new: nothing stamped
    finally:
        stamper.close()
    first = archive_once(rig.settings, tmp_path, hub_key)
    assert first is not None
    assert archive_once(rig.settings, tmp_path, hub_key) is None

    rig.send([progress_command("D-002", 4)])
    wait_until(lambda: len(logged(rig.settings)) == 4, 60, 0.3)
    second = archive_once(rig.settings, tmp_path, hub_key)
    assert second is not None
    anchors = (pki.root_cert_path,)
    one, two = verify_archive(first, anchors), verify_archive(second, anchors)
    assert (one.problems, two.problems) == ([], [])
    assert [e.index for e in one.entries] == [0, 1, 2, 3]  # three calls and their stamp
    assert [e.index for e in two.entries] == [4]
    assert two.entries[0].previous == one.entries[-1].hash
    assert [s.covers for s in one.stamps] == [2]


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """``settings`` as the ``dvchub`` commands read them (the environment)."""
    monkeypatch.setenv("DVC_TOPIC_PREFIX", settings.topic_prefix)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_dvchub_evidence_archive_then_verify(
    cli_settings: Settings, pki: TestPKI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recorder = KafkaRecorder(cli_settings, EvidenceConfig(enabled=True), client_id="test")
    try:
        for n in range(3):
            recorder.record(exchange("bank", n, dossier="D-dispute" if n == 1 else None))
    finally:
        recorder.close()
    for name, value in {
        "DVC_EVIDENCE_TSA_URL": pki.tsa_url,
        "DVC_SIGNING_PKCS12_PATH": str(pki.pkcs12_path("agency")),
        "DVC_SIGNING_PKCS12_PASSWORD": pki.pkcs12_password.decode(),
        "DVC_SIGNING_TRUST_ANCHORS": str(pki.root_cert_path),
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    archived = runner.invoke(app, ["evidence", "archive", "--dir", str(tmp_path)])
    assert archived.exit_code == 0, archived.output
    (path,) = tmp_path.glob("evidence-*.zip")
    verified = runner.invoke(app, ["evidence", "verify", str(path), "--dossier", "D-dispute"])
    assert verified.exit_code == 0, verified.output
    assert '"call_id": "bank-1"' in verified.output
    assert "entry 1 of bank's chain: existed at" in verified.output  # the stamp made on archiving
    assert "OK 4 entries, 1 timestamps" in verified.output
