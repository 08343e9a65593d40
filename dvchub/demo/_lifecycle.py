"""Demo section: dossiers pushed through the portal connector, their states from the query API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, cast

import httpx
from rich.table import Table

from connectors.common import JsonValue
from connectors.portal import PortalConfig, create_app
from connectors.portal.client import PortalClient, portal_item
from dvchub.demo._console import console
from dvchub.demo._servers import demo_pki, serving
from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.dossier import STATUS_CODES
from hub.sample import PROCEDURES, catalog_entry
from hub.settings import Settings
from hub.stack import as_service


class _TransitionView(TypedDict):
    """A step of a dossier's ``history`` in the query API's JSON."""

    to_status: str


class _StateView(TypedDict, total=False):
    """``GET /v1/dossiers/{id}``, the fields this section shows (an integrator sees no
    applicant)."""

    dossier_id: str
    status: str
    channel: str
    level: str
    agency_code: str | None
    history: list[_TransitionView]
    signed_documents: list[object] | None
    version: int


@dataclass(frozen=True)
class RunningPortal:
    url: str
    api_key: str
    client: PortalClient


@contextmanager
def portal_connector(
    settings: Settings, *, login: str | None = "portal", desks: Path | None = None
) -> Iterator[RunningPortal]:
    """The portal connector on loopback over HTTPS, with a one-off API key, logged in to Kafka
    as ``login`` (None: as ``settings`` say, for a demo part's own topic prefix, which the
    services' ACLs do not cover) and checking desk codes against ``desks``."""
    key = secrets.token_urlsafe(16)
    config = PortalConfig(api_keys=f"PROVINCIAL_PORTAL:{key}", desk_directory=desks)
    app = create_app(settings if login is None else as_service(settings, login), config)
    pki = demo_pki()
    with (
        serving(app, "portal", pki.tls()) as url,
        PortalClient(url, api_key=key, verify=pki.client()) as client,
    ):
        yield RunningPortal(url, key, client)


def push_through_portal(portal: RunningPortal, events: Sequence[Mapping[str, object]]) -> None:
    client = portal.client
    console.rule("[bold]Portal connector: HTTP -> validated -> Avro on Kafka (202 after the ack)")
    for procedure in PROCEDURES:
        client.put_procedure(procedure.code, catalog_entry(procedure))
    console.print(f"PUT /v1/procedures: {len(PROCEDURES)} catalogue entries")
    started = time.monotonic()
    results = list(client.push_all(portal_item(e) for e in events))
    accepted = sum(r.accepted for r in results)
    console.print(
        f"POST /v1/events: {accepted} events accepted in {len(results)} batch(es), "
        f"{(time.monotonic() - started) * 1000:.0f} ms including the broker's acknowledgement"
    )
    resent = client.push_events([portal_item(e) for e in events[:5]])
    console.print(
        f"the first 5 events sent again: {resent.duplicates} duplicates, nothing produced"
    )
    bad = portal_item(events[0]) | {"occurred_at": "2025-03-03 08:00", "dossier_id": ""}
    response = httpx.post(
        f"{portal.url}/v1/events", json={"events": [bad]}, headers={"X-API-Key": portal.api_key},
        verify=demo_pki().client(),
    )  # fmt: skip
    errors = response.json().get("errors", [])
    shown = "; ".join(f"{e['path']}: {e['rule']}" for e in errors[:3])
    console.print(f"a malformed event -> {response.status_code}: {shown}")


def show_states(settings: Settings, dossiers: list[str], signed_expected: int) -> None:
    console.rule("[bold]Dossier state (lifecycle worker -> dossier.state -> query API)")
    # The published development keys (README "Access to the query API"): an integrator's here.
    api = create_api(settings, keys=development_keys())
    pki = demo_pki()
    with (
        serving(api, "query-api", pki.tls()) as url,
        httpx.Client(base_url=url, headers=bearer_headers(DEV_KEYS.integrator),
                     verify=pki.client()) as http,
    ):  # fmt: skip
        states = _wait_for_states(http, dossiers, signed_expected)
        table = Table("dossier", "status", "channel", "level", "agency", "path", "signed", "v")
        for dossier_id in dossiers:
            s = states[dossier_id]
            path = "→".join(str(STATUS_CODES.get(t["to_status"], "?")) for t in s["history"])
            table.add_row(
                dossier_id, s["status"], s["channel"], s["level"], s["agency_code"] or "-",
                path, str(len(s.get("signed_documents") or [])), str(s["version"]),
            )  # fmt: skip
        console.print(table)
        listing = http.get("/v1/dossiers", params={"status": "RESULT_RETURNED"}).json()
        console.print(f"GET /v1/dossiers?status=RESULT_RETURNED -> {_count(listing)} dossiers")
        first = dossiers[0]
        history = http.get(f"/v1/dossiers/{first}/events").json()
        console.print(f"GET /v1/dossiers/{first}/events -> {_count(history)} entries")
        _show_access(url, states[first])


def _show_access(url: str, state: _StateView) -> None:
    """Who sees what of one dossier: no key, an integrator, its agency's officer, another's."""
    path = f"{url}/v1/dossiers/{state['dossier_id']}"
    agency = str(state["agency_code"])
    other = next(a for a in ("STP", "UBND-LX") if a != agency)
    callers = {"no key": {}, "integrator": bearer_headers(DEV_KEYS.integrator),
               f"officer of {agency}": bearer_headers(DEV_KEYS.officer(agency)),
               f"officer of {other}": bearer_headers(DEV_KEYS.officer(other))}  # fmt: skip
    seen = []
    for who, headers in callers.items():
        response = httpx.get(path, headers=headers, verify=demo_pki().client())
        named = response.status_code == 200 and "applicant_name" in response.json()
        seen.append(f"{who} -> {response.status_code}" + (" with the applicant" if named else ""))
    console.print("access: " + "; ".join(seen))


def _count(body: JsonValue) -> int:
    if isinstance(body, list):
        return len(body)
    for key in ("items", "dossiers", "events", "history"):
        listed = body.get(key) if isinstance(body, dict) else None
        if isinstance(listed, list):
            return len(listed)
    return 0


def _wait_for_states(
    http: httpx.Client, dossiers: list[str], signed_expected: int
) -> dict[str, _StateView]:
    deadline = time.monotonic() + 90
    states: dict[str, _StateView] = {}
    while time.monotonic() < deadline:
        for dossier_id in dossiers:
            response = http.get(f"/v1/dossiers/{dossier_id}")
            if response.status_code == 200:
                states[dossier_id] = cast(_StateView, response.json())
        signed = sum(len(s.get("signed_documents") or []) for s in states.values())
        finished = all(
            states.get(d, _StateView()).get("status") in ("RESULT_RETURNED", "REFUSED")
            for d in dossiers
        )
        if finished and signed >= signed_expected:
            break
        time.sleep(0.5)
    return states
