"""The five transfer events (docs/desks.md): accepted and produced like every other event, and
refused precisely where the portal can tell they are wrong (a desk of no directory, a desk step
of a dossier filed at its agency's own desk, another desk or agency than the batch's submission
says). Rules run in-process (no Kafka before validation); a whole journey goes through the real
server to the real broker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from connectors.portal import create_app
from connectors.portal._validation import parse_json, validate_batch
from hub.dossier import DossierEvent, placement_of
from hub.serde import RegistryClient, serde_for
from hub.settings import REPO_ROOT, Settings
from hub.topics import DOSSIER_EVENTS
from tests.connectors.portal.conftest import PORTAL_KEY, make_config, read_back, start_portal
from tests.connectors.portal.samples import item

DESKS = REPO_ROOT / "infra" / "desks.example.toml"  # lists TTHCC and MC-CHOMOI
JOURNEY = ("DossierSubmitted", "DossierForwarded", "DossierReceivedByAgency", "AgencyTransferred",
           "ResultForwarded", "ResultReceivedByDesk")  # fmt: skip


def journey() -> list[dict[str, Any]]:
    """One dossier filed at MC-CHOMOI for UBND-LX, passed on to SXD, its result back at the desk."""
    return [item(event_type) for event_type in JOURNEY]


@pytest.fixture(params=[None, DESKS], ids=["no-directory", "directory"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), make_config(desk_directory=request.param))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://portal", headers={"X-API-Key": PORTAL_KEY}
    ) as http:
        yield http


async def _errors(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    response = await client.post("/v1/events", json={"events": events})
    assert response.status_code == 422, response.text
    return [(e["path"], e["rule"]) for e in response.json()["errors"]]


async def test_a_desk_step_of_a_dossier_filed_at_its_agency_is_refused(
    client: httpx.AsyncClient,
) -> None:
    events = journey()
    events[0]["payload"]["receiving_desk"] = None
    assert await _errors(client, events) == [
        (f"events[{n}].payload.desk_code", "no_receiving_desk") for n in (1, 4, 5)
    ]


async def test_another_desk_or_agency_than_the_submission_says_is_refused(
    client: httpx.AsyncClient,
) -> None:
    events = journey()
    events[1]["payload"]["agency_code"] = "SXD"  # still UBND-LX's: the transfer is events[3]
    events[2]["payload"]["agency_code"] = "SXD"
    events[4]["payload"]["agency_code"] = "UBND-LX"  # SXD's since events[3]
    events[5]["payload"]["desk_code"] = "TTHCC"
    assert await _errors(client, events) == [
        ("events[1].payload.agency_code", "not_the_competent_agency"),
        ("events[2].payload.agency_code", "not_the_competent_agency"),
        ("events[4].payload.agency_code", "not_the_competent_agency"),
        ("events[5].payload.desk_code", "not_the_receiving_desk"),
    ]


async def test_a_transfer_to_the_same_agency_and_unknown_symbols_are_refused(
    client: httpx.AsyncClient,
) -> None:
    transfer, forwarded = item("AgencyTransferred"), item("DossierForwarded")
    transfer["payload"]["to_agency_code"] = "UBND-LX"
    forwarded["payload"]["method"] = "UNKNOWN"
    assert sorted(await _errors(client, [transfer, forwarded])) == [
        ("events[0].payload.to_agency_code", "same_agency"),
        ("events[1].payload.method", "literal_error"),
    ]


def test_steps_of_a_dossier_submitted_earlier_are_checked_field_by_field() -> None:
    events = journey()[1:]  # the portal keeps no view of earlier batches
    events[0]["payload"]["agency_code"] = "SXD"
    document = parse_json(json.dumps({"events": events}).encode())
    valid = validate_batch(document, max_events=10, source="PROVINCIAL_PORTAL")
    assert [v.event.event_type for v in valid] == list(JOURNEY[1:])


async def test_desk_codes_must_be_in_the_directory_when_one_is_configured() -> None:
    events = journey()
    for event in events:
        if "desk_code" in event["payload"]:
            event["payload"]["desk_code"] = "MC-NOWHERE"
    events[0]["payload"]["receiving_desk"] = "MC-NOWHERE"
    app = create_app(Settings(), make_config(desk_directory=DESKS))
    transport = httpx.ASGITransport(app=app)
    headers = {"X-API-Key": PORTAL_KEY}
    async with httpx.AsyncClient(transport=transport, base_url="http://p", headers=headers) as http:
        assert await _errors(http, events) == [
            ("events[0].payload.receiving_desk", "unknown_desk"),
            *((f"events[{n}].payload.desk_code", "unknown_desk") for n in (1, 4, 5)),
        ]


@pytest.fixture
def desk_portal(hub_topics: Settings, registry: RegistryClient) -> Iterator[httpx.Client]:
    running = start_portal(hub_topics, registry, make_config(desk_directory=DESKS))
    try:
        with running.client() as client:
            yield client
    finally:
        running.stop()


def test_a_journey_through_the_server_reaches_kafka_and_places_the_dossier(
    desk_portal: httpx.Client, hub_topics: Settings, registry: RegistryClient
) -> None:
    events = journey()
    response = desk_portal.post("/v1/events", json={"events": events})
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == len(JOURNEY)
    serde = serde_for(DOSSIER_EVENTS, hub_topics.topic_prefix, registry)
    topic = DOSSIER_EVENTS.name(hub_topics.topic_prefix)
    produced = [DossierEvent.from_record(r) for _, r in read_back(hub_topics, topic, serde, 6)]
    assert [e.payload_name for e in produced] == list(JOURNEY)
    placement = placement_of(produced)
    assert (placement.receiving_desk, placement.competent_agency, placement.where) == (
        "MC-CHOMOI", "SXD", "RESULT_AT_DESK"
    )  # fmt: skip
