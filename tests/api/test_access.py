"""Who may call the query API, and what each role sees (``hub.api._auth``).

Real Kafka and registry: the lifecycle and SLA folds publish one dossier of agency ``STP`` (its
applicant's name unique to the run) to this module's topics, the KPI reports come from empty
topics; every protected endpoint keeps :class:`ProtectedEndpointContract`. The API is started
once for the module: the contract only reads.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api import (
    DEV_KEYS,
    DOSSIER_READERS,
    EVERY_ROLE,
    ApiKeysMissing,
    Role,
    api_keys_from_env,
    bearer_headers,
    create_api,
    development_keys,
    parse_api_keys,
    without_personal_data,
)
from hub.kafka import delete_prefixed, ensure_topics
from hub.processing import FileClock
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.api._contract import OWN_AGENCY, Endpoint, ProtectedEndpointContract
from tests.lifecycle._support import wait_until
from tests.sla._support import accepted, event, vn

DVCHUB = Path(sys.executable).with_name("dvchub")
DOSSIER = "HS-ACCESS"
LATE_READERS = frozenset({Role.OPS, Role.OFFICER})

ENDPOINTS = (
    Endpoint("GET", f"/v1/dossiers/{DOSSIER}", DOSSIER_READERS, agency_bound=True, personal=True),
    Endpoint("GET", f"/v1/dossiers/{DOSSIER}/events", DOSSIER_READERS, agency_bound=True),
    Endpoint("GET", "/v1/dossiers", DOSSIER_READERS, {"agency": OWN_AGENCY}, agency_bound=True),
    Endpoint("GET", "/v1/reports/late", LATE_READERS, {"month": "2025-03"}),
    Endpoint("GET", "/v1/reports/late", LATE_READERS, {"month": "2025-03", "format": "csv"}),
    Endpoint("GET", "/v1/reports/late/explanations", LATE_READERS),
    Endpoint("GET", "/v1/reports/full-online", EVERY_ROLE, {"year": "2025"}),
    Endpoint("GET", "/v1/reports/766", EVERY_ROLE, {"month": "2025-03"}),
    Endpoint("GET", "/v1/reports/online-submissions", EVERY_ROLE, {"quarter": "2025-Q1"}),
    Endpoint("GET", "/v1/reports/766", EVERY_ROLE, {"week": "2025-W10"}),
    Endpoint("GET", "/v1/reports/targets", EVERY_ROLE, {"period": "2024"}),
    Endpoint("GET", "/v1/reports/postal", EVERY_ROLE, {"period": "2025-03", "format": "csv"}),
)


@pytest.fixture(scope="module")
def applicant_name() -> str:
    return f"Lê Thị Riêng Tư {uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def module_settings(stack_settings: Settings) -> Iterator[Settings]:
    prefix = f"test.{uuid.uuid4().hex[:12]}."
    mine = stack_settings.model_copy(update={"topic_prefix": prefix, "partitions": 3})
    yield mine
    delete_prefixed(mine)


@pytest.fixture(scope="module")
def client(
    module_settings: Settings,
    registry: RegistryClient,
    applicant_name: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    from tests.sla.test_api import Published

    ensure_topics(module_settings)
    world = Published(module_settings, registry)
    applicant = {"kind": "CITIZEN", "full_name": applicant_name, "id_number": "001090012345",
                 "phone": "0912345678", "email": "rt@example.vn", "address": None}  # fmt: skip
    submitted, accepting = accepted(DOSSIER, vn(2025, 3, 3, 9))
    submitted = event(DOSSIER, "DOSSIER_SUBMITTED", vn(2025, 3, 3, 8, 59), applicant=applicant)
    world.feed(submitted, accepting)
    clock = FileClock(tmp_path_factory.mktemp("clock") / "clock")
    clock.set(vn(2025, 3, 12, 12))
    app = create_api(module_settings, clock=clock, keys=development_keys())
    with TestClient(app) as test_client:
        ops = bearer_headers(DEV_KEYS.ops)
        wait_until(lambda: test_client.get(f"/v1/dossiers/{DOSSIER}", headers=ops).status_code
                   == 200 and test_client.get("/healthz").json()["deadlines"] == 1,
                   timeout_s=30)  # fmt: skip
        wait_until(lambda: test_client.get("/healthz").json()["kpis_ready"], timeout_s=30)
        yield test_client


@pytest.fixture(params=ENDPOINTS, ids=[f"{e.id}?{'&'.join(e.params.values())}" for e in ENDPOINTS])
def endpoint(request: pytest.FixtureRequest) -> Endpoint:
    found: Endpoint = request.param
    return found


class TestQueryApi(ProtectedEndpointContract):
    """Every protected endpoint of the query API keeps the contract."""


def test_open_endpoints_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_an_officer_lists_only_its_own_agency(client: TestClient) -> None:
    officer = bearer_headers(DEV_KEYS.officer(OWN_AGENCY))
    listed = client.get("/v1/dossiers", headers=officer).json()
    assert [item["dossier_id"] for item in listed["items"]] == [DOSSIER]
    other = bearer_headers(DEV_KEYS.officer("UBND-LX"))
    assert client.get("/v1/dossiers", headers=other).json()["total"] == 0
    assert (
        client.get("/v1/dossiers", params={"agency": OWN_AGENCY}, headers=other).status_code == 403
    )


def test_an_officer_reads_its_agencys_late_list_only(client: TestClient) -> None:
    own = client.get("/v1/reports/late", params={"month": "2025-03"},
                     headers=bearer_headers(DEV_KEYS.officer(OWN_AGENCY))).json()  # fmt: skip
    assert [d["dossier_id"] for d in own["dossiers"]] == [DOSSIER]
    other = client.get("/v1/reports/late", params={"month": "2025-03"},
                       headers=bearer_headers(DEV_KEYS.officer("UBND-LX"))).json()  # fmt: skip
    assert other["dossiers"] == []


def test_keys_are_parsed_and_only_their_digests_kept() -> None:
    secret = "s3cret-key-of-the-province"
    digest = hashlib.sha256(b"x" * 20).hexdigest()
    keys = parse_api_keys(
        f"erp:integrator:{secret}; so-tp:officer:STP:{secret}-2; ops:ops:sha256={digest}"
    )
    assert secret not in repr(keys)
    integrator = keys.identify(secret)
    assert integrator is not None
    assert integrator.role is Role.INTEGRATOR
    officer = keys.identify(f"{secret}-2")
    assert officer is not None
    assert (officer.role, officer.agency) == (Role.OFFICER, "STP")
    ops = keys.identify("x" * 20)
    assert ops is not None
    assert ops.role is Role.OPS
    assert keys.identify("guess") is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("erp:integrator:short", "at least"),
        ("erp:admin:0123456789abcdef", "unknown role"),
        ("so-tp:officer:0123456789abcdef", "name:role"),
        ("erp:integrator:STP:0123456789abcdef-with-agency", None),
    ],
)
def test_bad_key_entries_are_refused_without_echoing_the_key(
    text: str, fragment: str | None
) -> None:
    if fragment is None:  # an agency on a non-officer entry is part of its key: accepted as such
        assert parse_api_keys(text).identify("STP:0123456789abcdef-with-agency") is not None
        return
    with pytest.raises(ValueError, match=fragment) as refused:
        parse_api_keys(text)
    assert "0123456789abcdef" not in str(refused.value)


def test_keys_from_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text('[[key]]\nname = "so-tp"\nrole = "officer"\nagency = "STP"\n'
                    'key = "0123456789abcdef-stp"\n')  # fmt: skip
    keys = api_keys_from_env({"DVC_API_KEYS_FILE": str(path)})
    caller = keys.identify("0123456789abcdef-stp")
    assert caller is not None
    assert caller.agency == "STP"


def test_no_key_configured_refuses_unless_development_mode() -> None:
    with pytest.raises(ApiKeysMissing):
        api_keys_from_env({})
    development = api_keys_from_env({"DVC_DEV_SECRETS": "1"})
    assert development.identify(DEV_KEYS.integrator) is not None


@pytest.mark.parametrize("command", [["api", "serve"], ["signing", "serve"]])
def test_the_servers_refuse_to_start_without_keys(command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DVC_DEV_SECRETS", "DVC_API_KEYS", "DVC_API_KEYS_FILE")}  # fmt: skip
    result = subprocess.run([DVCHUB, *command, "--port", "1"], env=env, capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "DVC_API_KEYS" in result.stdout + result.stderr


def test_personal_fields_are_stripped_at_any_depth() -> None:
    body = {"applicant_name": "A", "items": [{"applicant": {"full_name": "B"}, "status": "X"}]}
    assert without_personal_data(body) == {"items": [{"status": "X"}]}
