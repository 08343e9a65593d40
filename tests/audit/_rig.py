"""A small province on a test's own topic prefix, every derived thing live, for the audit.

The lifecycle, SLA, routing and three KPI folds run as worker processes, and the national
portal's and EMC's outbox workers call their simulators (a dossier without postal service,
fee or notification consent gets commands for those two partners only). ``plant`` publishes a
defect by hand on one of the prefix's topics, as a bug or an operator's mistake would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import TopicPartition

from connectors.common import PartnerSpec, SimulatorServer, ledgers
from connectors.emc import EmcSimulator
from connectors.emc._spec import SPEC as EMC
from connectors.national import NationalPortalSimulator
from connectors.national._spec import SPEC as NATIONAL
from dvchub.demo._partners import Events
from hub.audit import KINDS, PartnerLedger, Report, audit
from hub.kafka import (
    delete_prefixed,
    ensure_topics,
    make_admin,
    make_producer,
    offsets,
    read_to_end,
)
from hub.processing import Message, WorkerProcess
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import TopicSpec
from tests.lifecycle._support import EventProducer, publish_catalog

FOLDS = ("lifecycle", "sla", "routing", "kpi-dossiers", "kpi", "kpi-procedures")
SPECS: tuple[PartnerSpec, ...] = (NATIONAL, EMC)


@dataclass
class Rig:
    settings: Settings
    registry: RegistryClient
    simulators: Mapping[str, SimulatorServer]
    events: Events
    producer: EventProducer

    def audit(self) -> Report:
        return audit(self.settings, self.registry, partners=self.ledgers())

    def ledgers(self) -> list[PartnerLedger]:
        return ledgers(SPECS, self.simulators)

    def messages(self, spec: TopicSpec) -> list[Message]:
        """Every record of ``spec``'s topic as stored."""
        name = spec.name(self.settings.topic_prefix)
        return [Message.of_record(r) for r in read_to_end(self.settings, name)]

    def values(self, spec: TopicSpec) -> list[dict[str, Any]]:
        """Every record of ``spec``'s topic, decoded."""
        serde = serde_for(spec, self.settings.topic_prefix, self.registry)
        return [dict(serde.decode(m.value)) for m in self.messages(spec) if m.value]

    def remove_first(self, spec: TopicSpec, partition: int) -> None:
        """Delete the first record still on ``partition`` of ``spec``'s topic (the broker's
        DeleteRecords: what a too short retention or an operator's mistake does)."""
        name = spec.name(self.settings.topic_prefix)
        first, _ = offsets(self.settings, name)[partition]
        admin = make_admin(self.settings)
        try:
            admin.delete_records({TopicPartition(name, partition): first + 1}, timeout_ms=30_000)
        finally:
            admin.close()

    def encode(self, spec: TopicSpec, record: Mapping[str, Any]) -> bytes:
        return serde_for(spec, self.settings.topic_prefix, self.registry).encode(dict(record))

    def plant(self, spec: TopicSpec, key: str, value: bytes) -> None:
        """One record on ``spec``'s topic, as a bug or an operator's mistake would write it."""
        producer = make_producer(self.settings)
        try:
            producer.send(spec.name(self.settings.topic_prefix), key=key.encode(), value=value)
            producer.flush(timeout=60)
        finally:
            producer.close()


def counts(report: Report) -> dict[tuple[str, str], int]:
    """(check, kind) -> findings, for every check and kind."""
    return {(c.check, kind): c.count(kind) for c in report.checks for kind in KINDS}


def change(before: Report, after: Report) -> dict[tuple[str, str], int]:
    """What a defect added: the (check, kind) counts that moved, by how much."""
    a, b = counts(before), counts(after)
    return {key: b[key] - a.get(key, 0) for key in b if b[key] != a.get(key, 0)}


@contextmanager
def audit_rig(stack: Settings, registry: RegistryClient, logs: Path) -> Iterator[Rig]:
    """The rig on a prefix of its own (two partitions), its topics deleted after it."""
    run_id = uuid.uuid4().hex[:12]
    settings = stack.model_copy(update={"topic_prefix": f"test.{run_id}.", "partitions": 2})
    national, emc = NationalPortalSimulator(), EmcSimulator()
    env = {"DVC_NATIONAL_URL": national.url, "DVC_NATIONAL_TIMEOUT_S": "2", "DVC_EMC_URL": emc.url}
    with ExitStack() as stack_of:
        stack_of.callback(delete_prefixed, settings)
        ensure_topics(settings)
        publish_catalog(settings, registry)
        workers = [WorkerProcess(name, settings, logs / f"{name}.log") for name in FOLDS]
        workers += [
            WorkerProcess(None, settings, logs / f"outbox-{spec.name}.log",
                          args=("--partner", spec.name), env=env, module="dvchub.outbox")
            for spec in SPECS
        ]  # fmt: skip
        for worker in workers:
            stack_of.callback(worker.stop)
        for simulator in (national, emc):
            simulator.start()
            stack_of.callback(simulator.stop)
        for worker in workers:
            worker.wait_ready(240)
        producer = EventProducer(settings, registry)
        stack_of.callback(producer.close)
        yield Rig(settings, registry, {NATIONAL.name: national, EMC.name: emc},
                  Events(run_id[:8], notify=False), producer)  # fmt: skip
