"""A month of dossier events through the real folds, their states published to the test's
topics: what the publisher reads in the log tests.

The SLA fold and the three KPI folds run on the in-memory runner over real Avro serdes (as the
workers fold them); their states go to ``sla.deadlines``, ``kpi`` and ``kpi.procedures``. The
reports the pages must equal are computed from the same states, not read back by the code
under test.

March 2025 (5 working days per procedure, accepted Mon 3 Mar 09:00: due Mon 10 Mar 09:00):
STP has four full-online dossiers resolved the next day, one still open (overdue), one partial
resolved on 20 Mar (returned late); UBND-TS two resolved on time. Two of STP's results are
returned on 5 Mar and rated (the satisfaction group): STP-1 satisfied (overall 5), STP-2 rated 2
then, on 7 Mar, 4 (the later replaces the earlier): 2 of 2 satisfied. Nobody rates UBND-TS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.kafka import ensure_topics, make_producer
from hub.kpi import KpiReplay
from hub.records import DossierDeadline
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import KPI, KPI_PROCEDURES, SLA_DEADLINES
from tests.kpi._support import Record, dossier, event
from tests.kpi._support import Rig as KpiRig
from tests.kpi._support import vn as at
from tests.publish._support import VERSIONS
from tests.sla._support import Rig as SlaRig

CATALOG = {str(v["procedure_code"]): v for v in VERSIONS}


def march_events() -> list[Record]:
    events: list[Record] = []
    for n in range(1, 5):
        events += dossier(f"STP-{n}", CATALOG, "STP-F", "ONLINE", at(2025, 3, 3, 9, n),
                          result_at=at(2025, 3, 4, 10))  # fmt: skip
    events += dossier("STP-OPEN", CATALOG, "STP-F", "DIRECT", at(2025, 3, 3, 9, 30))
    events += dossier("STP-LATE", CATALOG, "STP-P", "ONLINE", at(2025, 3, 3, 10),
                      result_at=at(2025, 3, 20, 10))  # fmt: skip
    events += [event(f"STP-{n}", "RESULT_RETURNED", at(2025, 3, 5, 9, n)) for n in (1, 2)]
    events += [rated("STP-1", at(2025, 3, 6), 5), rated("STP-2", at(2025, 3, 6), 2),
               rated("STP-2", at(2025, 3, 7), 4)]  # fmt: skip
    events += dossier("TS-1", CATALOG, "TS-P", "ONLINE", at(2025, 3, 4), result_at=at(2025, 3, 5))
    events += dossier("TS-2", CATALOG, "TS-D", "DIRECT", at(2025, 3, 4, 10),
                      result_at=at(2025, 3, 6))  # fmt: skip
    return events


def rated(dossier_id: str, when: Any, score: int) -> Record:
    """A rating with ``score`` on every criterion."""
    names = ("attitude", "time", "publicity", "fees", "overall")
    return event(dossier_id, "SATISFACTION_RATED", when, **dict.fromkeys(names, score))


@dataclass(frozen=True)
class Flow:
    """What the folds computed: the KPIs and each dossier's deadline record."""

    kpis: KpiReplay
    deadlines: Mapping[str, DossierDeadline]


def publish_flow(settings: Settings, registry: RegistryClient, events: list[Record]) -> Flow:
    """``events`` through the SLA and KPI folds; their states produced to the test's topics."""
    ensure_topics(settings)
    prefix = settings.topic_prefix
    kpis = KpiRig(registry, prefix).compute(events, VERSIONS)
    sla = SlaRig(registry, prefix, catalog=CATALOG)
    result = sla.feed(*events)
    deadlines = {k.decode(): v for k, v in sla.runner.states().items()}
    producer = make_producer(settings)
    for deadline_key, value in result.published:
        producer.send(SLA_DEADLINES.name(prefix), key=deadline_key, value=value)
    tables: tuple[tuple[Any, Mapping[str, Any]], ...] = (
        (KPI, kpis.snapshots), (KPI_PROCEDURES, kpis.histories))  # fmt: skip
    for spec, records in tables:
        serde = serde_for(spec, prefix, registry)
        for key, record in records.items():
            producer.send(spec.name(prefix), key=key.encode(), value=serde.encode(record))
    producer.flush()
    producer.close()
    return Flow(kpis, deadlines)
