"""KPIs from the log: read what the workers published, or compute it again from offset 0.

``read_kpis`` reads the compacted ``kpi`` and ``kpi.procedures`` topics to their ends (the
latest snapshot per agency|period, the history per procedure). ``replay_kpis`` folds
``dossier.events`` and ``catalog.procedures`` from offset 0 through the same three folds on the
in-memory runner, so ``compare`` can show that a replay gives the KPIs the live workers gave.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from hub import kafka
from hub.dossier import CatalogView
from hub.kpi._config import KpiSettings
from hub.kpi._processors import KpiDossierProcessor, KpiProcessor, ProcedureHistoryProcessor
from hub.materialized import read_compacted
from hub.processing import InMemoryRunner, Message
from hub.records import KpiDossier, KpiSnapshot, ProcedureHistory
from hub.serde import AvroSerde, Decoded, RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import SlaSettings
from hub.topics import (
    CATALOG_PROCEDURES,
    DOSSIER_EVENTS,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
    TopicSpec,
)

#: A record type of ``hub.records``.
R = TypeVar("R", bound=Mapping[str, object])


@dataclass(frozen=True)
class Kpis:
    """Snapshots by ``agency|period`` and procedure histories by code."""

    snapshots: Mapping[str, KpiSnapshot]
    histories: Mapping[str, ProcedureHistory]


@dataclass(frozen=True)
class KpiReplay(Kpis):
    """A replay's KPIs, and what it took."""

    events: int = 0
    facts: int = 0
    seconds: float = 0.0
    dossiers: Mapping[str, KpiDossier] = field(default_factory=dict, repr=False)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def read_latest(
    settings: Settings, spec: TopicSpec, serde: AvroSerde, *, timeout_s: float = 120.0
) -> dict[str, Decoded]:
    """key -> latest decoded value of the compacted ``spec`` (tombstones remove their key), as
    decoded, not yet a record type (for a caller that reads any of the KPI topics)."""
    name = spec.name(settings.topic_prefix)
    return read_compacted(settings, name, serde, Decoded, timeout_s=timeout_s)


def _read(
    settings: Settings, spec: TopicSpec, kind: type[R], registry: RegistryClient
) -> dict[str, R]:
    serde = serde_for(spec, settings.topic_prefix, registry)
    return read_compacted(settings, spec.name(settings.topic_prefix), serde, kind)


def read_kpis(settings: Settings, registry: RegistryClient) -> Kpis:
    """What the live workers published."""
    return Kpis(
        _read(settings, KPI, KpiSnapshot, registry),
        _read(settings, KPI_PROCEDURES, ProcedureHistory, registry),
    )


def _messages(settings: Settings, spec: TopicSpec) -> Iterator[Message]:
    for record in kafka.read_to_end(settings, spec.name(settings.topic_prefix), timeout_s=3600):
        yield Message.of_record(record)


def compute(
    events: Iterable[Message],
    catalog: Iterable[Message],
    dossiers: KpiDossierProcessor,
    kpi: KpiProcessor,
    histories: ProcedureHistoryProcessor,
) -> KpiReplay:
    """The three folds over ``events`` and ``catalog`` (messages of the two input topics): the
    catalogue's history first, so each dossier counts at its procedure's level at acceptance."""
    started = time.perf_counter()
    kept = InMemoryRunner(histories).run(catalog)
    by_code = {k.decode(): h for k, h in kept.states.items()}
    counted = InMemoryRunner(dossiers.with_histories(by_code.get)).run(events)
    facts = [Message(e.value or b"", e.key, KPI_FACTS.suffix) for e in counted.emits]
    summed = InMemoryRunner(kpi).run(facts)
    return KpiReplay(
        snapshots={k.decode(): s for k, s in summed.states.items()},
        histories={k.decode(): h for k, h in kept.states.items()},
        events=counted.messages, facts=len(facts), seconds=time.perf_counter() - started,
        dossiers={k.decode(): d for k, d in counted.states.items()},
    )  # fmt: skip


def replay_kpis(
    settings: Settings,
    registry: RegistryClient,
    kpi: KpiSettings | None = None,
    sla: SlaSettings | None = None,
) -> KpiReplay:
    """Every KPI again from offset 0 of ``dossier.events`` and ``catalog.procedures``."""
    prefix = settings.topic_prefix
    kpi = kpi or KpiSettings()
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry)).start()
    try:
        catalog.require_ready()
    finally:
        catalog.stop()
    facts = serde_for(KPI_FACTS, prefix, registry)
    dossiers = KpiDossierProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry), serde_for(KPI_DOSSIERS, prefix, registry),
        facts, catalog.get, (sla or SlaSettings()).policy(),
        postal_counts_as=kpi.postal_counts_as, postal_deadlines=kpi.postal_deadlines(),
    )  # fmt: skip
    summing = KpiProcessor(facts, serde_for(KPI, prefix, registry), kpi.parsed_targets())
    histories = ProcedureHistoryProcessor(
        serde_for(CATALOG_PROCEDURES, prefix, registry), serde_for(KPI_PROCEDURES, prefix, registry)
    )
    return compute(
        _messages(settings, DOSSIER_EVENTS), _messages(settings, CATALOG_PROCEDURES),
        dossiers, summing, histories,
    )  # fmt: skip


def compare(live: Kpis, replayed: Kpis) -> list[str]:
    """What differs between two sets of KPIs (empty: identical)."""
    found: list[str] = []
    for name, a, b in (("snapshot", live.snapshots, replayed.snapshots),
                       ("procedure history", live.histories, replayed.histories)):  # fmt: skip
        for key in sorted(a.keys() | b.keys()):
            if key not in a or key not in b:
                found.append(f"{name} {key}: only in the {'replay' if key in b else 'live'} KPIs")
            elif a[key] != b[key]:
                fields = sorted(
                    f for f in a[key].keys() | b[key].keys() if a[key].get(f) != b[key].get(f)
                )
                found.append(f"{name} {key}: {', '.join(fields)} differ")
    return found
