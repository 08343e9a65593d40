"""The live KPI workers against a replay and against the hand-computed provinces.

One worker of each fold on a per-test prefix; the synthetic provinces of ``test_province`` and
``_province2024`` (catalogue on ``catalog.procedures``, events on ``dossier.events``); what the
workers publish on ``kpi`` / ``kpi.procedures`` must equal a replay from offset 0 and the
numbers by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.kafka import ensure_topics
from hub.kpi import (
    Kpis,
    compare,
    full_online_rows,
    full_online_table,
    indicators_2024,
    postal_figures,
    postal_rows,
    replay_kpis,
    target_rows,
)
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.kpi._live import FOLDS, LiveRig
from tests.kpi._province2024 import (
    EXPECTED_MARCH,
    EXPECTED_POSTAL_MARCH,
    NOT_ELIGIBLE,
    VERSIONS_2024,
    events_2024,
)
from tests.kpi._province2024 import TARGETS as TARGETS_2024
from tests.kpi._support import TARGETS, Record, dossier, procedure, vn
from tests.kpi.test_province import EXPECTED_2025, VERSIONS, province_events
from tests.kpi.test_ratings import EXPECTED as RATINGS_EXPECTED
from tests.kpi.test_ratings import VERSIONS as RATING_VERSIONS
from tests.kpi.test_ratings import rating_events, satisfaction_of
from tests.lifecycle._support import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def live(settings: Settings, registry: RegistryClient, tmp_path: Path) -> Iterator[LiveRig]:
    ensure_topics(settings)
    rig = LiveRig(settings, registry, tmp_path)
    yield rig
    rig.close()


def settled_live(live: LiveRig, versions: list[Record], events: list[Record]) -> Kpis:
    """The catalogue ``versions``, a worker of each fold, then ``events``: what the workers
    publish once it equals a replay from offset 0."""
    live.publish_catalog(versions)
    for fold in FOLDS:
        live.start(fold)
    live.wait_ready()
    live.events.send(events)
    published, replayed = live.settled()
    assert compare(published, replayed) == []
    return published


def test_the_live_kpis_equal_the_replay_and_the_hand_computed_table(live: LiveRig) -> None:
    published = settled_live(live, VERSIONS, province_events())
    assert full_online_rows(full_online_table(published, 2025, TARGETS)) == EXPECTED_2025
    lx = published.snapshots["UBND-LX|2025-03"]
    assert (lx["resolved"], lx["resolved_on_time"], lx["with_fee"], lx["paid_online"]) == (
        5, 4, 3, 2,
    )  # fmt: skip
    assert published.snapshots["UBND-LX|2025"]["facts_applied"] == 10 + 5 + 3 + 2
    assert [v["level"] for v in published.histories["CD-X"]["versions"]] == [
        "PARTIAL_ONLINE", "FULL_ONLINE",
    ]  # fmt: skip


def test_a_replay_after_a_level_change_keeps_the_level_at_acceptance(live: LiveRig) -> None:
    """A dossier whose acceptance does not state the level counts at the catalogue's level at
    acceptance (``hub.kpi._dossier``); after the procedure becomes full online, a replay must
    still count it as partial online, as the live worker did."""
    before = procedure("BUG-X", "UBND-LX", "UBND TP Long Xuyên", "PARTIAL_ONLINE")
    live.publish_catalog([before])
    for fold in FOLDS:
        live.start(fold)
    live.wait_ready()
    live.events.send(dossier("BUG-1", {"BUG-X": before}, "BUG-X", "ONLINE", vn(2025, 3, 3)))
    key = "UBND-LX|2025-03"
    wait_until(lambda: key in live.kpis().snapshots, timeout_s=60)
    assert live.kpis().snapshots[key]["received_partial_online"] == 1  # live: partial
    after = procedure("BUG-X", "UBND-LX", "UBND TP Long Xuyên", "FULL_ONLINE",
                      updated_at=vn(2025, 7, 1, 0))  # fmt: skip
    live.publish_catalog([after])
    wait_until(lambda: len(live.kpis().histories["BUG-X"]["versions"]) == 2, timeout_s=60)
    replayed = replay_kpis(live.settings, live.registry)
    assert replayed.snapshots[key]["received_partial_online"] == 1, (
        "the replay counts a dossier accepted in March 2025, under the partial-online version, "
        "at the level of the latest catalogue entry (full online, from July)"
    )
    assert compare(live.kpis(), replayed) == []


def test_the_live_2024_and_postal_figures_equal_the_replay_and_the_hand_computed_ones(
    live: LiveRig,
) -> None:
    """The province of ``_province2024`` through the live workers: signatures, postal legs and
    ISO weeks as the replay computes them, and the figures by hand."""
    published = settled_live(live, VERSIONS_2024, events_2024())
    rows, total = indicators_2024(published, "2025-03", TARGETS_2024, NOT_ELIGIBLE)
    assert target_rows(rows, total) == EXPECTED_MARCH
    assert postal_rows(*postal_figures(published, "2025-03")) == EXPECTED_POSTAL_MARCH
    assert published.snapshots["UBND-LX|2025-W11"]["postal_returns_on_time"] == 0


def test_the_live_satisfaction_ratings_equal_the_replay_and_the_hand_computed_ones(
    live: LiveRig,
) -> None:
    """The ratings of ``test_ratings`` through the live workers: a later rating replacing the
    earlier takes its scores back live as in the replay, per agency, official and period."""
    published = settled_live(live, RATING_VERSIONS, rating_events())
    assert satisfaction_of(published.snapshots) == RATINGS_EXPECTED
