"""Routing live: a real worker process on the real Kafka and registry.

What the worker publishes on ``partner.commands`` is, dossier by dossier and in order, exactly
what the same fold computes on the in-memory runner; an event it cannot apply is dead-lettered;
its log, at DEBUG, holds none of the applicants' personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.kafka import ensure_topics
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.hub.test_no_personal_data_in_logs import assert_no_personal_data
from tests.lifecycle._support import dead_letters, wait_until
from tests.routing._live import LiveRig, first_occurrences, story
from tests.routing._support import ADDRESS, APPLICANT, Story


@pytest.fixture
def live(settings: Settings, registry: RegistryClient, tmp_path: Path) -> Iterator[LiveRig]:
    ensure_topics(settings)
    rig = LiveRig(settings, registry, tmp_path)
    yield rig
    rig.close()


def test_a_worker_routes_every_dossier_in_order_and_dead_letters_the_rest(live: LiveRig) -> None:
    worker = live.start("w1", "--loglevel", "debug")
    worker.wait_ready(120)
    stories = [story(n) for n in range(8)]
    events = live.send(stories)
    orphan = Story("HS-ORPHAN").add("DOSSIER_ACCEPTED")  # never submitted
    live.events.send([orphan])
    expected = live.expected(events)
    total = sum(len(v) for v in expected.values())
    wait_until(lambda: len(live.published()) >= total, timeout_s=90)
    published = live.published()
    assert len(published) == total  # a clean run: nothing doubled
    assert first_occurrences(published) == expected
    kinds = {live.commands.decode(v)["command_type"] for _, v in published}
    assert kinds == {"POSTAL_ORDER", "POSTAL_CANCEL", "NATIONAL_DOSSIER_SYNC",
                     "NATIONAL_PROGRESS_UPDATE", "EMC_TRACKING_RECORD"}  # fmt: skip
    letters = wait_until(lambda: dead_letters(live.settings, live.registry), timeout_s=30)
    assert [(d["processor"], d["reason_code"]) for d in letters] == [
        ("routing", "INVALID_TRANSITION")
    ]
    assert worker.metric('dvchub_routing_commands_total{type="POSTAL_ORDER"}') == 6
    assert worker.metric("dvchub_routing_commands_total") == total
    worker.stop()
    fields = ("full_name", "phone", "email", "id_number")
    secrets = [*(str(APPLICANT[f]) for f in fields), ADDRESS["line"]]
    assert_no_personal_data(worker.log_path.read_text(errors="replace"), secrets)
