"""The SLA live: real Kafka, real registry, two worker processes, a clock the test moves.

Timers are durable: a worker SIGKILLed after scheduling and before firing leaves its timers in
the changelog; the survivor rebuilds them and fires each alert once. A rebalance moves timers
with their partitions. The clock is a file both workers read (``--clock file:...``).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from hub import processing
from hub.kafka import ensure_topics, make_producer
from hub.processing import FileClock
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, SLA_ALERTS, SLA_DEADLINES
from tests.lifecycle._support import EventProducer, read_all, wait_until
from tests.sla._support import CATALOG, accepted, event, vn

FIRED = 'dvchub_processor_timers_fired_total{processor="sla"}'
DOSSIERS = 24


class SlaWorker(processing.WorkerProcess):
    def __init__(self, settings: Settings, log_dir: Path, name: str, clock: FileClock) -> None:
        super().__init__(
            "sla", settings, log_dir / f"{name}.log",
            args=("--session-timeout", "6", "--catalog-grace", "1.5", "--clock", clock.spec),
        )  # fmt: skip


class Rig:
    def __init__(self, settings: Settings, registry: RegistryClient, log_dir: Path) -> None:
        self.settings = settings
        self.registry = registry
        self.log_dir = log_dir
        self.clock = FileClock(log_dir / "clock")
        self.clock.set(vn(2025, 3, 3, 8))
        self.events = EventProducer(settings, registry)
        self.workers: list[SlaWorker] = []
        self.alert_serde = serde_for(SLA_ALERTS, settings.topic_prefix, registry)
        self.deadline_serde = serde_for(SLA_DEADLINES, settings.topic_prefix, registry)

    def start(self, name: str) -> SlaWorker:
        worker = SlaWorker(self.settings, self.log_dir, name, self.clock)
        self.workers.append(worker)
        worker.wait_ready(90)
        return worker

    def alerts(self) -> list[dict[str, Any]]:
        topic = SLA_ALERTS.name(self.settings.topic_prefix)
        return [self.alert_serde.decode(r.value) for r in read_all(self.settings, topic)]

    def running(self) -> int:
        topic = SLA_DEADLINES.name(self.settings.topic_prefix)
        latest = {
            r.key: self.deadline_serde.decode(r.value) for r in read_all(self.settings, topic)
        }
        return sum(1 for d in latest.values() if d["clock"] == "RUNNING")

    def accept_dossiers(self) -> None:
        for n in range(DOSSIERS):
            self.events.send(accepted(f"HS-T{n:03d}", vn(2025, 3, 3, 9)))
        wait_until(lambda: self.running() == DOSSIERS, timeout_s=60)

    def assert_alerts_once(self, kinds: set[str]) -> list[dict[str, Any]]:
        expected = DOSSIERS * len(kinds)
        wait_until(lambda: len(self.alerts()) >= expected, timeout_s=180)
        time.sleep(2)  # anything fired twice would show up by now
        alerts = self.alerts()
        assert len(alerts) == expected
        assert len({a["alert_id"] for a in alerts}) == expected
        by_dossier: dict[str, set[str]] = {}
        for alert in alerts:
            by_dossier.setdefault(alert["dossier_id"], set()).add(alert["kind"])
        assert by_dossier == {f"HS-T{n:03d}": kinds for n in range(DOSSIERS)}
        return alerts

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.events.close()


@pytest.fixture
def rig(stack_settings: Settings, registry: RegistryClient, tmp_path: Path) -> Iterator[Rig]:
    settings = stack_settings.model_copy(
        update={"topic_prefix": f"test.{uuid.uuid4().hex[:12]}.", "partitions": 4}
    )
    ensure_topics(settings)
    serde = serde_for(CATALOG_PROCEDURES, settings.topic_prefix, registry)
    producer = make_producer(settings)
    for code, record in CATALOG.items():
        producer.send(CATALOG_PROCEDURES.name(settings.topic_prefix), key=code.encode(),
                      value=serde.encode(record))  # fmt: skip
    producer.flush()
    producer.close()
    stack = Rig(settings, registry, tmp_path)
    yield stack
    stack.close()


def test_killed_between_scheduling_and_firing_the_alert_still_fires_once(rig: Rig) -> None:
    first, second = rig.start("w1"), rig.start("w2")
    wait_until(lambda: first.status()["partitions"] and second.status()["partitions"], 60)
    rig.accept_dossiers()  # scheduled: due soon Wed 5 Mar 09:00, appointment Thu 09:00
    first.kill()  # SIGKILL: its timers exist only in the changelog now
    rig.clock.set(vn(2025, 3, 5, 10))
    rig.assert_alerts_once({"DUE_SOON", "APOLOGY_DUE"})
    assert second.metric(FIRED) >= 1
    rig.clock.set(vn(2025, 3, 6, 10))  # and the next timers, on the survivor alone
    # (the first alerts stay; the overdue pair joins them)
    wait_until(lambda: len(rig.alerts()) >= DOSSIERS * 4, timeout_s=180)
    time.sleep(2)
    assert len(rig.alerts()) == len({a["alert_id"] for a in rig.alerts()}) == DOSSIERS * 4


def test_a_rebalance_moves_timers_to_the_other_worker(rig: Rig) -> None:
    first = rig.start("w1")
    rig.accept_dossiers()
    second = rig.start("w2")
    wait_until(lambda: first.status()["partitions"] and second.status()["partitions"], 60)
    wait_until(lambda: first.ready() and second.ready(), 60)
    rig.clock.set(vn(2025, 3, 6, 10))  # past the appointment: the overdue pair
    rig.assert_alerts_once({"OVERDUE", "OVERDUE_WITHOUT_APOLOGY"})
    assert first.metric(FIRED) >= 1
    assert second.metric(FIRED) >= 1


def _scheduled(rig: Rig, dossiers: list[str]) -> bool:
    topic = SLA_DEADLINES.name(rig.settings.topic_prefix)
    latest = {r.key: rig.deadline_serde.decode(r.value) for r in read_all(rig.settings, topic)}
    return all(latest.get(d.encode(), {}).get("clock") == "RUNNING" for d in dossiers)


def _fired(rig: Rig, due: set[tuple[str, str]]) -> bool:
    return due <= {(a["dossier_id"], a["kind"]) for a in rig.alerts()}


@pytest.mark.slow
@pytest.mark.skipif(
    "DVC_CHAOS_ROUNDS" not in os.environ, reason="the long form: DVC_CHAOS_ROUNDS=5 runs it"
)
def test_killed_round_after_round_every_alert_fires_once(rig: Rig) -> None:
    """Each round, a week later: dossiers accepted on Monday, a worker SIGKILLed (a new one
    replaces it), the clock moved to Wednesday: the round's due-soon and apology alerts fire
    once, and the previous round's overdue pair fires once as the clock passes their
    appointments, and so does each late dossier's EXPLANATION_OVERDUE 3 working days later.
    Prints how long after each kill the round's alerts were all out."""
    rounds = int(os.environ["DVC_CHAOS_ROUNDS"])
    workers = [rig.start("w1"), rig.start("w2")]
    wait_until(lambda: all(w.status()["partitions"] for w in workers), 60)
    rng = random.Random(8)
    monday = vn(2025, 3, 3, 8)
    dossiers: list[str] = []
    for round_ in range(rounds):
        week = monday + timedelta(days=7 * round_)
        rig.clock.set(week)
        batch = [f"HS-R{round_}-{n:03d}" for n in range(DOSSIERS)]
        for dossier in batch:
            rig.events.send(accepted(dossier, week + timedelta(hours=1)))
        dossiers += batch
        wait_until(partial(_scheduled, rig, batch), timeout_s=60)
        victim = rng.choice([w for w in workers if w.alive()])
        victim.kill()  # its timers exist only in the changelog now
        killed = time.monotonic()
        rig.clock.set(week + timedelta(days=2, hours=2))  # Wednesday 10:00
        due = {(d, k) for d in batch for k in ("DUE_SOON", "APOLOGY_DUE")}
        wait_until(partial(_fired, rig, due), 120)
        print(f"round {round_ + 1}: the round's alerts all out {time.monotonic() - killed:.1f} s "
              "after the kill")  # fmt: skip
        workers.append(rig.start(f"r{round_}"))
    # past every appointment, and every explanation's due date (Tuesday after the appointment)
    rig.clock.set(monday + timedelta(days=7 * rounds + 3))
    every = ["APOLOGY_DUE", "DUE_SOON", "EXPLANATION_OVERDUE", "OVERDUE", "OVERDUE_WITHOUT_APOLOGY"]
    expected = len(dossiers) * len(every)
    wait_until(lambda: len(rig.alerts()) >= expected, timeout_s=120)
    time.sleep(2)  # anything fired twice would show up by now
    alerts = rig.alerts()
    assert len(alerts) == len({a["alert_id"] for a in alerts}) == expected
    by_dossier: dict[str, list[str]] = {}
    for alert in alerts:
        by_dossier.setdefault(alert["dossier_id"], []).append(alert["kind"])
    assert {d: sorted(k) for d, k in by_dossier.items()} == {d: every for d in dossiers}


