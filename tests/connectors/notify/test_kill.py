"""Two notification outbox workers (``dvchub.outbox --partner notify``, processes of their own)
against the gateways' simulator, one SIGKILLed mid-batch: its partitions move to the survivor,
which sends again what the victim had done but not committed, under the same ids, so every
command is still exactly one message at the gateways, with one outcome. ``DVC_CHAOS_ROUNDS`` > 1
kills again, a wave of dossiers a round (a replacement for each victim). The workers' own log
files hold no name, number or address."""

from __future__ import annotations

import os
import random
from collections import Counter
from functools import partial
from pathlib import Path

from connectors.notify import NotifySimulator
from connectors.notify._spec import NotifyWorkload
from hub.kafka import ensure_topics, make_producer
from hub.processing import WorkerProcess
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES
from tests.connectors.notify._commands import delivered_once, personal_data, records
from tests.connectors.notify.test_outbox import outcomes
from tests.lifecycle._support import wait_until

DOSSIERS = 24
STEPS = 6
ROUNDS = int(os.environ.get("DVC_CHAOS_ROUNDS", "1"))


class NotifyOutbox(WorkerProcess):
    def __init__(self, settings: Settings, log_dir: Path, name: str, url: str) -> None:
        super().__init__(
            None, settings, log_dir / f"{name}.log", module="dvchub.outbox",
            args=("--partner", "notify", "--concurrency", "8", "--retry-base", "0.05",
                  "--retry-cap", "0.5"),
            env={**NotifyWorkload().env(url), "DVC_NOTIFY_TIMEOUT_S": "2"},
        )  # fmt: skip


def _delivered(sim: NotifySimulator, count: int) -> bool:
    return len(sim.ledger.delivered()) >= count


def test_a_killed_notification_worker_sends_every_message_once(
    settings: Settings, registry: RegistryClient, tmp_path: Path
) -> None:
    ensure_topics(settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER])
    waves = [records(DOSSIERS, range(STEPS), f"KILL{r}") for r in range(ROUNDS)]
    sent = [r for wave in waves for r in wave]
    serde = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
    topic = PARTNER_COMMANDS.name(settings.topic_prefix)
    with NotifySimulator() as sim:
        sim.faults.latency_s = 0.02  # calls in flight when the kill comes
        workers = [NotifyOutbox(settings, tmp_path, f"w{n}", sim.url) for n in (1, 2)]
        try:
            for worker in workers:
                worker.wait_ready(90)
            rng = random.Random(5)
            producer = make_producer(settings)
            done = 0
            for round_, wave in enumerate(waves, 1):
                for r in wave:
                    producer.send(topic, key=r["dossier_id"].encode(), value=serde.encode(r))
                producer.flush()
                wait_until(partial(_delivered, sim, done + len(wave) // 4), 60, 0.05)
                rng.choice([w for w in workers if w.alive()]).kill()
                if round_ < ROUNDS:
                    replacement = NotifyOutbox(settings, tmp_path, f"r{round_}", sim.url)
                    workers.append(replacement)
                    replacement.wait_ready(90)
                done += len(wave)
                wait_until(partial(_delivered, sim, done), 120, 0.1)
            producer.close()
            found = wait_until(
                lambda: (o := outcomes(settings, registry)) and len(o) >= len(sent) and o,
                180, 1.0,
            )  # fmt: skip
        finally:
            for worker in workers:
                if worker.alive():
                    worker.stop()
        assert set(found) == {r["command_id"] for r in sent}
        assert Counter(o["outcome"] for o in found.values()) == {"ACCEPTED": len(sent)}
        delivered_once(sim, sent)
    logs = "\n".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    assert "outbox" in logs  # the workers did log: the check below has lines to read
    for personal in personal_data(DOSSIERS):
        assert personal not in logs, personal
