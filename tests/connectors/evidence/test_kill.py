"""An outbox worker with evidence on, SIGKILLed mid-stream: its exchanges went to the broker
with its outcomes, without a wait per call, so whatever it had sent but not committed is called
and recorded again by its replacement. The chain it leaves has every call once (no gap), the
repeats in the log are dropped, and the archive of it verifies, timestamps included."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path

import pytest

from connectors.evidence import (
    EvidenceConfig,
    Exchange,
    Stamper,
    archive_once,
    read_chains,
    verify_archive,
)
from connectors.national import NationalPortalSimulator
from hub.kafka import ensure_topics, make_producer
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES
from signing import SigningConfig
from signing.testing import TestPKI
from tests.connectors.evidence._records import logged
from tests.connectors.national.test_outbox_e2e import sync_command
from tests.lifecycle._support import wait_until
from tests.outbox.test_kill import LIFE, OutboxProcess

DOSSIERS = 20


def _done(portal: NationalPortalSimulator, dossiers: list[str]) -> bool:
    return all(len(portal.statuses(d)) == len(LIFE) for d in dossiers)


def test_a_killed_outbox_leaves_a_chain_without_gap_that_verifies(
    settings: Settings, registry: RegistryClient, pki: TestPKI, hub_key: SigningConfig,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("DVC_EVIDENCE", "on")  # the worker processes inherit it
    ensure_topics(settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER])
    dossiers = [f"HS-EVIDENCE-KILL-{i:03d}" for i in range(DOSSIERS)]
    commands = [sync_command(d, step, code) for step, code in enumerate(LIFE) for d in dossiers]
    keys = {str(c["idempotency_key"]) for c in commands}
    serde = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
    topic = PARTNER_COMMANDS.name(settings.topic_prefix)
    producer = make_producer(settings)
    with NationalPortalSimulator() as portal:
        portal.faults.latency_s = 0.02  # calls in flight when the kill comes
        victim = OutboxProcess(settings, tmp_path, "victim", portal.url)
        workers = [victim]
        try:
            victim.wait_ready(90)
            for command in commands:
                producer.send(
                    topic, key=command["dossier_id"].encode(), value=serde.encode(command)
                )
            producer.flush()
            wait_until(lambda: len(portal.received()) > len(commands) // 3, 60, 0.05)
            victim.kill()
            replacement = OutboxProcess(settings, tmp_path, "replacement", portal.url)
            workers.append(replacement)
            replacement.wait_ready(90)
            wait_until(partial(_done, portal, dossiers), 120, 0.1)
            # and one finished command delivered again: a repeat whatever the kill left
            again = commands[0]
            producer.send(topic, key=again["dossier_id"].encode(), value=serde.encode(again))
            producer.flush()
            wait_until(lambda: len(logged(settings)) > len(commands), 60, 0.3)
        finally:
            producer.close()
            for worker in workers:
                if worker.alive():
                    worker.stop()
    calls = Counter(x.call_id for x in logged(settings))
    assert set(calls) == keys  # every call recorded: the kill left no gap
    repeats = sum(calls.values()) - len(keys)
    assert calls[str(again["idempotency_key"])] >= 2
    print(f"{len(keys)} calls, {repeats} repeated in the log after the kill and the resend")

    chain = read_chains(settings).by_partner["national"]
    called = [e.record.call_id for e in chain.entries if isinstance(e.record, Exchange)]
    assert sorted(called) == sorted(keys)  # each call once in the chain, repeats dropped
    assert [e.index for e in chain.entries] == list(range(chain.length))

    stamper = Stamper(settings, EvidenceConfig(enabled=True, tsa_url=pki.tsa_url))
    try:
        assert stamper.flush() == 1
    finally:
        stamper.close()
    archive = archive_once(settings, tmp_path, hub_key)
    assert archive is not None
    verified = verify_archive(archive, (pki.root_cert_path,))
    assert verified.problems == []
    assert len(verified.entries) == len(keys) + 1  # the calls and the stamp of their head
    assert [s.covers for s in verified.stamps] == [len(keys) - 1]
