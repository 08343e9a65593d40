"""The KPI processors, declared: one ``ProcessorSpec`` per fold, with its side inputs and
configuration; run by ``hub.processing`` (``dvchub worker kpi-dossiers|kpi|kpi-procedures``)."""

from __future__ import annotations

from hub import processing
from hub.dossier import CatalogView, catalog_input
from hub.kpi._config import KpiSettings
from hub.kpi._processors import KpiDossierProcessor, KpiProcessor, ProcedureHistoryProcessor
from hub.materialized import MaterializedTopic
from hub.records import ProcedureHistory
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

#: The KPI folds, by name (each a processor of the registry).
PROCESSORS = (KpiDossierProcessor.name, KpiProcessor.name, ProcedureHistoryProcessor.name)


def dossier_processor(
    settings: Settings, registry: RegistryClient, options: processing.RunnerOptions
) -> KpiDossierProcessor:
    """kpi-dossiers, following ``catalog.procedures`` and ``kpi.procedures`` (loaded on open);
    a dossier waits ``options.grace_s`` for its procedure."""
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))
    # the catalogue's history, for the level at acceptance; the latest entry stands in for a
    # procedure whose history the kpi-procedures fold has not published yet (a new one)
    histories = MaterializedTopic[ProcedureHistory](
        settings, serde_for(KPI_PROCEDURES, prefix, registry), KPI_PROCEDURES.name(prefix),
        what="procedure histories",
    )  # fmt: skip
    config = KpiSettings()
    return KpiDossierProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry), serde_for(KPI_DOSSIERS, prefix, registry),
        serde_for(KPI_FACTS, prefix, registry), catalog.get, SlaSettings().policy(),
        postal_counts_as=config.postal_counts_as, postal_deadlines=config.postal_deadlines(),
        histories=histories.get, side_inputs=catalog_input(catalog, histories),
    )  # fmt: skip


def kpi_processor(
    settings: Settings, registry: RegistryClient, options: processing.RunnerOptions
) -> KpiProcessor:
    """kpi: facts into snapshots, judged against the province's targets (``DVC_KPI_*``)."""
    prefix = settings.topic_prefix
    targets = KpiSettings().parsed_targets()
    return KpiProcessor(
        serde_for(KPI_FACTS, prefix, registry), serde_for(KPI, prefix, registry), targets
    )


def procedures_processor(
    settings: Settings, registry: RegistryClient, options: processing.RunnerOptions
) -> ProcedureHistoryProcessor:
    """kpi-procedures: every catalogue version of each procedure."""
    prefix = settings.topic_prefix
    return ProcedureHistoryProcessor(serde_for(CATALOG_PROCEDURES, prefix, registry),
                                     serde_for(KPI_PROCEDURES, prefix, registry))  # fmt: skip


DOSSIERS_SPEC = processing.ProcessorSpec(
    KpiDossierProcessor.name,
    dossier_processor,
    side_topics=(CATALOG_PROCEDURES, KPI_PROCEDURES),
    honours=frozenset({processing.Option.CATALOG_GRACE}),
    environment=(
        "DVC_KPI_POSTAL_COUNTS_AS",
        "DVC_KPI_POSTAL_PICKUP_DAYS",
        "DVC_KPI_POSTAL_RETURN_DAYS",
        "DVC_SLA_*",
    ),
)
KPI_SPEC = processing.ProcessorSpec(
    KpiProcessor.name, kpi_processor, environment=("DVC_KPI_TARGETS",)
)
PROCEDURES_SPEC = processing.ProcessorSpec(ProcedureHistoryProcessor.name, procedures_processor)
