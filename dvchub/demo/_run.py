"""The whole demo: sample dossiers through the portal connector, the lifecycle worker and the
signing processor, then their events, signatures and states; then deadlines on a simulated clock
(the SLA worker's alerts and the late list)."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from connectors.portal.client import portal_item
from dvchub.demo._console import console
from dvchub.demo._contract import show_contract, show_decoded, show_earlier_runs
from dvchub.demo._desks import show_desks
from dvchub.demo._kpi import show_kpis
from dvchub.demo._lifecycle import portal_connector, push_through_portal, show_states
from dvchub.demo._partners import show_partners
from dvchub.demo._public import show_public_pages
from dvchub.demo._servers import lifecycle_worker
from dvchub.demo._signing import attach_result_pdfs, sign_and_verify
from dvchub.demo._simulate import DEMO_MONTH, MonthSize, show_simulated_month
from dvchub.demo._sla import show_sla
from hub.events import payload_name_of
from hub.sample import sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import REPO_ROOT, get_settings
from hub.stack import services_granted
from hub.topics import DOSSIER_EVENTS


def run_demo(dossiers: int = 5, month: MonthSize = DEMO_MONTH) -> None:
    """Drive ``dossiers`` sample dossiers through the hub on the local stack and show them."""
    settings = get_settings()
    # The workers log in as their services, whose ACLs the stack gives for its own prefix; a
    # demo on another prefix (the suite's) gives them that one for its run.
    with (
        services_granted(settings, settings.topic_prefix),
        RegistryClient(settings.schema_registry_url) as registry,
    ):
        show_contract(settings, registry)
        serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        run_id = uuid.uuid4().hex[:6]
        events = list(sample_events(dossiers, seed=int(time.time())))
        for event in events:
            event["dossier_id"] = f"{event['dossier_id']}-{run_id}"
        results = attach_result_pdfs(events)
        ids = list(dict.fromkeys(e["dossier_id"] for e in events))
        worker_log = REPO_ROOT / ".cache" / "demo" / "lifecycle-worker.log"
        console.print(f"[dim]starting a lifecycle worker (log: {worker_log})")
        # A result is signed before it is returned: hold the returns back until it is.
        returns = [e for e in events if payload_name_of(e) == "ResultReturned"]
        before = [e for e in events if payload_name_of(e) != "ResultReturned"]
        with lifecycle_worker(settings, worker_log), portal_connector(settings) as portal:
            push_through_portal(portal, before)
            show_decoded(settings, serde, before)
            show_earlier_runs(settings, serde, events)
            if results:
                # In a thread of its own: loading SoftHSM leaves an OpenSSL error (an ENGINE it
                # does not find) on the loading thread's error queue, which CPython's ssl then
                # reports as that thread's next TLS read failing (the HTTPS clients below).
                with ThreadPoolExecutor(1, thread_name_prefix="demo-signing") as pool:
                    pool.submit(
                        sign_and_verify, settings, registry, serde, set(ids), results
                    ).result()
            list(portal.client.push_all(portal_item(e) for e in returns))
            console.print(f"{len(returns)} signed results returned (ResultReturned via the portal)")
            show_states(settings, ids, results)
            show_sla(settings, registry, portal, run_id)
            show_kpis(settings, registry, portal, run_id)
            show_public_pages(settings, registry)
        show_partners(settings, registry, run_id)
        show_desks(settings, registry, run_id)
        show_simulated_month(settings, registry, month)
