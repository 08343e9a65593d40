"""The portal connector (``POST /v1/events``, ``PUT /v1/procedures/{code}``) attacked."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

import pytest

from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.portal.conftest import (
    PORTAL_KEY,
    VNPOST_KEY,
    RunningPortal,
    make_config,
    start_portal,
)
from tests.connectors.portal.samples import item, procedure
from tests.security._attack import Attempt, Case, Expect, InboundEndpointAttack, Probe, Target
from tests.security._http import HttpTarget

CONFIG = make_config(max_body_bytes=4096)  # a 413 needs no megabyte of JSON
JSON = {"Content-Type": "application/json"}
#: Why no stale-timestamp case: the same for both routes.
NO_REQUEST_TIME = (
    "an API key signs nothing and the protocol carries no request time, so a captured "
    "request is worth no more than the key it carries; an event's occurred_at may be years "
    "old by design (imports, a past year's KPIs)"
)
NO_KEY = Expect(401, ("missing X-API-Key header",))
UNKNOWN_KEY = Expect(401, ("unknown API key",))


def keyed(key: str | None) -> dict[str, str]:
    return {**JSON, **({"X-API-Key": key} if key else {})}


def events(key: str | None, *items: dict[str, object]) -> Probe:
    body = json.dumps({"events": list(items) or [item()]}).encode()
    return Probe("POST", "/v1/events", keyed(key), body)


def nested(depth: int) -> bytes:
    return b'{"events": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.fixture(scope="module")
def portal(module_settings: Settings, registry: RegistryClient) -> Iterator[RunningPortal]:
    running = start_portal(module_settings, registry, CONFIG)
    yield running
    running.stop()


@pytest.fixture
def target(portal: RunningPortal) -> Target:
    return HttpTarget(portal.url)


class TestPortalEvents(InboundEndpointAttack):
    NOT_APPLICABLE: ClassVar[Mapping[Case, str]] = {Case.STALE: NO_REQUEST_TIME}
    ACCEPTED = Expect(202, ('"accepted":1', '"status":"accepted"'))
    REPLAYED = Expect(202, ('"accepted":0', '"status":"duplicate"'))

    def valid(self, target: Target) -> Probe:
        return events(PORTAL_KEY)

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        return [Attempt("no X-API-Key", events(None), NO_KEY)]

    def wrong_credentials(self, target: Target) -> Sequence[Attempt]:
        bearer = Probe("POST", "/v1/events", {**JSON, "Authorization": f"Bearer {PORTAL_KEY}"},
                       events(None).body)  # fmt: skip
        return [
            Attempt("an unknown key", events("not-a-key-of-this-hub"), UNKNOWN_KEY),
            Attempt("VNPost's key", events(VNPOST_KEY),
                    Expect(403, ("VNPOST may not write POST /v1/events",))),
            Attempt("the key in another header", bearer, NO_KEY),
        ]  # fmt: skip

    def oversized(self, target: Target) -> tuple[Attempt, int]:
        limit = CONFIG.max_body_bytes
        probe = events(PORTAL_KEY, *(item() for _ in range(limit // 500)))
        assert len(probe.body) > limit
        return Attempt("a batch over the limit", probe, Expect(413, ("exceeds the limit",))), limit

    def malformed(self, target: Target) -> Sequence[Attempt]:
        broken = item()
        broken["payload"]["applicant"]["email"] = "not-an-email"
        return [
            Attempt("not JSON", Probe("POST", "/v1/events", keyed(PORTAL_KEY), b"{nope"),
                    Expect(400, ("malformed JSON",))),
            Attempt("nested past the parser's depth", Probe(
                "POST", "/v1/events", keyed(PORTAL_KEY), nested(CONFIG.max_body_bytes // 3)),
                    Expect(400, ("nested too deeply",))),
            Attempt("not UTF-8", Probe("POST", "/v1/events", keyed(PORTAL_KEY), b'{"\xff"}'),
                    Expect(400, ("not valid UTF-8",))),
            Attempt("not the contract", events(PORTAL_KEY, broken),
                    Expect(422, ("invalid field", "nothing was produced"))),
            Attempt("a duplicate key", Probe("POST", "/v1/events", keyed(PORTAL_KEY),
                                             b'{"events": [], "events": []}'),
                    Expect(400, ("duplicate",))),
            Attempt("not JSON's media type", Probe(
                "POST", "/v1/events", {"X-API-Key": PORTAL_KEY, "Content-Type": "text/plain"},
                events(None).body), Expect(415, ("send application/json",))),
        ]  # fmt: skip


def put(key: str | None, body: bytes | None = None, code: str = "1.001612") -> Probe:
    return Probe("PUT", f"/v1/procedures/{code}", keyed(key),
                 json.dumps(procedure()).encode() if body is None else body)  # fmt: skip


class TestPortalProcedures(InboundEndpointAttack):
    NOT_APPLICABLE: ClassVar[Mapping[Case, str]] = {
        Case.STALE: NO_REQUEST_TIME,
        Case.REPLAY: (
            "an upsert of the province's catalogue: the same entry written again changes no "
            "procedure, and only the catalogue's owner (PROVINCIAL_PORTAL's key) may write it"
        ),
    }
    ACCEPTED = Expect(200, ('"procedure_code":"1.001612"',))

    def valid(self, target: Target) -> Probe:
        return put(PORTAL_KEY)

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        return [Attempt("no X-API-Key", put(None), NO_KEY)]

    def wrong_credentials(self, target: Target) -> Sequence[Attempt]:
        return [
            Attempt("an unknown key", put("not-a-key-of-this-hub"), UNKNOWN_KEY),
            Attempt("VNPost's key", put(VNPOST_KEY), Expect(403, ("may not write PUT",))),
        ]

    def oversized(self, target: Target) -> tuple[Attempt, int]:
        limit = CONFIG.max_body_bytes
        body = json.dumps(procedure(name="x" * limit)).encode()
        return Attempt("an entry over the limit", put(PORTAL_KEY, body),
                       Expect(413, ("exceeds the limit",))), limit  # fmt: skip

    def malformed(self, target: Target) -> Sequence[Attempt]:
        return [
            Attempt("not JSON", put(PORTAL_KEY, b"[1,"), Expect(400, ("malformed JSON",))),
            Attempt("nested past the parser's depth",
                    put(PORTAL_KEY, nested(CONFIG.max_body_bytes // 3)),
                    Expect(400, ("nested too deeply",))),
            Attempt("not the contract", put(PORTAL_KEY, json.dumps(procedure(
                deadline_working_days=-1)).encode()), Expect(422, ("deadline_working_days",))),
            Attempt("a code that is no procedure code", put(PORTAL_KEY, code="x" * 300),
                    Expect(422, ('"path":"code"', "string_pattern_mismatch"))),
        ]  # fmt: skip
