"""Two outbox worker processes for the national portal, one SIGKILLed mid-stream.

The killed worker's partitions move to the survivor, which redoes the commands after the last
committed offset: those already done are sent again with the same idempotency key (the portal
answers as before), so in the simulator's records every status of every dossier appears once,
in order, and every command has an outcome. ``DVC_CHAOS_ROUNDS`` > 1 kills again and again
(a new worker replaces each killed one): the long form.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from connectors.national import NationalPortalSimulator
from hub.kafka import ensure_topics, make_producer, read_to_end
from hub.processing import WorkerProcess
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES
from tests.connectors.national.test_outbox_e2e import sync_command
from tests.lifecycle._support import wait_until

LIFE = (1, 2, 4, 5, 4, 9, 10)
DOSSIERS = 40
ROUNDS = int(os.environ.get("DVC_CHAOS_ROUNDS", "1"))


class OutboxProcess(WorkerProcess):
    def __init__(self, settings: Settings, log_dir: Path, name: str, url: str) -> None:
        super().__init__(
            "dvchub.outbox", settings, log_dir / f"{name}.log",
            args=("--partner", "national", "--concurrency", "8", "--retry-base", "0.05",
                  "--retry-cap", "0.5"),
            env={"DVC_NATIONAL_URL": url, "DVC_NATIONAL_TIMEOUT_S": "2"},
        )  # fmt: skip


def _progressed(portal: NationalPortalSimulator, calls: int) -> bool:
    return len(portal.received()) > calls


def _outcomes(settings: Settings, registry: RegistryClient) -> dict[str, dict[str, Any]]:
    serde = serde_for(PARTNER_OUTCOMES, settings.topic_prefix, registry)
    records = read_to_end(settings, PARTNER_OUTCOMES.name(settings.topic_prefix), timeout_s=30)
    return {str(o["command_id"]): o for o in (serde.decode(r.value) for r in records)}


def test_a_killed_worker_loses_and_doubles_nothing_at_the_partner(
    settings: Settings, registry: RegistryClient, tmp_path: Path
) -> None:
    ensure_topics(settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER])
    dossiers = [f"HS-KILL-{i:03d}" for i in range(DOSSIERS)]
    commands = [sync_command(d, step, code) for step, code in enumerate(LIFE) for d in dossiers]
    with NationalPortalSimulator() as portal:
        portal.faults.latency_s = 0.02  # calls in flight when the kill comes
        for dossier in dossiers:
            portal.expect_order(dossier, LIFE)
        workers = [OutboxProcess(settings, tmp_path, f"w{n}", portal.url) for n in (1, 2)]
        try:
            for worker in workers:
                worker.wait_ready(90)
            serde = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
            producer = make_producer(settings)
            topic = PARTNER_COMMANDS.name(settings.topic_prefix)
            for command in commands:
                value = serde.encode(command)
                producer.send(topic, key=command["dossier_id"].encode(), value=value)
            producer.flush()
            producer.close()
            rng = random.Random(11)
            for round_ in range(1, ROUNDS + 1):
                wait_until(partial(_progressed, portal, len(portal.received()) + 15), 60, 0.05)
                victim = rng.choice([w for w in workers if w.alive()])
                victim.kill()
                if round_ < ROUNDS:  # the long form: a new worker replaces the killed one
                    replacement = OutboxProcess(settings, tmp_path, f"r{round_}", portal.url)
                    workers.append(replacement)
                    replacement.wait_ready(90)
            outcomes = wait_until(
                lambda: (o := _outcomes(settings, registry)) and len(o) >= len(commands) and o,
                180, 1.0,
            )  # fmt: skip
        finally:
            for worker in workers:
                if worker.alive():
                    worker.stop()
        assert set(outcomes) == {c["command_id"] for c in commands}
        assert Counter(o["outcome"] for o in outcomes.values()) == {"ACCEPTED": len(commands)}
        for dossier in dossiers:
            assert portal.statuses(dossier) == list(LIFE), dossier
        assert portal.order_violations == []
        # what the victim had done but not committed was sent again: duplicates, not effects
        assert len(portal.received()) == len(commands)
