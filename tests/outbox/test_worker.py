"""The outbox worker over the real broker, against a real HTTP partner with faults.

What the partner received is counted in its ledger: every command has exactly one effect
(repeated idempotency keys are duplicates without effect), every command has one outcome, and
a dossier's calls arrive in the order of its commands.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.outbox import BreakerPolicy, OutboxOptions, OutboxWorker, RetryPolicy
from hub.kafka import ensure_topics, make_producer
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import (
    DEADLETTER,
    DOSSIER_EVENTS,
    PARTNER_COMMANDS,
    PARTNER_OUTCOMES,
)
from tests.lifecycle._support import read_all, wait_until
from tests.outbox._partner import EchoClient, EchoPartner, progress_command

FAST = OutboxOptions(
    concurrency=8,
    retry=RetryPolicy(base_s=0.05, cap_s=0.5, report_after=3),
    breaker=BreakerPolicy(failure_threshold=5, cooldown_s=0.5, max_cooldown_s=1.0),
    web_port=0,
)


class Rig:
    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        ensure_topics(settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER])
        self.settings = settings
        self.registry = registry
        self.partner = EchoPartner()
        self.partner.up()
        self.commands = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
        self.outcomes = serde_for(PARTNER_OUTCOMES, settings.topic_prefix, registry)
        self.events = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        self.producer = make_producer(settings)
        self.workers: list[tuple[OutboxWorker, threading.Thread]] = []

    def send(self, records: list[dict[str, Any]]) -> None:
        topic = PARTNER_COMMANDS.name(self.settings.topic_prefix)
        for record in records:
            value = self.commands.encode(record)
            self.producer.send(topic, key=record["dossier_id"].encode(), value=value)
        self.producer.flush()

    def send_raw(self, key: str, value: bytes) -> None:
        topic = PARTNER_COMMANDS.name(self.settings.topic_prefix)
        self.producer.send(topic, key=key.encode(), value=value)
        self.producer.flush()

    def start_worker(self, options: OutboxOptions = FAST) -> OutboxWorker:
        worker = OutboxWorker(
            self.settings, EchoClient(self.partner.url), options, registry=self.registry
        )
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        self.workers.append((worker, thread))
        wait_until(lambda: worker.status()["ready"], 60, 0.2)
        return worker

    def stop_workers(self) -> None:
        for worker, thread in self.workers:
            worker.stop()
            thread.join(30)
        self.workers.clear()

    def outcome_records(self) -> list[dict[str, Any]]:
        topic = PARTNER_OUTCOMES.name(self.settings.topic_prefix)
        return [self.outcomes.decode(r.value) for r in read_all(self.settings, topic)]

    def event_records(self) -> list[dict[str, Any]]:
        topic = DOSSIER_EVENTS.name(self.settings.topic_prefix)
        return [self.events.decode(r.value) for r in read_all(self.settings, topic)]

    def wait_outcomes(self, count: int, timeout_s: float = 90) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            records = self.outcomes_by_command()
            return list(records.values()) if len(records) >= count else None

        return list(wait_until(enough, timeout_s, 0.5))

    def outcomes_by_command(self) -> dict[str, dict[str, Any]]:
        return {str(r["command_id"]): r for r in self.outcome_records()}

    def close(self) -> None:
        self.stop_workers()
        self.partner.down()
        self.producer.close()


@pytest.fixture
def rig(settings: Settings, registry: RegistryClient) -> Iterator[Rig]:
    rig = Rig(settings, registry)
    yield rig
    rig.close()


def workload(dossiers: int, steps: int) -> list[dict[str, Any]]:
    # interleaved, as a live hub would produce them
    return [
        progress_command(f"D-{d:03d}", seq) for seq in range(1, steps + 1) for d in range(dossiers)
    ]


def assert_each_once_in_order(rig: Rig, dossiers: int, steps: int) -> None:
    ledger = rig.partner.ledger
    assert len(ledger.effects) == dossiers * steps
    for d in range(dossiers):
        assert ledger.arrivals[f"D-{d:03d}"] == list(range(1, steps + 1))


def test_every_command_reaches_the_partner_once_with_one_outcome(rig: Rig) -> None:
    worker = rig.start_worker()
    rig.send(workload(20, 5))
    outcomes = rig.wait_outcomes(100)
    assert Counter(o["outcome"] for o in outcomes) == {"ACCEPTED": 100}
    assert all(o["partner"] == "echo" and o["attempts"] == 1 for o in outcomes)
    assert_each_once_in_order(rig, 20, 5)
    completed = [e for e in rig.event_records() if e["event_type"] == "NATIONAL_SYNC_COMPLETED"]
    assert len({e["event_id"] for e in completed}) == 100
    assert worker.metrics.outcomes.labels("echo", "ACCEPTED")._value.get() == 100


def test_a_5xx_storm_is_retried_until_every_command_is_accepted(rig: Rig) -> None:
    rig.partner.fail_ratio = 0.4
    rig.partner.jitter_s = 0.01
    worker = rig.start_worker()
    rig.send(workload(15, 6))
    outcomes = rig.wait_outcomes(90)
    assert {o["outcome"] for o in outcomes} == {"ACCEPTED"}
    assert max(o["attempts"] for o in outcomes) > 1
    assert_each_once_in_order(rig, 15, 6)
    assert worker.metrics.retries.labels("echo")._value.get() > 0


def test_a_partner_down_for_a_while_loses_nothing_and_doubles_nothing(rig: Rig) -> None:
    worker = rig.start_worker()
    rig.send(workload(10, 2))
    rig.wait_outcomes(20)
    rig.partner.down()
    rig.send(workload(10, 4)[20:])  # steps 3 and 4 while the partner is down
    wait_until(lambda: worker.status()["breaker"] == "open", 30, 0.1)
    status = worker.status()
    assert status["ready"] is False
    assert status["pending"] != 0
    ready = httpx.get(f"http://127.0.0.1:{worker.web_port}/ready")
    assert (ready.status_code, ready.json()["breaker"]) == (503, "open")
    metrics = httpx.get(f"http://127.0.0.1:{worker.web_port}/metrics").text
    assert 'dvchub_outbox_breaker_state{partner="echo"} 2.0' in metrics
    time.sleep(3)  # an outage long enough for several failed probes
    assert len(rig.outcomes_by_command()) == 20
    rig.partner.up()
    rig.wait_outcomes(40)
    wait_until(lambda: worker.status()["ready"], 30, 0.2)
    assert worker.status()["breaker"] == "closed"
    assert_each_once_in_order(rig, 10, 4)


def test_a_permanent_refusal_is_rejected_and_the_dossier_goes_on(rig: Rig) -> None:
    rig.start_worker()
    rig.send([progress_command("D-1", 1), progress_command("D-1", 2, reject=True),
              progress_command("D-1", 3)])  # fmt: skip
    outcomes = sorted(rig.wait_outcomes(3), key=lambda o: o["idempotency_key"])
    by_seq = {str(o["command_id"]): o for o in outcomes}
    rejected = by_seq[progress_command("D-1", 2)["command_id"]]
    assert (rejected["outcome"], rejected["reason_code"]) == ("REJECTED", "HTTP_422")
    assert rig.partner.ledger.arrivals["D-1"] == [1, 3]
    failed = [e for e in rig.event_records() if e["event_type"] == "NATIONAL_SYNC_FAILED"]
    assert [e["payload"][1]["will_retry"] for e in failed] == [False]


def test_a_stuck_command_is_reported_once_while_it_is_retried(rig: Rig) -> None:
    rig.partner.fail_next = 4  # fails 4 times; report_after=3 reports it once, then succeeds
    rig.start_worker(
        OutboxOptions(retry=RetryPolicy(base_s=0.05, cap_s=0.1, report_after=3),
                      breaker=BreakerPolicy(failure_threshold=100), web_port=0)
    )  # fmt: skip
    rig.send([progress_command("D-1", 1)])
    (outcome,) = rig.wait_outcomes(1)
    assert (outcome["outcome"], outcome["attempts"]) == ("ACCEPTED", 5)
    types = [e["event_type"] for e in rig.event_records()]
    assert types == ["NATIONAL_SYNC_FAILED", "NATIONAL_SYNC_COMPLETED"]


def test_attempts_can_be_bounded_then_the_outcome_is_failed(rig: Rig) -> None:
    rig.partner.fail_next = 10**6
    rig.start_worker(
        OutboxOptions(retry=RetryPolicy(base_s=0.01, cap_s=0.02, max_attempts=3),
                      breaker=BreakerPolicy(failure_threshold=100), web_port=0)
    )  # fmt: skip
    rig.send([progress_command("D-1", 1)])
    (outcome,) = rig.wait_outcomes(1)
    assert (outcome["outcome"], outcome["attempts"], outcome["reason_code"]) == (
        "FAILED",
        3,
        "HTTP_503",
    )


def test_a_poison_command_is_dead_lettered_and_the_partition_goes_on(rig: Rig) -> None:
    rig.start_worker()
    rig.send_raw("D-1", b"\x00\x00\x00\x00\x07not avro")
    rig.send([progress_command("D-1", 1)])
    rig.wait_outcomes(1)
    letters = read_all(rig.settings, DEADLETTER.name(rig.settings.topic_prefix))
    assert len(letters) == 1


def test_a_restarted_worker_resumes_without_losing_or_doubling(rig: Rig) -> None:
    rig.partner.latency_s = 0.01
    rig.start_worker()
    rig.send(workload(12, 5))
    wait_until(lambda: len(rig.partner.ledger.effects) >= 20, 60, 0.05)
    rig.stop_workers()  # mid-stream
    rig.start_worker()
    rig.wait_outcomes(60)
    assert_each_once_in_order(rig, 12, 5)
