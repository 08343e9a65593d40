"""``dvchub demo run``: what works today, shown on the real local stack."""

from __future__ import annotations

import time
import uuid

import typer

from hub.demo._console import console
from hub.demo._contract import produce_events, show_contract, show_decoded
from hub.demo._signing import attach_result_pdfs, sign_and_verify
from hub.sample import sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import get_settings
from hub.topics import DOSSIER_EVENTS

app = typer.Typer(help="Demonstrations on the local stack.")


@app.command()
def run(dossiers: int = typer.Option(5, help="How many sample dossiers to drive.")) -> None:
    """Register the contract, drive sample dossiers, sign their results, show it all."""
    settings = get_settings()
    with RegistryClient(settings.schema_registry_url) as registry:
        show_contract(settings, registry)
        serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        run_id = uuid.uuid4().hex[:6]
        events = list(sample_events(dossiers, seed=int(time.time())))
        for event in events:
            event["dossier_id"] = f"{event['dossier_id']}-{run_id}"
        results = attach_result_pdfs(events)
        produce_events(settings, serde, events)
        show_decoded(settings, serde, events)
        if results:
            sign_and_verify(settings, registry, serde, {e["dossier_id"] for e in events}, results)
    console.rule("[bold]Not built yet")
    console.print(
        "lifecycle state, query API and replay (#3, in progress); SLA timers, KPIs, "
        "VNPost / bank / national connectors: see the open issues."
    )
