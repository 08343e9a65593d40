"""kill -9 with two workers per fold: nothing lost, nothing counted twice.

Two workers of kpi-dossiers and two of kpi (and one of kpi-procedures) on a per-test prefix.
The sample workload (``hub.sample``: a few hundred dossiers across six agencies) is produced in
chunks; one kpi-dossiers worker is SIGKILLed while it folds the first chunk, one kpi worker
while it sums the second. What the survivors
publish must equal a replay from offset 0, and the totals counted straight from the events.

CI runs the short form (one round). ``DVC_CHAOS_ROUNDS=3`` runs more rounds: after each, the
killed workers are replaced and the next round kills again.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from hub import sample
from hub.kafka import ensure_topics
from hub.kpi import Kpis, Period, compare, periods_of, received
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.kpi._live import KpiWorker, LiveRig
from tests.lifecycle._support import wait_until

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("DVC_CHAOS_ROUNDS", "1"))
DOSSIERS = 300 * ROUNDS
EVENTS = 'dvchub_processor_events_total{processor="%s"}'


@pytest.fixture
def live(settings: Settings, registry: RegistryClient, tmp_path: Path) -> Iterator[LiveRig]:
    ensure_topics(settings)
    rig = LiveRig(settings, registry, tmp_path)
    yield rig
    rig.close()


def by_dossier(events: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        out.setdefault(str(event["dossier_id"]), []).append(event)
    return list(out.values())


def expected_totals(events: Sequence[Mapping[str, Any]]) -> dict[str, Counter[str]]:
    """Counted straight from the events: received per agency|period (a dossier is received at
    its DossierAccepted; the sample has no fee before acceptance), resolved per agency|period."""
    agency = {str(e["dossier_id"]): str(e["payload"][1]["agency_code"])
              for e in events if e["event_type"] == "DOSSIER_SUBMITTED"}  # fmt: skip
    totals: dict[str, Counter[str]] = {"received": Counter(), "resolved": Counter()}
    for e in events:
        kind = {"DOSSIER_ACCEPTED": "received", "RESULT_READY": "resolved"}.get(e["event_type"])
        if kind is not None:
            for period in periods_of(e["occurred_at"]):
                totals[kind][f"{agency[str(e['dossier_id'])]}|{period}"] += 1
    return totals


def assert_totals(kpis: Kpis, events: Sequence[Mapping[str, Any]]) -> None:
    expected = expected_totals(events)
    snapshots = kpis.snapshots
    assert {k: received(s) for k, s in snapshots.items() if received(s)} == expected["received"]
    assert {k: s["resolved"] for k, s in snapshots.items() if s["resolved"]} == expected["resolved"]
    accepted = sum(1 for e in events if e["event_type"] == "DOSSIER_ACCEPTED")
    months = [s for s in snapshots.values() if Period.parse(s["period"]).kind == "month"]
    years = [s for s in snapshots.values() if Period.parse(s["period"]).kind == "year"]
    assert sum(received(s) for s in months) == sum(received(s) for s in years) == accepted


def kill_while_busy(victim: KpiWorker, before: float) -> float:
    """SIGKILL ``victim`` as soon as it has folded something more than ``before``; returns how
    long that took."""
    started = time.monotonic()
    wait_until(lambda: victim.metric(EVENTS % victim.processor) > before, timeout_s=60,
               every_s=0.1)  # fmt: skip
    victim.kill()
    return time.monotonic() - started


def test_killed_workers_lose_nothing_and_count_nothing_twice(live: LiveRig) -> None:
    live.publish_catalog(sample.procedure_record(p) for p in sample.PROCEDURES)
    pairs = {fold: [live.start(fold), live.start(fold)] for fold in ("kpi-dossiers", "kpi")}
    live.start("kpi-procedures")
    live.wait_ready()
    workers = [w for pair in pairs.values() for w in pair]
    wait_until(lambda: all(w.status().get("partitions") for w in workers), 60)
    events = list(sample.sample_events(DOSSIERS, seed=766))
    dossiers = by_dossier(events)
    chunks = [dossiers[n :: 2 * ROUNDS + 1] for n in range(2 * ROUNDS + 1)]
    for round_ in range(ROUNDS):
        dossier_victim, kpi_victim = pairs["kpi-dossiers"][0], pairs["kpi"][0]
        folded = dossier_victim.metric(EVENTS % "kpi-dossiers")
        live.events.send(e for d in chunks[2 * round_] for e in d)
        kill_while_busy(dossier_victim, folded)
        summed = kpi_victim.metric(EVENTS % "kpi")
        live.events.send(e for d in chunks[2 * round_ + 1] for e in d)
        # the facts of this chunk come from the surviving kpi-dossiers worker, and from the
        # killed one's partitions once its session expired and they moved
        waited = kill_while_busy(kpi_victim, summed)
        print(f"round {round_ + 1}: kpi-dossiers killed; kpi summed again {waited:.1f} s later")
        if round_ < ROUNDS - 1:  # the long form: replacements, killed in the next round
            for fold in ("kpi-dossiers", "kpi"):
                pairs[fold] = [pairs[fold][1], live.start(fold, f"{fold}-r{round_}")]
            live.wait_ready()
    live.events.send(e for d in chunks[-1] for e in d)
    started = time.monotonic()
    published, replayed = live.settled(timeout_s=120)
    print(f"settled {time.monotonic() - started:.1f} s after the last chunk")
    assert compare(published, replayed) == []
    assert_totals(published, events)
    assert set(published.histories) == {p.code for p in sample.PROCEDURES}
