"""A simulated provider's ledger: payments created (deduped by request id, duplicates
counted), transactions paid and refunded, the callbacks it sent and what the hub answered,
and the daily reconciliation file.

Reconciliation file (CSV, UTF-8, header row, one row per transaction)::

    provider,transaction_id,payment_reference,amount_vnd,kind,occurred_at

``kind`` is ``PAYMENT`` or ``REFUND`` (a refund's amount is positive, its transaction id the
refund's, its payment_reference the refunded payment's); ``occurred_at`` is ISO 8601 with the
Vietnam offset (``2026-03-02T09:15:00+07:00``); a day's file holds the rows whose Vietnam-time
date is that day, in time order. Declined attempts moved no money and are not listed. No card
or account data is kept.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from connectors.bank._dialect import VN_TZ
from connectors.bank._messages import CreateReply, Outcome, RefundReply, Status
from connectors.common import JsonObject

#: What makes two requests with one request id the same request: reference, amount (and the
#: refund's reference).
Fingerprint = tuple[str | int, ...]

RECONCILIATION_HEADER = (
    "provider",
    "transaction_id",
    "payment_reference",
    "amount_vnd",
    "kind",
    "occurred_at",
)


@dataclass(frozen=True)
class ReconciliationRow:
    provider: str
    transaction_id: str
    payment_reference: str
    amount_vnd: int
    kind: str  # PAYMENT or REFUND
    occurred_at: datetime

    @property
    def day(self) -> date:
        return self.occurred_at.astimezone(VN_TZ).date()

    def as_csv(self) -> list[str]:
        return [
            self.provider,
            self.transaction_id,
            self.payment_reference,
            str(self.amount_vnd),
            self.kind,
            self.occurred_at.astimezone(VN_TZ).isoformat(timespec="seconds"),
        ]


@dataclass
class Transaction:
    transaction_id: str
    amount_vnd: int
    occurred_at: datetime
    refund_reference: str | None = None
    #: False: a declined attempt (it has an id and a callback, but moved no money).
    succeeded: bool = True
    #: What the reconciliation file says instead of ``amount_vnd`` (a disagreement fault).
    reported_amount_vnd: int | None = None


@dataclass
class SimPayment:
    payment_id: str
    payment_reference: str
    amount_vnd: int
    description: str
    request_id: str
    created_at: datetime
    status: Status = Status.PENDING
    payments: list[Transaction] = field(default_factory=list)
    refunds: list[Transaction] = field(default_factory=list)
    #: Created through the API (False: a payment the hub never asked for).
    requested: bool = True

    @property
    def last_payment(self) -> Transaction | None:
        return self.payments[-1] if self.payments else None


@dataclass(frozen=True)
class CallbackDelivery:
    """One callback sent to the hub and how it answered (``outcome`` None: no readable answer)."""

    payment_reference: str
    transaction_id: str
    copy: int
    attempt: int
    http_status: int | None
    outcome: Outcome | None
    body: JsonObject


class Ledger:
    """Thread-safe: the simulator's HTTP handlers, its callback threads and the test share it."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.lock = threading.RLock()
        self.payments: dict[str, SimPayment] = {}
        self.by_payment_id: dict[str, SimPayment] = {}
        #: request id -> (operation, fingerprint, reply) of the first request carrying it.
        self.requests: dict[str, tuple[str, Fingerprint, CreateReply | RefundReply]] = {}
        #: request id -> how many more times it was received after the first.
        self.duplicates: dict[str, int] = {}
        self.deliveries: list[CallbackDelivery] = []
        self.api_calls: dict[str, int] = {}
        # A real provider never reuses a transaction id: numbering from the clock keeps a
        # restarted simulator's ids from colliding with what the hub confirmed before.
        self._counter = time.time_ns() // 10_000_000 % 10**9 * 10

    def next_number(self) -> int:
        with self.lock:
            self._counter += 1
            return self._counter

    def payment(self, payment_reference: str) -> SimPayment:
        with self.lock:
            return self.payments[payment_reference]

    def duplicate_count(self, request_id: str | None = None) -> int:
        with self.lock:
            if request_id is not None:
                return self.duplicates.get(request_id, 0)
            return sum(self.duplicates.values())

    def delivered(self, payment_reference: str | None = None) -> list[CallbackDelivery]:
        with self.lock:
            return [
                d
                for d in self.deliveries
                if payment_reference is None or d.payment_reference == payment_reference
            ]

    # -- reconciliation --------------------------------------------------------------------------
    def reconciliation_rows(self, day: date | None = None) -> list[ReconciliationRow]:
        rows: list[ReconciliationRow] = []
        with self.lock:
            for payment in self.payments.values():
                for tx in payment.payments:
                    if not tx.succeeded:
                        continue
                    amount = (
                        tx.reported_amount_vnd
                        if tx.reported_amount_vnd is not None
                        else tx.amount_vnd
                    )
                    rows.append(ReconciliationRow(
                        self.provider, tx.transaction_id, payment.payment_reference,
                        amount, "PAYMENT", tx.occurred_at,
                    ))  # fmt: skip
                for tx in payment.refunds:
                    rows.append(ReconciliationRow(
                        self.provider, tx.transaction_id, payment.payment_reference,
                        tx.amount_vnd, "REFUND", tx.occurred_at,
                    ))  # fmt: skip
        rows.sort(key=lambda row: (row.occurred_at, row.transaction_id))
        return [row for row in rows if day is None or row.day == day]

    def reconciliation_csv(self, day: date) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RECONCILIATION_HEADER)
        for row in self.reconciliation_rows(day):
            writer.writerow(row.as_csv())
        return out.getvalue()

    def write_reconciliation(self, day: date, directory: Path) -> Path:
        """``<directory>/<provider>-<yyyy-mm-dd>.csv``; returns the path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.provider}-{day.isoformat()}.csv"
        path.write_text(self.reconciliation_csv(day), encoding="utf-8")
        return path
