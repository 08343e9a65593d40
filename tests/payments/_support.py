"""Helpers of the payments tests: dated events, the fold on real serdes, the in-memory runner."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.events import new_event
from hub.payments import AccountBook, Beneficiary, PaymentPolicy, PaymentsProcessor, QueryPolicy
from hub.processing import InMemoryRunner, Message, RunResult
from hub.records import Payment, PaymentState
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.topics import DOSSIER_EVENTS, PARTNER_COMMANDS, PAYMENTS
from tests.lifecycle._support import DESK, payload_for

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=VN)
DAY = date(2026, 3, 2)
ACCOUNTS = AccountBook(
    {"STP": Beneficiary("3511.0.1000001", "vnpay")}, Beneficiary("3511.0.9999999", "paygov")
)
#: first query 15 min after the request, then 30, 60, 60 (capped), at most 4
QUERIES = QueryPolicy(timedelta(minutes=15), 2.0, timedelta(hours=1), 4)
POLICY = PaymentPolicy(ACCOUNTS, QUERIES)
FEE = [{"code": "LP", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": 150_000},
       {"code": "PHI", "name": "Phí thẩm định", "kind": "FEE", "amount_vnd": 50_000}]  # fmt: skip


def at(minutes: float) -> datetime:
    """``minutes`` after T0 (Monday 2 March 2026, 09:00 Vietnam time)."""
    return T0 + timedelta(minutes=minutes)


def event(dossier_id: str, event_type: str, when: datetime, **payload: Any) -> dict[str, Any]:
    """A DossierEvent of ``event_type`` at ``when`` (the minimal payload, with ``payload``)."""
    if event_type == "PAYMENT_REFUNDED":  # newer than tests.lifecycle's payloads
        name, record = "PaymentRefunded", dict(payload)
    else:
        name, record = payload_for(event_type)
        record.update(payload)
    return new_event(dossier_id, name, record, source="PROVINCIAL_PORTAL", occurred_at=when,
                     actor=DESK, recorded_at=when)  # fmt: skip


def submitted(dossier_id: str, when: datetime, agency: str = "STP") -> dict[str, Any]:
    return event(dossier_id, "DOSSIER_SUBMITTED", when, agency_code=agency)


def fee_requested(dossier_id: str, when: datetime, total: int = 200_000) -> dict[str, Any]:
    return event(dossier_id, "FEE_REQUESTED", when, fee_lines=FEE, total_vnd=total)


def created(dossier_id: str, ref: str, when: datetime) -> dict[str, Any]:
    return event(dossier_id, "PAYMENT_REQUEST_CREATED", when, payment_reference=ref,
                 amount_vnd=200_000, payment_url=f"https://pay.example/{ref}",
                 provider="vnpay")  # fmt: skip


def fee_paid(
    dossier_id: str, ref: str, when: datetime, transaction: str = "VNP-1", amount: int = 200_000
) -> dict[str, Any]:
    return event(dossier_id, "FEE_PAID", when, payment_reference=ref, amount_vnd=amount,
                 method="ONLINE_BANK", provider="vnpay",
                 provider_transaction_id=transaction)  # fmt: skip


class Rig:
    """A payments processor (real Avro serdes under ``prefix``) on the in-memory runner."""

    def __init__(
        self, registry: RegistryClient, prefix: str, policy: PaymentPolicy = POLICY
    ) -> None:
        self.events = serde_for(DOSSIER_EVENTS, prefix, registry)
        self.command_serde: AvroSerde = serde_for(PARTNER_COMMANDS, prefix, registry)
        self.state_serde = serde_for(PAYMENTS, prefix, registry)
        self.processor = PaymentsProcessor(self.events, self.state_serde, self.command_serde,
                                           policy)  # fmt: skip
        self.runner: InMemoryRunner[PaymentState] = InMemoryRunner(self.processor)
        self._offsets = itertools.count()
        self.last: RunResult[PaymentState] | None = None

    def message(self, record: Mapping[str, Any], offset: int | None = None) -> Message:
        return Message(self.events.encode(record), str(record["dossier_id"]).encode(),
                       DOSSIER_EVENTS.suffix, 0,
                       next(self._offsets) if offset is None else offset)  # fmt: skip

    def feed(self, *records: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Fold ``records``; the commands they caused (decoded)."""
        self.last = self.runner.run(self.message(r) for r in records)
        return self.commands(self.last)

    def commands(self, result: RunResult[PaymentState]) -> list[dict[str, Any]]:
        return [self.command_serde.decode(e.value) for e in result.emits if e.value is not None]

    def outcomes(self) -> Counter[str]:
        """The outcomes counted by the last run or firing."""
        assert self.last is not None
        return self.last.outcomes

    def fire(self, now: datetime) -> list[dict[str, Any]]:
        """The commands of the timers due at ``now``."""
        self.last = self.runner.fire_due(now)
        return self.commands(self.last)

    def state(self, dossier_id: str) -> PaymentState:
        found = self.runner.state(dossier_id.encode())
        assert found is not None, dossier_id
        return found

    def payment(self, dossier_id: str, index: int = 0) -> Payment:
        return self.state(dossier_id)["payments"][index]

    def due(self, dossier_id: str) -> datetime | None:
        return self.runner.due().get(dossier_id.encode())

    def restart(self) -> None:
        """A new runner on this one's table: what a restarted worker recovers."""
        self.runner = InMemoryRunner(self.processor, self.runner.table)


def payload(command: Mapping[str, Any]) -> dict[str, Any]:
    name, body = command["payload"]
    assert isinstance(name, str)
    result: dict[str, Any] = body
    return result


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
