"""Two real worker processes in one consumer group; one is SIGKILLed mid-stream."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from hub.lifecycle import compare, replay
from hub.sample import VN_TZ, sample_events
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.lifecycle._support import (
    APPLIED,
    StateReader,
    assert_exactly_applied,
    dead_letters,
    event_ids_by_dossier,
    publish_catalog,
    wait_until,
)
from tests.lifecycle.conftest import Harness, lifecycle_settings


@pytest.fixture(scope="module")
def pair(stack_settings: Settings, registry: RegistryClient) -> Iterator[Harness]:
    settings = lifecycle_settings(stack_settings, partitions=4)
    publish_catalog(settings, registry)
    stack = Harness(settings, registry, Path(tempfile.mkdtemp(prefix="dvchub-lifecycle-pair-")))
    a = stack.start_worker("a")
    b = stack.start_worker("b")

    def split() -> bool:
        owned = [a.status().get("partitions") or [], b.status().get("partitions") or []]
        together = sorted(owned[0] + owned[1]) == [0, 1, 2, 3]
        return all(owned) and together and a.ready() and b.ready()

    wait_until(split, timeout_s=60)
    yield stack
    stack.close()


@pytest.mark.slow
def test_sigkilled_worker_hands_its_partitions_over_without_loss_or_duplicates(
    pair: Harness,
) -> None:
    a, b = pair.workers
    warmup = list(sample_events(40, seed=1))
    pair.producer.send(warmup)
    # both workers own partitions: the group split the work
    wait_until(lambda: a.metric(APPLIED) > 0 and b.metric(APPLIED) > 0, timeout_s=60)

    stream = list(sample_events(300, seed=2, start=datetime(2025, 6, 2, tzinfo=VN_TZ)))  # other ids
    sent_at: list[float] = []

    def produce() -> None:
        for i, event in enumerate(stream):
            pair.producer.send_raw(event["dossier_id"], pair.producer.serde.encode(event))
            if i % 50 == 0:
                pair.producer.flush()
                sent_at.append(time.monotonic())
                time.sleep(0.15)
        pair.producer.flush()

    producer = threading.Thread(target=produce)
    producer.start()
    wait_until(lambda: len(sent_at) >= 8, timeout_s=30, every_s=0.05)
    before_kill = b.metric(APPLIED)
    b.kill()  # SIGKILL: no leave-group, no flush, no commit
    producer.join()
    assert before_kill > 0
    assert a.alive()

    expected = event_ids_by_dossier(warmup + stream)
    assert len(expected) == 340
    latest = assert_exactly_applied(StateReader(pair.settings, pair.registry), expected)
    assert dead_letters(pair.settings, pair.registry) == []
    # Rebuilding from offset 0 gives exactly the live states. (Compared with the states waited
    # for above, not through replay_check: that one waits for the group's committed offsets,
    # and faust-streaming 0.15.3 may not commit a taken-over partition's offsets for minutes,
    # which costs a harmless re-read of duplicates after a restart, not a lost or double event.)
    rebuilt = replay(pair.settings, pair.registry, write=False, progress=False)
    assert compare(latest, rebuilt.states) == []
