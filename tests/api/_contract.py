"""The access contract every protected endpoint keeps, as one abstract test class.

A concrete class provides two fixtures: ``client`` (a TestClient with no default credentials, its
app keyed with ``hub.api.development_keys()``) and ``endpoint`` (an :class:`Endpoint`, usually
parametrised over all the endpoints of an app). The contract: a role not allowed -> 403; every
allowed role gets in; an officer of another agency -> 403 where the endpoint is bound to the
dossier's agency; an integrator never sees the applicant's personal data, the dossier's own
officer does.

No credentials and a wrong key (401 with a Bearer challenge, :data:`WRONG_KEYS`) are the
attacker's class's cases (``tests/security``), run over the same :class:`Endpoint` routes with
nothing produced to Kafka checked too: ``tests/security/test_query_api.py`` and
``test_verify.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api import DEV_KEYS, Role, bearer_headers

# What TestClient answers with (starlette's httpx, whichever module that is here).
Response = Any

#: The officer the fixtures' dossier belongs to, and one of another agency.
OWN_AGENCY = "STP"
OTHER_AGENCY = "UBND-LX"


#: Keys that are not this deployment's, or not presented as a key: each a 401.
WRONG_KEYS: tuple[tuple[str, dict[str, str]], ...] = (
    ("an unknown bearer key", bearer_headers("not-a-key-of-this-deployment")),
    ("an unknown X-API-Key", {"X-API-Key": "not-a-key-of-this-deployment"}),
    ("a key sent as Basic", {"Authorization": f"Basic {DEV_KEYS.ops}"}),
)


def key_of(role: Role, agency: str = OWN_AGENCY) -> str:
    return DEV_KEYS.officer(agency) if role is Role.OFFICER else str(getattr(DEV_KEYS, role))


@dataclass(frozen=True)
class Endpoint:
    """One protected route, called the way its tests call it."""

    method: str
    path: str
    allowed: frozenset[Role]
    params: dict[str, str] = field(default_factory=dict)
    #: Multipart files, built per call (a verify upload), or None.
    files: Callable[[], dict[str, tuple[str, bytes]]] | None = None
    #: Bound to the dossier's agency: an officer of another agency gets 403.
    agency_bound: bool = False
    #: Carries the fixture dossier: the applicant's name must show only to its officer.
    personal: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def call(self, client: TestClient, headers: dict[str, str] | None = None) -> Response:
        files = self.files() if self.files is not None else None
        return client.request(
            self.method, self.path, params=self.params, files=files, headers=headers or {}
        )


class ProtectedEndpointContract:
    """Abstract: subclasses provide the ``client``, ``endpoint`` and ``applicant_name`` fixtures."""

    def test_a_role_not_allowed_is_403(self, client: TestClient, endpoint: Endpoint) -> None:
        refused = [role for role in Role if role not in endpoint.allowed]
        if not refused:
            pytest.skip("every role may call this endpoint")
        for role in refused:
            response = endpoint.call(client, bearer_headers(key_of(role)))
            assert response.status_code == 403, (role, response.text)

    def test_every_allowed_role_gets_in(self, client: TestClient, endpoint: Endpoint) -> None:
        for role in endpoint.allowed:
            response = endpoint.call(client, bearer_headers(key_of(role)))
            assert response.status_code == 200, (role, response.text)
        role = next(iter(endpoint.allowed))
        assert endpoint.call(client, {"X-API-Key": key_of(role)}).status_code == 200

    def test_an_officer_of_another_agency_is_403(
        self, client: TestClient, endpoint: Endpoint
    ) -> None:
        if Role.OFFICER not in endpoint.allowed or not endpoint.agency_bound:
            pytest.skip("not bound to the dossier's agency")
        response = endpoint.call(client, bearer_headers(key_of(Role.OFFICER, OTHER_AGENCY)))
        assert response.status_code == 403, response.text

    @pytest.mark.parametrize("role", [Role.INTEGRATOR, Role.OPS])
    def test_no_personal_data_for_a_role_without_it(
        self, client: TestClient, endpoint: Endpoint, applicant_name: str, role: Role
    ) -> None:
        if role not in endpoint.allowed:
            pytest.skip(f"{role} may not call this endpoint")
        response = endpoint.call(client, bearer_headers(key_of(role)))
        assert response.status_code == 200, response.text
        assert applicant_name not in response.text
        assert "applicant_name" not in response.text

    def test_the_dossiers_officer_sees_its_personal_data(
        self, client: TestClient, endpoint: Endpoint, applicant_name: str
    ) -> None:
        if not endpoint.personal:
            pytest.skip("carries no dossier's personal data")
        response = endpoint.call(client, bearer_headers(key_of(Role.OFFICER)))
        assert response.status_code == 200, response.text
        assert applicant_name in response.text
