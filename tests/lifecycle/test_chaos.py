"""Chaos on the runtime: two workers, repeated SIGKILLs, a broker restart, skipped offsets.

Events of many dossiers stream in while the faults happen, in this order (one round each, then
again from the top in the long form):

* SIGKILL worker a, start a new a;  SIGKILL worker b, start a new b;
* restart the Kafka broker under both workers (they must ride it out);
* SIGKILL both; while none runs, events are appended and the group's committed offsets are
  moved past them, as faust-streaming does when it skips offsets after a SIGKILL rebalance; the
  new workers must read the gap back from their offset marks (``dvchub_processor_refetched``).

At the end every dossier holds exactly its events, in order, none twice; every state record
ever published is a prefix of that history; nothing was dead-lettered; the replay (in-memory
runner) equals the live states; and the live marks cover the whole log.

CI runs the short form (one round). ``DVC_CHAOS_ROUNDS=5`` runs the long one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from hub.kafka import make_consumer, offsets
from hub.lifecycle import app_id_for, compare, live_lag, replay
from hub.sample import VN_TZ, sample_events
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.stack import LocalStack
from hub.topics import DOSSIER_EVENTS
from tests.lifecycle._support import (
    REFETCHED,
    StateReader,
    WorkerProcess,
    assert_exactly_applied,
    dead_letters,
    event_ids_by_dossier,
    publish_catalog,
    wait_until,
)
from tests.lifecycle.conftest import Harness, lifecycle_settings

ROUNDS = int(os.environ.get("DVC_CHAOS_ROUNDS", "1"))


class Feeder(threading.Thread):
    """Produces the stream at a steady pace; ``pause``/``resume`` around a controlled step."""

    def __init__(self, harness: Harness, events: list[dict[str, Any]], per_s: float) -> None:
        super().__init__(daemon=True)
        self.harness = harness
        self.events = events
        self.per_s = per_s
        self.sent = 0
        self.running = threading.Event()
        self.running.set()
        self.idle = threading.Event()

    def run(self) -> None:
        producer = self.harness.producer
        while self.sent < len(self.events):
            if not self.running.is_set():
                producer.flush()
                self.idle.set()
                self.running.wait()
                self.idle.clear()
            event = self.events[self.sent]
            producer.send_raw(event["dossier_id"], producer.serde.encode(event))
            self.sent += 1
            if self.sent % 20 == 0:
                producer.flush()
                time.sleep(20 / self.per_s)
        producer.flush()

    def pause(self) -> None:
        self.running.clear()
        while self.is_alive() and not self.idle.wait(timeout=0.2):
            pass

    def resume(self) -> None:
        self.running.set()


@pytest.fixture
def chaos(stack_settings: Settings, registry: RegistryClient, tmp_path: Path) -> Iterator[Harness]:
    settings = lifecycle_settings(stack_settings, partitions=4)
    publish_catalog(settings, registry)
    harness = Harness(settings, registry, tmp_path)
    yield harness
    harness.close()


def respawn(harness: Harness, name: str) -> WorkerProcess:
    """A new worker process, not waited for: the group rebalances while events flow."""
    worker = WorkerProcess(harness.settings, harness.log_dir, name)
    harness.workers.append(worker)
    return worker


def commit_past_everything(settings: Settings) -> int:
    """Commit the group's offsets at the log's end (the group must have no live member)."""
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    ends = {TopicPartition(topic, p): end for p, (_, end) in offsets(settings, topic).items()}
    consumer = make_consumer(settings, group_id=app_id_for(settings))
    try:
        consumer.assign(list(ends))

        def commit() -> bool:
            try:
                consumer.commit({tp: OffsetAndMetadata(end, "", -1) for tp, end in ends.items()})
            except KafkaError:
                return False  # the SIGKILLed members are in the group until their session ends
            return True

        wait_until(commit, timeout_s=60)
    finally:
        consumer.close()
    return sum(ends.values())


def split_off_gaps(
    events: list[dict[str, Any]], rounds: int, per_gap: int = 40
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The feeder's stream and, for each round, whole dossiers' events (at least ``per_gap``)
    kept back for the gap: they exist however far the feeder got, and a dossier's events stay
    in order whichever is sent first."""
    dossiers: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        dossiers.setdefault(str(event["dossier_id"]), []).append(event)
    held = list(dossiers.values())
    gaps: list[list[dict[str, Any]]] = []
    for _ in range(rounds):
        gap: list[dict[str, Any]] = []
        while len(gap) < per_gap:
            gap += held.pop()
        gaps.append(gap)
    return [e for dossier in held for e in dossier], gaps


def refetched_by(workers: tuple[WorkerProcess, ...]) -> float:
    return sum(w.metric(REFETCHED) for w in workers)


@pytest.mark.slow
# a round takes about a minute (two kills, a broker restart, two respawns): the suite's 300 s
# fits the short form, not five rounds (5 rounds took 299 s on an idle machine)
@pytest.mark.timeout(120 + 90 * ROUNDS)
def test_kill_9_two_workers_repeatedly_with_a_broker_restart(chaos: Harness) -> None:
    events = list(
        sample_events(250 * ROUNDS + 150, seed=7, start=datetime(2025, 8, 4, tzinfo=VN_TZ))
    )
    streamed, gaps = split_off_gaps(events, ROUNDS)
    a, b = chaos.start_worker("a"), chaos.start_worker("b")
    feeder = Feeder(chaos, streamed, per_s=150)
    feeder.start()
    refetched = 0.0
    for n in range(ROUNDS):
        time.sleep(2)
        a.kill()
        a = respawn(chaos, f"a{n}")
        time.sleep(3)
        b.kill()
        b = respawn(chaos, f"b{n}")
        time.sleep(3)
        LocalStack(chaos.settings).restart("kafka", down_s=2)
        time.sleep(3)
        feeder.pause()
        a.kill()
        b.kill()
        chaos.producer.send(gaps[n])
        commit_past_everything(chaos.settings)
        a, b = respawn(chaos, f"a{n}-gap"), respawn(chaos, f"b{n}-gap")
        feeder.resume()
        # the records appended while no worker ran were skipped by the consumers: read back
        refetched += wait_until(partial(refetched_by, (a, b)), timeout_s=90)
    feeder.join(timeout=120)
    assert feeder.sent == len(streamed)
    assert refetched >= 1

    expected = event_ids_by_dossier(events)
    reader = StateReader(chaos.settings, chaos.registry)
    latest = assert_exactly_applied(reader, expected, timeout_s=180)
    assert dead_letters(chaos.settings, chaos.registry) == []
    rebuilt = replay(chaos.settings, chaos.registry, write=False, progress=False)
    assert compare(latest, rebuilt.states) == []
    # the marks (not faust's commits) say everything was applied
    assert wait_until(lambda: live_lag(chaos.settings) == 0, timeout_s=60)
