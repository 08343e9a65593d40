"""Refusals before validation (401/403, 415, 413, 400) through a real server, and the
published OpenAPI document."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from connectors.portal import OPENAPI_PATH, PortalConfig, accepted_ids_topic, openapi_document
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.connectors.portal.conftest import (
    DESK_KEY,
    PORTAL_KEY,
    VNPOST_KEY,
    RunningPortal,
    make_config,
    records_in,
)
from tests.connectors.portal.samples import item


def _batch() -> bytes:
    return json.dumps({"events": [item("DossierSubmitted")]}).encode()


def _nothing_produced(settings: Settings) -> bool:
    return records_in(settings, DOSSIER_EVENTS.name(settings.topic_prefix)) == 0 and (
        records_in(settings, accepted_ids_topic(settings)) == 0
    )


def test_writes_need_a_known_key_of_a_system_allowed_to_write(
    portal: RunningPortal, hub_topics: Settings
) -> None:
    headers = {"Content-Type": "application/json"}
    with portal.client(api_key=None) as anonymous:
        missing = anonymous.post("/v1/events", content=_batch(), headers=headers)
        unknown = anonymous.post(
            "/v1/events", content=_batch(), headers={**headers, "X-API-Key": "dev-portal-key"}
        )
        procedure = anonymous.put("/v1/procedures/1.001612", content=b"{}", headers=headers)
    assert (missing.status_code, missing.json()["detail"]) == (401, "missing X-API-Key header")
    assert missing.headers["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'
    assert (unknown.status_code, unknown.json()["detail"]) == (401, "unknown API key")
    assert procedure.status_code == 401
    with portal.client(VNPOST_KEY) as vnpost:
        forbidden = vnpost.post("/v1/events", content=_batch(), headers=headers)
    assert forbidden.status_code == 403
    assert "VNPOST" in forbidden.json()["detail"]
    with portal.client(DESK_KEY) as desk:
        assert (
            desk.put("/v1/procedures/1.001612", content=b"{}", headers=headers).status_code == 403
        )
        assert desk.post("/v1/events", content=_batch(), headers=headers).status_code == 202
    assert records_in(hub_topics, DOSSIER_EVENTS.name(hub_topics.topic_prefix)) == 1


def test_wrong_content_type_is_415(http: httpx.Client, hub_topics: Settings) -> None:
    for content_type in (
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ):
        headers = {"Content-Type": content_type} if content_type else {}
        response = http.post("/v1/events", content=_batch(), headers=headers)
        assert response.status_code == 415, (content_type, response.text)
        assert "Content-Type" in response.json()["detail"] or "charset" in response.json()["detail"]
    assert _nothing_produced(hub_topics)


def test_json_content_type_may_name_utf8(http: httpx.Client) -> None:
    headers = {"Content-Type": "Application/JSON; charset=UTF-8"}
    assert http.post("/v1/events", content=_batch(), headers=headers).status_code == 202


MALFORMED: list[tuple[bytes, str]] = [
    (b'{"events": [', "malformed JSON at line 1 column 13 (char 12): Expecting value"),
    (b'{"events": []\n,}', "malformed JSON at line 2 column 2 (char 15): Expecting property name"),
    (b"", "body is empty; expected a JSON object"),
    (b'{"events": [], "events": []}', "malformed JSON: duplicate key 'events' in an object"),
    (b'{"events": [NaN]}', "malformed JSON: NaN is not a JSON number"),
    ('{"events": "Hồ sơ"}'.encode("utf-16"), "body is not valid UTF-8 (byte 0)"),
]


def test_malformed_json_is_400_with_a_precise_message(
    http: httpx.Client, hub_topics: Settings
) -> None:
    for body, detail in MALFORMED:
        response = http.post(
            "/v1/events", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, body
        assert response.json()["detail"].startswith(detail), response.json()
    assert _nothing_produced(hub_topics)


@pytest.fixture
def portal_config() -> PortalConfig:
    """This module's servers take bodies up to 4 KiB, so a 413 needs no megabyte of JSON."""
    return make_config(max_body_bytes=4096)


def test_body_over_the_limit_is_413_declared_or_streamed(
    http: httpx.Client, hub_topics: Settings
) -> None:
    big = json.dumps({"events": [item("DossierSubmitted") for _ in range(5)]}).encode()
    assert len(big) > 4096
    headers = {"Content-Type": "application/json"}
    declared = http.post("/v1/events", content=big, headers=headers)
    assert declared.status_code == 413
    assert "4096" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap must hold while streaming
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    streamed = http.post("/v1/events", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert _nothing_produced(hub_topics)
    small = json.dumps({"events": [item("DossierSubmitted")]}).encode()
    assert len(small) < 4096
    assert http.post("/v1/events", content=small, headers=headers).status_code == 202


def test_openapi_is_served_and_the_committed_copy_is_up_to_date(http: httpx.Client) -> None:
    committed = OPENAPI_PATH.read_text(encoding="utf-8")
    assert committed == openapi_document(), "openapi.json is stale: run `dvchub portal openapi`"
    served = http.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(committed)
    assert set(served.json()["paths"]) == {
        "/v1/events",
        "/v1/procedures/{code}",
        "/healthz",
        "/metrics",
    }


def test_keys_and_personal_data_are_never_logged(
    portal: RunningPortal, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="connectors.portal")
    sent = item("DossierSubmitted")
    applicant = sent["payload"]["applicant"]
    refused = copy.deepcopy(sent)
    refused["payload"]["applicant"]["email"] = "not-an-email"
    with portal.client() as client:
        assert client.post("/v1/events", json={"events": [sent]}).status_code == 202
        assert client.post("/v1/events", json={"events": [refused]}).status_code == 422
    with portal.client("a-wrong-key-123") as stranger:
        assert stranger.post("/v1/events", json={"events": [sent]}).status_code == 401
    logged = caplog.text
    assert "accepted 1 events" in logged
    assert "string_pattern_mismatch" in logged
    private = [PORTAL_KEY, "a-wrong-key-123", applicant["id_number"], applicant["phone"],
               applicant["email"], "not-an-email", applicant["address"]["line"]]  # fmt: skip
    assert [value for value in private if value in logged] == []
