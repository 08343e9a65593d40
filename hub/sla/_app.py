"""The SLA worker, declared: its fold, the catalogue side input, alert metrics, the runner."""

from __future__ import annotations

from prometheus_client import Counter

from hub.dossier import CatalogView, catalog_input
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla._config import SlaSettings
from hub.sla._deadline import Record
from hub.sla._processor import SlaProcessor
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, SLA_ALERTS, SLA_DEADLINES

ALERTS = Counter("dvchub_sla_alerts_total", "Deadline alerts raised, by kind.", ["kind"])


def live_processor(
    settings: Settings, registry: RegistryClient, sla: SlaSettings | None = None
) -> SlaProcessor:
    """The fold with a catalogue that follows ``catalog.procedures`` (loaded on ``open``)."""
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))

    def count(alert: Record) -> None:
        ALERTS.labels(str(alert["kind"])).inc()

    return SlaProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        serde_for(SLA_DEADLINES, prefix, registry),
        serde_for(SLA_ALERTS, prefix, registry),
        catalog.get,
        (sla or SlaSettings()).policy(),
        side_inputs=catalog_input(catalog),
        on_alert=count,
    )
