"""Topic names, their value schemas and their Kafka configuration (ARCHITECTURE.md, "Topics")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from hub.settings import Settings


class Retention(Enum):
    """Append-only logs keep history; compacted topics keep the latest value per key."""

    LOG = "delete"
    COMPACTED = "compact"


@dataclass(frozen=True)
class TopicSpec:
    """One hub topic: its suffix after the prefix, value schema and cleanup policy."""

    suffix: str
    value_schema: str
    retention: Retention
    keyed_by: str

    def name(self, prefix: str) -> str:
        return f"{prefix}{self.suffix}"


DOSSIER_EVENTS = TopicSpec("dossier.events", "DossierEvent", Retention.LOG, "dossier id")
DOSSIER_STATE = TopicSpec("dossier.state", "DossierState", Retention.COMPACTED, "dossier id")
CATALOG_PROCEDURES = TopicSpec(
    "catalog.procedures", "Procedure", Retention.COMPACTED, "procedure code"
)
PARTNER_COMMANDS = TopicSpec("partner.commands", "PartnerCommand", Retention.LOG, "dossier id")
PARTNER_OUTCOMES = TopicSpec("partner.outcomes", "PartnerOutcome", Retention.LOG, "dossier id")
PAYMENTS = TopicSpec("payments", "PaymentState", Retention.COMPACTED, "dossier id")
PAYMENT_RECONCILIATION = TopicSpec(
    "payments.reconciliation", "ReconciliationMismatch", Retention.LOG, "payment reference"
)
SLA_ALERTS = TopicSpec("sla.alerts", "SlaAlert", Retention.LOG, "dossier id")
SLA_DEADLINES = TopicSpec("sla.deadlines", "DossierDeadline", Retention.COMPACTED, "dossier id")
KPI = TopicSpec("kpi", "KpiSnapshot", Retention.COMPACTED, "agency|period")
KPI_DOSSIERS = TopicSpec("kpi.dossiers", "KpiDossier", Retention.COMPACTED, "dossier id")
KPI_FACTS = TopicSpec("kpi.facts", "KpiFact", Retention.LOG, "agency|period")
KPI_PROCEDURES = TopicSpec(
    "kpi.procedures", "ProcedureHistory", Retention.COMPACTED, "procedure code"
)
DEADLETTER = TopicSpec("deadletter", "DeadLetter", Retention.LOG, "original key")

ALL_TOPICS: tuple[TopicSpec, ...] = (
    DOSSIER_EVENTS,
    DOSSIER_STATE,
    CATALOG_PROCEDURES,
    PARTNER_COMMANDS,
    PARTNER_OUTCOMES,
    PAYMENTS,
    PAYMENT_RECONCILIATION,
    SLA_ALERTS,
    SLA_DEADLINES,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
    DEADLETTER,
)


def replication_config(settings: Settings) -> dict[str, str]:
    """What every hub topic carries besides its cleanup policy: ``min.insync.replicas`` when more
    than one copy must hold a write (``settings.min_insync_replicas``), so the topic keeps it on
    a cluster whose broker default is laxer. Nothing for one copy: a single broker's topics stay
    as they always were."""
    if settings.min_insync_replicas <= 1:
        return {}
    return {"min.insync.replicas": str(settings.min_insync_replicas)}


def subject_for(topic_name: str) -> str:
    """Confluent TopicNameStrategy: the value schema of ``topic`` lives under ``<topic>-value``."""
    return f"{topic_name}-value"
