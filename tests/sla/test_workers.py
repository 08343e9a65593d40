"""The SLA live: real Kafka, real registry, two worker processes, a clock the test moves.

Timers are durable: a worker SIGKILLed after scheduling and before firing leaves its timers in
the changelog; the survivor rebuilds them and fires each alert once. A rebalance moves timers
with their partitions. The clock is a file both workers read (``--clock file:...``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
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
from tests.sla._support import CATALOG, accepted, vn

FIRED = 'dvchub_processor_timers_fired_total{processor="sla"}'
DOSSIERS = 24


class SlaWorker(processing.WorkerProcess):
    def __init__(self, settings: Settings, log_dir: Path, name: str, clock: FileClock) -> None:
        super().__init__(
            "hub.sla", settings, log_dir / f"{name}.log",
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
        wait_until(lambda: len(self.alerts()) >= expected, timeout_s=90)
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
    wait_until(lambda: len(rig.alerts()) >= DOSSIERS * 4, timeout_s=90)
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
