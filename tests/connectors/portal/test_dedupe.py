"""Dedupe by event id, retries after a 503, and dedupe surviving a restart (real Kafka)."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import httpx

from connectors.portal import accepted_ids_topic
from hub.kafka import ensure_topics
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.connectors.portal.conftest import (
    RunningPortal,
    make_config,
    read_back,
    records_in,
    start_portal,
)
from tests.connectors.portal.samples import item


def _events_in(settings: Settings) -> int:
    return records_in(settings, DOSSIER_EVENTS.name(settings.topic_prefix))


def test_same_event_id_twice_in_one_batch_is_produced_once(
    http: httpx.Client, hub_topics: Settings
) -> None:
    first = item("DossierSubmitted")
    other = item("DossierAccepted")
    response = http.post("/v1/events", json={"events": [first, other, copy.deepcopy(first)]})
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert [e["status"] for e in body["events"]] == ["accepted", "accepted", "duplicate"]
    assert _events_in(hub_topics) == 2


def test_resent_batch_is_acknowledged_as_duplicates_and_not_produced_again(
    http: httpx.Client, hub_topics: Settings
) -> None:
    batch = [item("DossierSubmitted"), item("DossierAccepted")]
    assert http.post("/v1/events", json={"events": batch}).json()["accepted"] == 2
    batch.append(item("ProcessingStepRecorded"))
    response = http.post("/v1/events", json={"events": batch})
    assert response.status_code == 202
    assert [e["status"] for e in response.json()["events"]] == [
        "duplicate",
        "duplicate",
        "accepted",
    ]
    assert _events_in(hub_topics) == 3
    assert records_in(hub_topics, accepted_ids_topic(hub_topics)) == 3


def test_event_id_reused_with_different_content_is_refused(
    http: httpx.Client, hub_topics: Settings
) -> None:
    original = item("DossierRefused")
    assert http.post("/v1/events", json={"events": [original]}).status_code == 202
    altered = copy.deepcopy(original)
    altered["payload"]["reason"] = "Lý do khác"
    response = http.post("/v1/events", json={"events": [item("DossierAccepted"), altered]})
    assert response.status_code == 409
    assert original["event_id"] in response.json()["detail"]
    same_batch = http.post("/v1/events", json={"events": [original, altered]})
    assert same_batch.status_code == 422
    assert [(e["path"], e["rule"]) for e in same_batch.json()["errors"]] == [
        ("events[1].event_id", "event_id_reused")
    ]
    assert _events_in(hub_topics) == 1


def test_concurrent_requests_with_the_same_ids_produce_once(
    portal: RunningPortal, hub_topics: Settings
) -> None:
    batch = [item("DossierSubmitted") for _ in range(50)]

    def push(_: int) -> dict[str, int]:
        with portal.client() as client:
            response = client.post("/v1/events", json={"events": batch})
            assert response.status_code == 202
            body: dict[str, int] = response.json()
            return body

    with ThreadPoolExecutor(6) as pool:
        bodies = list(pool.map(push, range(6)))
    assert sum(b["accepted"] for b in bodies) == 50
    assert sum(b["duplicates"] for b in bodies) == 50 * 5
    assert _events_in(hub_topics) == 50


def test_dedupe_survives_a_restart(hub_topics: Settings, registry: RegistryClient) -> None:
    batch = [item("DossierSubmitted"), item("FeeRequested"), item("FeePaid")]
    first = start_portal(hub_topics, registry, make_config())
    try:
        with first.client() as client:
            assert client.post("/v1/events", json={"events": batch}).json()["accepted"] == 3
    finally:
        first.stop()
    second = start_portal(hub_topics, registry, make_config())
    try:
        with second.client() as client:
            response = client.post("/v1/events", json={"events": [*batch, item("ResultReady")]})
    finally:
        second.stop()
    assert response.status_code == 202
    assert [e["status"] for e in response.json()["events"]] == ["duplicate"] * 3 + ["accepted"]
    assert _events_in(hub_topics) == 4


def test_unacknowledged_batch_is_503_with_retry_after_and_safe_to_resend(
    settings: Settings, registry: RegistryClient
) -> None:
    # The hub topics do not exist yet and the broker does not auto-create topics, so Kafka
    # cannot acknowledge: the connector must answer 503, then accept the resend once it can.
    portal = start_portal(settings, registry, make_config(ack_timeout_s=1.0))
    batch = [item("DossierSubmitted"), item("DossierAccepted")]
    try:
        with portal.client() as client:
            assert client.get("/healthz").status_code == 503
            refused = client.post("/v1/events", json={"events": batch})
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "2"
            assert records_in(settings, accepted_ids_topic(settings)) == 0
            ensure_topics(settings)
            accepted = client.post("/v1/events", json={"events": batch})
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["accepted"] == 2
            assert client.post("/v1/events", json={"events": batch}).json()["duplicates"] == 2
            assert client.get("/healthz").status_code == 200
    finally:
        portal.stop()
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    produced = read_back(settings, DOSSIER_EVENTS.name(settings.topic_prefix), serde, 2)
    assert sorted(str(r["event_id"]) for _, r in produced) == sorted(e["event_id"] for e in batch)
    assert _events_in(settings) == 2
