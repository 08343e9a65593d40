"""Helpers of the live payments tests: real topics, real worker processes, a file clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hub import processing
from hub.payments import RECONCILIATION, read_payment_states
from hub.processing import FileClock
from hub.records import PaymentState
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import PARTNER_COMMANDS, PAYMENTS
from tests.lifecycle._support import EventProducer, read_all
from tests.payments._support import at, fee_requested, submitted

EVENTS = 'dvchub_processor_events_total{processor="payments"}'
FIRED = 'dvchub_processor_timers_fired_total{processor="payments"}'
ACCOUNTS_TOML = """
[default]
account = "3511.0.9999999"
provider = "paygov"

[agencies.STP]
account = "3511.0.1000001"
provider = "vnpay"
"""


class PaymentsWorker(processing.WorkerProcess):
    """``python -m hub.processing worker payments`` on the rig's prefix, clock and configuration."""

    def __init__(self, settings: Settings, log_dir: Path, name: str, clock: FileClock) -> None:
        accounts = log_dir / "accounts.toml"
        if not accounts.exists():
            accounts.write_text(ACCOUNTS_TOML, encoding="utf-8")
        super().__init__(
            "payments", settings, log_dir / f"{name}.log",
            args=("--session-timeout", "6", "--clock", clock.spec),
            env={"DVC_PAYMENT_ACCOUNTS": str(accounts), "DVC_PAYMENT_QUERY_AFTER": "PT15M",
                 "DVC_PAYMENT_QUERY_BACKOFF": "2", "DVC_PAYMENT_QUERY_MAX": "3"},
        )  # fmt: skip


class LiveRig:
    def __init__(self, settings: Settings, registry: RegistryClient, log_dir: Path) -> None:
        self.settings = settings
        self.registry = registry
        self.log_dir = log_dir
        self.clock = FileClock(log_dir / "clock")
        self.clock.set(at(0))
        self.events = EventProducer(settings, registry)
        self.workers: list[PaymentsWorker] = []
        self.command_serde = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
        self.mismatch_serde = serde_for(RECONCILIATION, settings.topic_prefix, registry)
        # registered before two workers start at once: their concurrent first registration of
        # one subject can be answered 409 by the registry (the worker's agent then restarts)
        states = serde_for(PAYMENTS, settings.topic_prefix, registry)
        _ = self.events.serde.schema_id, self.command_serde.schema_id, states.schema_id

    def start(self, name: str, *, wait: bool = True) -> PaymentsWorker:
        worker = PaymentsWorker(self.settings, self.log_dir, name, self.clock)
        self.workers.append(worker)
        if wait:
            worker.wait_ready(90)
        return worker

    def request_fees(self, dossiers: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Submitted at T0 (agency STP), fee requested at T0+5 min; dossier -> FeeRequested."""
        fees: dict[str, dict[str, Any]] = {}
        batch: list[Mapping[str, Any]] = []
        for dossier in dossiers:
            fees[dossier] = fee_requested(dossier, at(5))
            batch += [submitted(dossier, at(0)), fees[dossier]]
        self.events.send(batch)
        return fees

    def commands(self, command_type: str | None = None) -> list[dict[str, Any]]:
        topic = PARTNER_COMMANDS.name(self.settings.topic_prefix)
        found = [self.command_serde.decode(r.value) for r in read_all(self.settings, topic)]
        return [c for c in found if command_type is None or c["command_type"] == command_type]

    def command_ids(self, command_type: str | None = None) -> list[str]:
        return [str(c["command_id"]) for c in self.commands(command_type)]

    def states(self) -> dict[str, PaymentState]:
        return read_payment_states(self.settings, self.registry, timeout_s=30)

    def mismatches(self) -> list[dict[str, Any]]:
        topic = RECONCILIATION.name(self.settings.topic_prefix)
        return [self.mismatch_serde.decode(r.value) for r in read_all(self.settings, topic)]

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.events.close()
