"""The partners of ``bench/partners.py``, from their specs (``connectors.partners``): the
commands each gets (its spec's workload), and the limit: its real client against its
simulator, no Kafka."""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from connectors.common import PartnerSpec, Received
from connectors.outbox import CallFailed, Command
from connectors.partners import spec


def partner_commands(partner: PartnerSpec, count: int, dossiers: int, tag: str) -> list[Command]:
    """``count`` commands over ``dossiers`` dossiers, round robin: step 0 of every dossier,
    then step 1 ... (the order a live stream interleaves them in)."""
    workload = partner.workload
    commands: list[Command] = []
    for n in range(count):
        dossier, step = n % dossiers, n // dossiers
        command_type, name, payload = workload.payload(dossier, step)
        did = workload.dossier_id(dossier)
        command_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}{did}:{step}"))
        commands.append(Command(
            command_id=command_id, command_type=command_type, dossier_id=did,
            idempotency_key=f"{command_id}:{command_type.lower()}",
            created_at=workload.started + timedelta(minutes=step), correlation_id=did,
            causation_id=None, payload_name=name, payload=payload,
        ))  # fmt: skip
    return commands


def command_record(command: Command) -> dict[str, object]:
    """The PartnerCommand record of ``command``, for ``hub.serde``."""
    return {
        "command_id": command.command_id, "command_type": command.command_type,
        "dossier_id": command.dossier_id, "idempotency_key": command.idempotency_key,
        "created_at": command.created_at, "correlation_id": command.correlation_id,
        "causation_id": command.causation_id,
        "payload": (f"vn.dvchub.command.{command.payload_name}", command.payload),
    }  # fmt: skip


# -- 1. the limit: the client against the simulator, no Kafka -----------------------------------


@dataclass(frozen=True)
class Direct:
    calls: int
    seconds: float
    latencies: list[float]
    failures: dict[str, int]


def direct_calls(partner: str, url: str, lanes: list[list[Command]], concurrency: int) -> Direct:
    """In a child process: ``lanes`` (one dossier's commands each, in order) called from
    ``concurrency`` threads, by the client the outbox builds (the spec's factory, pointed at
    ``url`` through the workload's variables: this process is the child's own)."""
    partner_spec = spec(partner)
    os.environ.update(partner_spec.workload.env(url))
    client = partner_spec.client()

    def run_lane(lane: list[Command]) -> tuple[list[float], list[str]]:
        latencies, failures = [], []
        for command in lane:
            started = time.perf_counter()
            try:
                client.call(command, 1)
            except CallFailed as exc:
                failures.append(exc.code)
            latencies.append(time.perf_counter() - started)
        return latencies, failures

    all_latencies: list[float] = []
    failed: Counter[str] = Counter()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for latencies, failures in pool.map(run_lane, lanes):
            all_latencies.extend(latencies)
            failed.update(failures)
    seconds = time.perf_counter() - started
    client.close()
    return Direct(len(all_latencies), seconds, all_latencies, dict(failed))


def limit(partner: PartnerSpec, commands: list[Command], concurrency: int) -> Direct:
    lanes: dict[str, list[Command]] = {}
    for command in commands:
        lanes.setdefault(command.dossier_id, []).append(command)
    context = multiprocessing.get_context("spawn")
    with partner.simulator() as sim, ProcessPoolExecutor(1, mp_context=context) as pool:
        url = partner.workload.url(sim)
        direct = pool.submit(
            direct_calls, partner.name, url, list(lanes.values()), concurrency
        ).result()
        received = partner.workload.received(sim)
    check(f"{partner.name} direct", len(commands), received, failures=direct.failures)
    return direct


def check(
    label: str, commands: int, received: Received, *, failures: dict[str, int] | None = None,
    outcomes: int | None = None, extra: list[str] | None = None,
) -> None:  # fmt: skip
    """Print the CHECK line of a run; exit with FAIL if anything is off."""
    problems = list(received.problems) + list(extra or ())
    if received.effects != commands:
        problems.append(f"{received.effects:,} effects at the simulator for {commands:,} commands")
    if failures:
        problems.append(f"failed calls {dict(failures)}")
    if outcomes is not None and outcomes != commands:
        problems.append(f"{outcomes:,} outcome records for {commands:,} commands")
    verdict = "OK" if not problems else "FAIL: " + "; ".join(problems)
    records = "" if outcomes is None else f"; {outcomes:,} outcome records"
    print(f"  CHECK {label}: {commands:,} commands -> simulator {received.effects:,} effects "
          f"({received.detail}), {received.duplicates:,} duplicates deduped{records}: "
          f"{verdict}")  # fmt: skip
    if problems:
        raise SystemExit(f"FAIL: {label}: {'; '.join(problems)}")
