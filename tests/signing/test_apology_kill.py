"""Two apology workers (``dvchub worker apology``) as processes, one SIGKILLed mid-stream.

The killed worker's partitions move to the survivor, which writes again the letters the victim
had not committed: under the same event id (one per dossier), so every late dossier ends with
exactly one apology downstream (the SLA applies it once; no second new date is refused), and
only the victim's partitions see repeats. ``DVC_CHAOS_ROUNDS`` > 1 kills again and again (a new
worker replaces each killed one), each round with late dossiers of its own.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from functools import partial
from pathlib import Path

from hub.serde import RegistryClient
from hub.settings import Settings
from signing._apology import apology_event_id
from signing.testing import TestPKI
from tests.lifecycle._support import wait_until
from tests.signing._apology_support import LateDossiers, apologies
from tests.signing._workers import SigningWorker

ROUNDS = int(os.environ.get("DVC_CHAOS_ROUNDS", "1"))
DOSSIERS_PER_WAVE = 24
WRITTEN = 'dvchub_processor_events_total{processor="apology",outcome="written"}'


def _written_at_least(workers: list[SigningWorker], count: float) -> bool:
    return sum(w.metric(WRITTEN) for w in workers) >= count


def test_a_killed_apology_worker_loses_no_letter_and_writes_none_twice(
    hub_topics: Settings, registry: RegistryClient, pki: TestPKI, tmp_path: Path
) -> None:
    settings = hub_topics
    dossiers = LateDossiers(settings, registry)
    store = tmp_path / "documents"
    workers = [SigningWorker(settings, tmp_path, f"w{n}", pki, store, "apology") for n in (1, 2)]
    victims: set[int] = set()
    rng = random.Random(11)
    try:
        for worker in workers:
            worker.wait_ready(120)
        for round_ in range(1, ROUNDS + 1):
            wave = [f"HS-AK-{round_}-{n:02d}" for n in range(DOSSIERS_PER_WAVE)]
            for dossier_id in wave:
                dossiers.accept(dossier_id)
            alive = [w for w in workers if w.alive()]
            before = sum(w.metric(WRITTEN) for w in alive)  # mid-stream: 4 more, then the kill
            dossiers.publish([dossiers.alert(d) for d in wave])
            wait_until(partial(_written_at_least, alive, before + 4), 90, 0.05)
            victim = rng.choice(alive)
            victims |= {int(a.rsplit(":", 1)[1]) for a in victim.status().get("assigned", [])}
            victim.kill()
            assert len(apologies(settings, registry)) < round_ * DOSSIERS_PER_WAVE, "too late"
            replacement = SigningWorker(settings, tmp_path, f"r{round_}", pki, store, "apology")
            workers.append(replacement)
            replacement.wait_ready(120)
        expected = {apology_event_id(d) for d in dossiers.stories}
        found = wait_until(
            lambda: (a := apologies(settings, registry))
            and {str(e["event_id"]) for _, e in a} >= expected and a,
            180, 1.0,
        )  # fmt: skip
    finally:
        for worker in workers:
            if worker.alive():
                worker.stop()
    ids = Counter(str(event["event_id"]) for _, event in found)
    assert set(ids) == expected  # every late dossier has its letter, one id each
    repeated = {partition for partition, event in found if ids[str(event["event_id"])] > 1}
    assert repeated <= victims, "only what a killed worker had not committed is written again"
    # downstream, the SLA applies each dossier's apology once: the proposed date, no refusal
    result = dossiers.sla.feed(*(event for _, event in found))
    assert result.outcomes["dead_lettered"] == 0, result.outcomes
    for dossier_id in dossiers.stories:
        record = dossiers.sla.record(dossier_id)
        proposed = dossiers.raised[(dossier_id, "APOLOGY_DUE")]["proposed_appointment_at"]
        assert record["appointment_at"] == proposed, dossier_id