FILLER = 4000  # records ahead of the cancelling events: the backlog a restarted worker reads


def test_a_restarted_worker_reads_its_backlog_before_firing_due_timers(rig: Rig) -> None:
    """While the worker is down, half the dossiers get their result (a backlog behind
    thousands of other records) and the clock passes their appointment: once restarted, it
    fires the uncancelled half's timers, and none of the half whose result its backlog holds
    (firing before reading them is the wrong OVERDUE a replay of the log never raises)."""
    worker = rig.start("w1")
    rig.accept_dossiers()
    worker.kill()
    returned = [f"HS-T{n:03d}" for n in range(0, DOSSIERS, 2)]
    waiting = [f"HS-T{n:03d}" for n in range(1, DOSSIERS, 2)]
    rig.events.send(event(f"HS-F{n:05d}", "DOSSIER_SUBMITTED", vn(2025, 3, 3, 10))
                    for n in range(FILLER))  # fmt: skip
    rig.events.send(e for d in returned for e in (
        event(d, "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
        event(d, "RESULT_READY", vn(2025, 3, 4, 9)),
    ))  # fmt: skip
    rig.clock.set(vn(2025, 3, 6, 10))  # past every appointment
    rig.start("w2")
    wait_until(partial(_fired, rig, {(d, "OVERDUE") for d in waiting}), timeout_s=180)
    time.sleep(2)  # a wrong alert would show up by now
    assert not [a for a in rig.alerts() if a["dossier_id"] in returned]
