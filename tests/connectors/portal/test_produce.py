"""End to end through a real HTTP server into the real Kafka broker and registry."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from connectors.portal import EVENT_TYPES, PortalConfig, accepted_ids_topic
from connectors.portal.client import PortalClient, PortalError, portal_item
from hub.events import event_type_of
from hub.processing import free_port
from hub.sample import sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS
from tests.connectors.portal.conftest import (
    NATIONAL_KEY,
    PORTAL_KEY,
    RunningPortal,
    read_back,
    records_in,
    start_portal,
)
from tests.connectors.portal.samples import TIME_FIELDS, item, procedure


def _expected(value: Any, field: str = "") -> Any:
    """What Avro gives back for a JSON input value: times as aware UTC datetimes."""
    if isinstance(value, dict):
        return {k: _expected(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_expected(v) for v in value]
    if field in TIME_FIELDS and isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(UTC)
    return value


def test_every_event_type_is_produced_and_decodes_back_identically(
    portal: RunningPortal, http: httpx.Client, hub_topics: Settings, registry: RegistryClient
) -> None:
    items = [
        item(event_type, dossier_id=f"UBND-LX-250303-{n:06d}")
        for n, event_type in enumerate(EVENT_TYPES)
    ]
    response = http.post("/v1/events", json={"events": items})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == len(EVENT_TYPES)
    assert body["duplicates"] == 0
    assert [e["event_id"] for e in body["events"]] == [i["event_id"] for i in items]
    assert {e["status"] for e in body["events"]} == {"accepted"}

    serde = serde_for(DOSSIER_EVENTS, hub_topics.topic_prefix, registry)
    produced = read_back(
        hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix), serde, len(items)
    )
    by_id = {str(record["event_id"]): (key, record) for key, record in produced}
    for sent in items:
        key, record = by_id[sent["event_id"]]
        assert key == sent["dossier_id"].encode()
        assert record["event_type"] == event_type_of(sent["event_type"])
        assert record["dossier_id"] == sent["dossier_id"]
        assert record["occurred_at"] == _expected(sent["occurred_at"], "occurred_at")
        assert record["source"] == "PROVINCIAL_PORTAL"
        assert record["actor"] == sent["actor"]
        assert record["correlation_id"] == sent["correlation_id"]
        assert record["payload"] == (
            f"vn.dvchub.event.{sent['event_type']}",
            _expected(sent["payload"]),
        )
        assert record["recorded_at"].tzinfo is not None
    assert records_in(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix)) == len(items)


def test_optional_fields_take_their_avro_defaults(
    http: httpx.Client, hub_topics: Settings, registry: RegistryClient
) -> None:
    sent = item("SupplementReceived", actor=None, occurred_at="2025-03-03T09:15:30.1234567+07:00")
    del sent["correlation_id"]
    sent["payload"] = {}
    assert http.post("/v1/events", json={"events": [sent]}).status_code == 202
    serde = serde_for(DOSSIER_EVENTS, hub_topics.topic_prefix, registry)
    [(_, record)] = read_back(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix), serde, 1)
    assert record["payload"] == ("vn.dvchub.event.SupplementReceived", {"documents": []})
    assert record["actor"] is None
    assert record["correlation_id"] == sent["dossier_id"]  # hub.events' default
    # Avro keeps milliseconds; the connector truncates finer times rather than refusing them.
    assert record["occurred_at"] == datetime(2025, 3, 3, 2, 15, 30, 123_000, tzinfo=UTC)


def test_source_is_the_authenticated_system(
    portal: RunningPortal, hub_topics: Settings, registry: RegistryClient
) -> None:
    with portal.client(NATIONAL_KEY) as national:
        assert (
            national.post("/v1/events", json={"events": [item("DossierAccepted")]}).status_code
            == 202
        )
    serde = serde_for(DOSSIER_EVENTS, hub_topics.topic_prefix, registry)
    [(_, record)] = read_back(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix), serde, 1)
    assert record["source"] == "NATIONAL_PORTAL"


def test_a_rejected_batch_produces_nothing(http: httpx.Client, hub_topics: Settings) -> None:
    bad = item("FeeRequested")
    bad["payload"]["fee_lines"][0]["amount_vnd"] = -1
    batch = [item("DossierSubmitted"), item("DossierAccepted"), bad, item("FeePaid")]
    response = http.post("/v1/events", json={"events": batch})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == [
        "events[2].payload.fee_lines[0].amount_vnd"
    ]
    assert records_in(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix)) == 0
    assert records_in(hub_topics, accepted_ids_topic(hub_topics)) == 0


def test_procedure_entry_is_produced_keyed_by_code(
    http: httpx.Client, hub_topics: Settings, registry: RegistryClient
) -> None:
    before = datetime.now(UTC)
    response = http.put("/v1/procedures/1.001612", json=procedure())
    assert response.status_code == 200, response.text
    assert response.json()["procedure_code"] == "1.001612"
    serde = serde_for(CATALOG_PROCEDURES, hub_topics.topic_prefix, registry)
    [(key, record)] = read_back(
        hub_topics, CATALOG_PROCEDURES.name(hub_topics.topic_prefix), serde, 1
    )
    assert key == b"1.001612"
    updated_at = record.pop("updated_at")
    assert before.replace(microsecond=0) <= updated_at <= datetime.now(UTC)
    assert record == {**procedure(), "procedure_code": "1.001612", "valid_from": date(2025, 1, 1)}


def test_procedures_may_only_be_written_by_the_provincial_portal(
    portal: RunningPortal, hub_topics: Settings
) -> None:
    with portal.client(NATIONAL_KEY) as national:
        response = national.put("/v1/procedures/1.001612", json=procedure())
    assert response.status_code == 403
    assert records_in(hub_topics, CATALOG_PROCEDURES.name(hub_topics.topic_prefix)) == 0


def test_invalid_procedure_is_refused_with_field_paths(
    http: httpx.Client, hub_topics: Settings
) -> None:
    entry = procedure(level="UNKNOWN", valid_from="2025-06-01", valid_to="2025-01-01")
    entry["fee_lines"][0]["amount_vnd"] = 1.5
    response = http.put("/v1/procedures/1.0016", json=entry)
    assert response.status_code == 422
    paths = {(e["path"], e["rule"]) for e in response.json()["errors"]}
    assert paths == {
        ("code", "string_pattern_mismatch"),
        ("level", "literal_error"),
        ("fee_lines[0].amount_vnd", "int_type"),
    }
    response = http.put(
        "/v1/procedures/1.001612", json=procedure(valid_from="2025-06-01", valid_to="2025-01-01")
    )
    assert [(e["path"], e["rule"]) for e in response.json()["errors"]] == [
        ("valid_to", "before_valid_from")
    ]
    assert records_in(hub_topics, CATALOG_PROCEDURES.name(hub_topics.topic_prefix)) == 0


def test_metrics_count_requests_events_and_latency(http: httpx.Client) -> None:
    sent = item("DossierRefused")
    assert http.post("/v1/events", json={"events": [sent, sent]}).status_code == 202
    assert http.post("/v1/events", json={"events": []}).status_code == 422
    text = http.get("/metrics").text
    assert 'dvchub_portal_requests_total{method="POST",route="/v1/events",status="202"} 1.0' in text
    assert 'dvchub_portal_requests_total{method="POST",route="/v1/events",status="422"} 1.0' in text
    accepted = 'event_type="DossierRefused",source="PROVINCIAL_PORTAL"'
    assert f"dvchub_portal_events_accepted_total{{{accepted}}} 1.0" in text
    assert 'dvchub_portal_events_duplicate_total{source="PROVINCIAL_PORTAL"} 1.0' in text
    assert 'dvchub_portal_produce_seconds_count{topic_kind="events"} 1.0' in text


def test_healthz_checks_the_broker(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker_reachable"] is True


def test_client_pushes_the_sample_lifecycles(portal: RunningPortal, hub_topics: Settings) -> None:
    items = [portal_item(event) for event in sample_events(40, seed=11)]
    with PortalClient(portal.url, api_key=PORTAL_KEY) as client:
        first = list(client.push_all(items, batch_size=100))
        again = list(client.push_all(items, batch_size=100))
        assert client.healthy()
        with pytest.raises(PortalError) as refused:
            client.push_events([{**items[0], "dossier_id": "?"}])
    assert sum(r.accepted for r in first) == len(items)
    assert sum(r.duplicates for r in again) == len(items)
    assert set(again[0].statuses.values()) == {"duplicate"}
    assert refused.value.status == 422
    assert refused.value.paths[0] == "events[0].dossier_id"
    assert records_in(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix)) == len(items)


def test_client_sends_again_while_the_connector_is_not_there(
    hub_topics: Settings, registry: RegistryClient, portal_config: PortalConfig
) -> None:
    """With ``retry_for_s``, a request nobody answers (the connector restarting) is sent again
    with backoff until it is back; without, the error is the caller's."""
    items = [portal_item(event) for event in sample_events(5, seed=13)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with PortalClient(url, api_key=PORTAL_KEY) as impatient, pytest.raises(httpx.ConnectError):
        impatient.push_events(items)
    started: list[RunningPortal] = []
    later = threading.Timer(
        2.0, lambda: started.append(start_portal(hub_topics, registry, portal_config, port=port))
    )
    later.start()
    try:
        with PortalClient(url, api_key=PORTAL_KEY, retry_for_s=60.0) as client:
            result = client.push_events(items)
    finally:
        later.join()
        for running in started:
            running.stop()
    assert (result.accepted, result.duplicates) == (len(items), 0)
    assert records_in(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix)) == len(items)
