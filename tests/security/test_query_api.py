"""The query API (``dvchub api serve``) attacked, over every protected route of the access
contract (``tests/api/test_access.ENDPOINTS``). Roles, agencies and personal data stay the
contract's (``tests/api/_contract.py``); missing and wrong keys are this class's."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

import httpx
import pytest

from connectors.common import ServerThread
from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.settings import Settings
from tests.api._contract import WRONG_KEYS, Endpoint
from tests.api.test_access import ENDPOINTS
from tests.security._attack import (
    ANSWER_TIMEOUT_S,
    Attempt,
    Case,
    Expect,
    InboundEndpointAttack,
    Probe,
    Target,
)
from tests.security._http import HttpTarget, probe_of

CHALLENGE = {"WWW-Authenticate": "Bearer"}
LISTING = Endpoint("GET", "/v1/dossiers", ENDPOINTS[0].allowed, {"limit": "10"})
#: API keys, not signatures: why a replay and a stale timestamp are no cases here.
BEARER = (
    "API keys sign nothing and carry no request time: a captured request is worth no more "
    "than the key it carries"
)


@pytest.fixture(scope="module")
def api(module_settings: Settings) -> Iterator[ServerThread]:
    server = ServerThread(create_api(module_settings, keys=development_keys()), name="query-api")
    server.start()
    deadline = time.monotonic() + ANSWER_TIMEOUT_S * 3
    while not httpx.get(f"{server.url}/healthz").json()["kpis_ready"]:
        assert time.monotonic() < deadline, "the query API did not load its views"
        time.sleep(0.1)
    yield server
    server.stop()


@pytest.fixture
def target(api: ServerThread) -> Target:
    return HttpTarget(api.url)


class TestQueryApiAttack(InboundEndpointAttack):
    NOT_APPLICABLE: ClassVar[Mapping[Case, str]] = {
        Case.REPLAY: f"it only reads: a replayed GET changes nothing; {BEARER}",
        Case.STALE: BEARER,
        Case.OVERSIZED: "its routes are GETs that read no body",
    }
    ACCEPTED = Expect(200, ('"total":0',))
    PRODUCES = False

    def valid(self, target: Target) -> Probe:
        return probe_of(LISTING, bearer_headers(DEV_KEYS.integrator))

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        refused = Expect(401, ("an API key is required",), CHALLENGE)
        return [Attempt(f"{e.id} without a key", probe_of(e), refused) for e in ENDPOINTS]

    def wrong_credentials(self, target: Target) -> Sequence[Attempt]:
        return [
            Attempt(f"{e.id} with {name}", probe_of(e, headers), Expect(401, (), CHALLENGE))
            for e in ENDPOINTS
            for name, headers in WRONG_KEYS
        ]

    def malformed(self, target: Target) -> Sequence[Attempt]:
        ops = bearer_headers(DEV_KEYS.ops)

        def get(path: str, params: dict[str, str], *says: str) -> Attempt:
            endpoint = Endpoint("GET", path, LISTING.allowed, params)
            return Attempt(f"GET {path} {params}", probe_of(endpoint, ops), Expect(422, says))

        return [
            get("/v1/dossiers", {"limit": "0"}, "greater than or equal to 1"),
            get("/v1/dossiers", {"limit": "1e3"}, "valid integer"),
            get("/v1/dossiers", {"status": "\x00"}, "unknown status"),
            get("/v1/reports/late", {"month": "2025-13"}, "month must be 01 to 12"),
            get("/v1/reports/late", {"month": "2025-03", "format": "pdf"}, "'json', 'csv'"),
            get("/v1/reports/full-online", {"year": "99999"}, "a period is written"),
            get("/v1/reports/766", {"month": "9999-12"}, "year must be 1990-2100"),
            get("/v1/reports/online-submissions", {"quarter": "2025-Q1", "target": "NaN"},
                "finite number"),
        ]  # fmt: skip
