"""Two outbox worker processes for the national portal, one SIGKILLed mid-stream.

The killed worker's partitions move to the survivor, which redoes the commands after the last
committed offset: those already done are sent again with the same idempotency key (the portal
answers as before), so in the simulator's records every status of every dossier appears once,
in order, and every command has an outcome. ``DVC_CHAOS_ROUNDS`` > 1 kills again and again
(a new worker replaces each killed one): the long form. Each round sends a wave of dossiers of
its own, so every kill lands while commands are in flight.

After each kill the test measures how long the dossiers that still had commands waited for
their next call (the worst is printed): the dead worker's partitions move once its session
(10 s) expires, the survivors' go on meanwhile (cooperative rebalancing).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from datetime import UTC, datetime
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
#: the survivor or a replacement calls again within the session timeout (10 s) and this much
RESUME_SLACK_S = 30.0


class OutboxProcess(WorkerProcess):
    def __init__(self, settings: Settings, log_dir: Path, name: str, url: str) -> None:
        super().__init__(
            None, settings, log_dir / f"{name}.log", module="dvchub.outbox",
            args=("--partner", "national", "--concurrency", "8", "--retry-base", "0.05",
                  "--retry-cap", "0.5"),
            env={"DVC_NATIONAL_URL": url, "DVC_NATIONAL_TIMEOUT_S": "2"},
        )  # fmt: skip


def _progressed(portal: NationalPortalSimulator, calls: int) -> bool:
    return len(portal.received()) > calls


def _done(portal: NationalPortalSimulator, dossiers: list[str]) -> bool:
    return all(len(portal.statuses(d)) == len(LIFE) for d in dossiers)


def _worst_wait_after(portal: NationalPortalSimulator, killed_at: datetime,
                      waiting: list[str]) -> float:  # fmt: skip
    """The longest a dossier with commands left at the kill waited for its next call."""
    waits = [
        min((r.received_at - killed_at).total_seconds()
            for r in portal.received(d) if r.received_at > killed_at)
        for d in waiting
    ]  # fmt: skip
    return max(waits, default=0.0)


def _outcomes(settings: Settings, registry: RegistryClient) -> dict[str, dict[str, Any]]:
    serde = serde_for(PARTNER_OUTCOMES, settings.topic_prefix, registry)
    records = read_to_end(settings, PARTNER_OUTCOMES.name(settings.topic_prefix), timeout_s=30)
    return {str(o["command_id"]): o for o in (serde.decode(r.value) for r in records)}


def test_a_killed_worker_loses_and_doubles_nothing_at_the_partner(
    settings: Settings, registry: RegistryClient, tmp_path: Path
) -> None:
    ensure_topics(settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER])
    waves = [[f"HS-KILL-{r}-{i:03d}" for i in range(DOSSIERS)] for r in range(ROUNDS)]
    dossiers = [d for wave in waves for d in wave]
    commands = [sync_command(d, step, code) for step, code in enumerate(LIFE) for d in dossiers]
    serde = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
    topic = PARTNER_COMMANDS.name(settings.topic_prefix)
    waits: list[float] = []
    with NationalPortalSimulator() as portal:
        portal.faults.latency_s = 0.02  # calls in flight when the kill comes
        for dossier in dossiers:
            portal.expect_order(dossier, LIFE)
        workers = [OutboxProcess(settings, tmp_path, f"w{n}", portal.url) for n in (1, 2)]
        try:
            for worker in workers:
                worker.wait_ready(90)
            rng = random.Random(11)
            producer = make_producer(settings)
            for round_, wave in enumerate(waves, 1):
                before = len(portal.received())
                for step, code in enumerate(LIFE):
                    for dossier in wave:
                        command = sync_command(dossier, step, code)
                        value = serde.encode(command)
                        producer.send(topic, key=dossier.encode(), value=value)
                producer.flush()
                wait_until(partial(_progressed, portal, before + 15), 60, 0.05)
                victim = rng.choice([w for w in workers if w.alive()])
                victim.kill()
                killed_at = datetime.now(UTC)
                waiting = [d for d in wave if len(portal.statuses(d)) < len(LIFE)]
                if round_ < ROUNDS:  # the long form: a new worker replaces the killed one
                    replacement = OutboxProcess(settings, tmp_path, f"r{round_}", portal.url)
                    workers.append(replacement)
                    replacement.wait_ready(90)
                wait_until(partial(_done, portal, wave), 120, 0.1)
                waits.append(_worst_wait_after(portal, killed_at, waiting))
                print(f"round {round_}: {len(waiting)} dossiers waiting at the kill, "
                      f"the worst waited {waits[-1]:.1f} s for its next call")  # fmt: skip
            producer.close()
            started = time.monotonic()
            outcomes = wait_until(
                lambda: (o := _outcomes(settings, registry)) and len(o) >= len(commands) and o,
                180, 1.0,
            )  # fmt: skip
            print(f"outcomes complete {time.monotonic() - started:.1f} s after the last wave")
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
        assert max(waits) < 10.0 + RESUME_SLACK_S, waits
