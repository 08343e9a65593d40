"""The SLA processor, declared (``SPEC``): its fold, the catalogue side input, alert metrics;
run by ``hub.processing`` (``dvchub worker sla``)."""

from __future__ import annotations

from prometheus_client import Counter

from hub import processing
from hub.dossier import CatalogView, catalog_input
from hub.records import SlaAlert
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla._config import SlaSettings
from hub.sla._processor import SlaProcessor
from hub.sla._transfers import TransferSettings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, SLA_ALERTS, SLA_DEADLINES

ALERTS = Counter("dvchub_sla_alerts_total", "Deadline alerts raised, by kind.", ["kind"])


def live_processor(
    settings: Settings, registry: RegistryClient, options: processing.RunnerOptions
) -> SlaProcessor:
    """The fold with a catalogue that follows ``catalog.procedures`` (loaded on ``open``) and
    the province's calendar and policy (``DVC_SLA_*``); its timers fire on the runner's clock."""
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))
    sla = SlaSettings()

    def count(alert: SlaAlert) -> None:
        ALERTS.labels(str(alert["kind"])).inc()

    return SlaProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        serde_for(SLA_DEADLINES, prefix, registry),
        serde_for(SLA_ALERTS, prefix, registry),
        catalog.get,
        sla.policy(),
        side_inputs=catalog_input(catalog),
        on_alert=count,
        reappointment=sla.reappointment(),
        transfers=TransferSettings().deadlines(),
    )


SPEC = processing.ProcessorSpec(
    SlaProcessor.name,
    live_processor,
    side_topics=(CATALOG_PROCEDURES,),
    honours=frozenset({processing.Option.CATALOG_GRACE, processing.Option.CLOCK}),
    environment=("DVC_SLA_*",),  # DVC_SLA_TRANSFER_* too
)
