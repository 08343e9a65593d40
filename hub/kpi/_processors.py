"""The KPIs as three ``hub.processing`` folds, Kafka-free.

    dossier.events     -> KpiDossierProcessor  (kpi-dossiers)   -> kpi.dossiers, kpi.facts
    kpi.facts          -> KpiProcessor         (kpi)            -> kpi
    catalog.procedures -> ProcedureHistoryProcessor (kpi-procedures) -> kpi.procedures

``kpi.facts`` re-keys each dossier's contributions by ``agency|period``, so one snapshot lives in
one partition of the second fold, whichever worker owns the dossiers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from hub.dossier import CatalogEntry, DossierEvent, DossierFold, ProcedureLookup
from hub.kpi._config import DEFAULT_POSTAL_DEADLINES, PostalDeadlines, Targets
from hub.kpi._dossier import Position, apply, fact_key
from hub.kpi._procedures import add_version, version_at
from hub.kpi._snapshot import apply_fact, is_applied
from hub.processing import (
    NO_SIDE_INPUTS,
    AvroStateProcessor,
    Changed,
    Emit,
    Message,
    Outcome,
    Reject,
    SideInputs,
    Unchanged,
    decode_as,
)
from hub.records import KpiDossier, KpiFact, KpiSnapshot, Procedure, ProcedureHistory
from hub.serde import AvroSerde
from hub.sla import SlaPolicy
from hub.topics import (
    CATALOG_PROCEDURES,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
)

#: procedure code -> ProcedureHistory record (kpi.procedures), or None while it has none
HistoryLookup = Callable[[str], ProcedureHistory | None]


class KpiDossierProcessor(DossierFold[KpiDossier]):
    """How each dossier counts, and its KpiFacts."""

    name = "kpi-dossiers"
    table = "dossiers"
    state_topic = KPI_DOSSIERS
    outputs = (KPI_FACTS,)

    def __init__(
        self,
        events: AvroSerde,
        dossiers: AvroSerde,
        facts: AvroSerde,
        procedures: ProcedureLookup,
        policy: SlaPolicy,
        *,
        postal_counts_as: str = "DIRECT",
        postal_deadlines: PostalDeadlines = DEFAULT_POSTAL_DEADLINES,
        histories: HistoryLookup = lambda code: None,
        side_inputs: SideInputs = NO_SIDE_INPUTS,
    ) -> None:
        super().__init__(events, dossiers, procedures, side_inputs=side_inputs)
        self.facts = facts
        self.policy = policy
        self.postal_counts_as = postal_counts_as
        self.postal_deadlines = postal_deadlines
        self._histories = histories

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.events, self.facts)

    def with_histories(self, histories: HistoryLookup) -> KpiDossierProcessor:
        """This fold, reading procedure versions from ``histories`` (a replay's, say)."""
        clone = copy.copy(self)
        clone._histories = histories
        return clone

    def procedure_code(self, event: DossierEvent, state: KpiDossier | None) -> str | None:
        # every event: the SLA rules kept inside the record read the procedure at each step
        code = super().procedure_code(event, state)
        if code is None and state is not None:
            code = state["procedure_code"]
        return code

    def apply(
        self, state: KpiDossier | None, event: DossierEvent, procedure: CatalogEntry | None,
        message: Message,
    ) -> Outcome[KpiDossier]:  # fmt: skip
        position = Position(message.partition or 0, message.offset or 0)
        code = self.procedure_code(event, state)
        history = None if code is None else self._histories(code)
        new, facts = apply(
            state, event, procedure, position, self.policy,
            postal_counts_as=self.postal_counts_as, postal_deadlines=self.postal_deadlines,
            version_at=lambda at: None if history is None else version_at(history, at),
        )  # fmt: skip
        emits = tuple(Emit(KPI_FACTS, fact_key(f), self.facts.encode(f)) for f in facts)
        return Changed(new, emits, outcome="counted" if facts else "applied")


class KpiProcessor(AvroStateProcessor[KpiSnapshot]):
    """Each agency's figures per month, quarter and year: the sum of its facts."""

    name = "kpi"
    source = KPI_FACTS
    table = "snapshots"
    state_topic = KPI

    def __init__(self, facts: AvroSerde, snapshots: AvroSerde, targets: Targets) -> None:
        self.facts = facts
        self.state_serde = snapshots
        self.targets = targets

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.facts,)

    def fold(self, state: KpiSnapshot | None, message: Message) -> Outcome[KpiSnapshot]:
        fact = decode_as(KpiFact, self.facts, message)
        if isinstance(fact, Reject):
            return fact
        if message.key != fact_key(fact):
            return Reject("VALIDATION_FAILED", "message key is not the fact's agency|period")
        if is_applied(state, fact):
            return Unchanged("duplicate", republish=True)
        return Changed(apply_fact(state, fact, self.targets))


class ProcedureHistoryProcessor(AvroStateProcessor[ProcedureHistory]):
    """Every version of each catalogue entry."""

    name = "kpi-procedures"
    source = CATALOG_PROCEDURES
    table = "histories"
    state_topic = KPI_PROCEDURES

    def __init__(self, procedures: AvroSerde, histories: AvroSerde) -> None:
        self.procedures = procedures
        self.state_serde = histories

    def serdes(self) -> tuple[AvroSerde, ...]:
        return (self.procedures,)

    def fold(self, state: ProcedureHistory | None, message: Message) -> Outcome[ProcedureHistory]:
        if not message.value:  # a tombstone: the entry is withdrawn, its history stays
            return Unchanged("tombstone")
        procedure = decode_as(Procedure, self.procedures, message)
        if isinstance(procedure, Reject):
            return procedure
        if message.key != procedure["procedure_code"].encode():
            return Reject("VALIDATION_FAILED", "message key is not the procedure code")
        history = add_version(state, procedure)
        if history is None:
            return Unchanged("duplicate", republish=True)
        return Changed(history)
