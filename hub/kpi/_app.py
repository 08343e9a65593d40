"""The KPI workers, declared: each fold with its side inputs and configuration."""

from __future__ import annotations

from typing import Any

from hub.dossier import CatalogView, catalog_input
from hub.kpi._config import KpiSettings
from hub.kpi._processors import KpiDossierProcessor, KpiProcessor, ProcedureHistoryProcessor
from hub.materialized import MaterializedTopic
from hub.processing import Processor
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import SlaSettings
from hub.topics import (
    CATALOG_PROCEDURES,
    DOSSIER_EVENTS,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
)

#: The processors a KPI worker can run, by name (``python -m hub.kpi worker --processor``).
PROCESSORS = (KpiDossierProcessor.name, KpiProcessor.name, ProcedureHistoryProcessor.name)


def live_processor(
    name: str,
    settings: Settings,
    registry: RegistryClient,
    kpi: KpiSettings | None = None,
    sla: SlaSettings | None = None,
) -> Processor[Any]:
    """The fold called ``name``; kpi-dossiers follows ``catalog.procedures`` (loaded on open)."""
    prefix = settings.topic_prefix
    kpi = kpi or KpiSettings()
    if name == KpiProcessor.name:
        return KpiProcessor(serde_for(KPI_FACTS, prefix, registry),
                            serde_for(KPI, prefix, registry), kpi.parsed_targets())  # fmt: skip
    if name == ProcedureHistoryProcessor.name:
        return ProcedureHistoryProcessor(serde_for(CATALOG_PROCEDURES, prefix, registry),
                                         serde_for(KPI_PROCEDURES, prefix, registry))  # fmt: skip
    if name != KpiDossierProcessor.name:
        raise ValueError(f"no KPI processor {name!r}; one of {', '.join(PROCESSORS)}")
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))
    # the catalogue's history, for the level at acceptance; the latest entry stands in for a
    # procedure whose history the kpi-procedures fold has not published yet (a new one)
    histories = MaterializedTopic(
        settings, serde_for(KPI_PROCEDURES, prefix, registry), KPI_PROCEDURES.name(prefix),
        what="procedure histories",
    )  # fmt: skip

    return KpiDossierProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry), serde_for(KPI_DOSSIERS, prefix, registry),
        serde_for(KPI_FACTS, prefix, registry), catalog.get, (sla or SlaSettings()).policy(),
        postal_counts_as=kpi.postal_counts_as, histories=histories.get,
        side_inputs=catalog_input(catalog, histories),
    )  # fmt: skip
