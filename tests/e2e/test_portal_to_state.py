"""End to end over HTTP and real Kafka: portal connector -> dossier.events -> lifecycle worker
(a real faust process) -> dossier.state."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from connectors.portal.client import PortalClient, portal_item
from hub.events import payload_name_of
from hub.sample import PROCEDURES, catalog_entry, sample_events
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.portal.conftest import PORTAL_KEY, make_config, start_portal
from tests.lifecycle._support import StateReader, WorkerProcess, dead_letters, wait_until

FINAL_STATUS = {"ResultReturned": "RESULT_RETURNED", "DossierRefused": "REFUSED"}


def test_dossiers_pushed_over_http_reach_their_final_state_once(
    hub_topics: Settings, registry: RegistryClient, tmp_path: Path
) -> None:
    worker = WorkerProcess(hub_topics, tmp_path, "e2e")
    portal = start_portal(hub_topics, registry, make_config())
    try:
        wait_until(lambda: worker.ready() or not worker.alive(), timeout_s=90)
        assert worker.alive(), worker.log_path.read_text()[-3000:]
        events = list(sample_events(20, seed=3))
        with PortalClient(portal.url, api_key=PORTAL_KEY) as client:
            for procedure in PROCEDURES:
                client.put_procedure(procedure.code, catalog_entry(procedure))
            results = list(client.push_all((portal_item(e) for e in events), batch_size=40))
            # The portal retries a batch it is not sure about: nothing is applied twice.
            resent = client.push_events([portal_item(e) for e in events[:15]])
        assert sum(r.accepted for r in results) == len(events)
        assert resent.duplicates == 15

        per_dossier: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in events:
            per_dossier[event["dossier_id"]].append(event)
        expected = {d: FINAL_STATUS[payload_name_of(evs[-1])] for d, evs in per_dossier.items()}
        reader = StateReader(hub_topics, registry)

        def settled() -> dict[str, dict[str, Any]] | None:
            states = reader.latest()
            done = all(states.get(d, {}).get("status") == s for d, s in expected.items())
            return states if done else None

        states = wait_until(settled, timeout_s=120)
    finally:
        portal.stop()
        worker.stop()

    for dossier_id, dossier_events in per_dossier.items():
        state = states[dossier_id]
        assert state["version"] == len(dossier_events), dossier_id
        assert str(state["last_event_id"]) == dossier_events[-1]["event_id"]
        submitted = dossier_events[0]["payload"][1]
        assert state["procedure_code"] == submitted["procedure_code"]
        assert state["channel"] == submitted["channel"]
    assert Counter(s["status"] for s in states.values()) == Counter(expected.values())
    assert dead_letters(hub_topics, registry) == []
