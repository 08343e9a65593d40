"""Two signing workers (``dvchub worker signing``) as processes, one SIGKILLed mid-stream.

The killed worker's partitions move to the survivor, which signs again what the victim had not
committed: those outcomes carry the same derived event ids, so downstream (the lifecycle's
dedupe by event id) every document of every ResultReady has exactly one outcome, and only the
victim's partitions see repeats. ``DVC_CHAOS_ROUNDS`` > 1 kills again and again (a new worker
replaces each killed one), each round with a wave of ResultReady events of its own.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from hub.events import new_event, payload_name_of
from hub.kafka import ensure_topics, make_producer
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS
from signing import LocalDocumentStore, outcome_event_id
from signing.testing import TestPKI
from tests.lifecycle._support import wait_until
from tests.signing._workers import SigningWorker, logged_events

ROUNDS = int(os.environ.get("DVC_CHAOS_ROUNDS", "1"))
EVENTS_PER_WAVE = 80
DOSSIERS = 30
SIGNED = 'dvchub_processor_events_total{processor="signing",outcome="signed"}'


def _signed_at_least(workers: list[SigningWorker], count: float) -> bool:
    return sum(w.metric(SIGNED) for w in workers) >= count


def _ready_event(dossier: str, document: bytes, n: int) -> dict[str, Any]:
    digest = hashlib.sha256(document).hexdigest()
    documents = [{"document_id": f"kq-{n}", "name": "kq", "media_type": "application/xml",
                  "sha256": digest, "size_bytes": len(document)}]  # fmt: skip
    return new_event(dossier, "ResultReady",
                     {"decision_number": None, "documents": documents, "return_channel": "DESK"},
                     source="PROVINCIAL_PORTAL", occurred_at=datetime.now(UTC))  # fmt: skip


def _outcomes(settings: Settings, registry: RegistryClient) -> list[tuple[int, dict[str, Any]]]:
    """(partition, event) of every signing outcome on the event log so far."""
    return logged_events(settings, registry, lambda event: event["source"] == "SIGNING")


def test_a_killed_signing_worker_loses_nothing_and_repeats_only_its_ids(
    settings: Settings, registry: RegistryClient, pki: TestPKI, xml_bytes: bytes, tmp_path: Path
) -> None:
    ensure_topics(settings, [DOSSIER_EVENTS, DEADLETTER])
    store = tmp_path / "documents"
    LocalDocumentStore(store).put(xml_bytes)
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    waves = [
        [_ready_event(f"HS-SIGN-{i % DOSSIERS:02d}", xml_bytes, r * EVENTS_PER_WAVE + i)
         for i in range(EVENTS_PER_WAVE)]
        for r in range(ROUNDS)
    ]  # fmt: skip
    expected = {
        outcome_event_id(str(e["event_id"]), e["payload"][1]["documents"][0]["document_id"])
        for wave in waves for e in wave
    }  # fmt: skip
    workers = [SigningWorker(settings, tmp_path, f"w{n}", pki, store) for n in (1, 2)]
    victims: set[int] = set()
    rng = random.Random(7)
    producer = make_producer(settings)
    try:
        for worker in workers:
            worker.wait_ready(120)
        for round_, wave in enumerate(waves, 1):
            alive = [w for w in workers if w.alive()]
            before = sum(w.metric(SIGNED) for w in alive)  # mid-stream: 10 more, then the kill
            for event in wave:
                producer.send(topic, key=event["dossier_id"].encode(), value=serde.encode(event))
            producer.flush()
            wait_until(partial(_signed_at_least, alive, before + 10), 60, 0.05)
            victim = rng.choice(alive)
            victims |= {int(a.rsplit(":", 1)[1]) for a in victim.status().get("assigned", [])}
            victim.kill()
            signed_at_kill = len(_outcomes(settings, registry))
            assert signed_at_kill < (round_ * EVENTS_PER_WAVE), "the kill came after the wave"
            replacement = SigningWorker(settings, tmp_path, f"r{round_}", pki, store)
            workers.append(replacement)
            replacement.wait_ready(120)
        outcomes = wait_until(
            lambda: (o := _outcomes(settings, registry))
            and {str(e["event_id"]) for _, e in o} >= expected and o,
            180, 1.0,
        )  # fmt: skip
    finally:
        producer.close()
        for worker in workers:
            if worker.alive():
                worker.stop()
    ids = Counter(str(event["event_id"]) for _, event in outcomes)
    assert set(ids) == expected  # every document signed, none made up
    assert {payload_name_of(event) for _, event in outcomes} == {"ResultSigned"}
    repeated = {partition for partition, event in outcomes if ids[str(event["event_id"])] > 1}
    assert repeated <= victims, "only what a killed worker had not committed is signed again"
