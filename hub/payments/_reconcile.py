"""Daily reconciliation, pure: a provider's statement against the hub's PaymentStates.

For one provider and one (Vietnam-time) day, every row of the file of that provider and day is
compared with the payment of its reference, and every payment the hub saw paid that day with
the file. A ``Mismatch`` is one of:

    MISSING_IN_HUB       a PAYMENT row whose reference the hub does not know, or whose payment the
                         hub never saw paid (no FeePaid)
    MISSING_AT_PROVIDER  a payment of this provider the hub saw paid that day (its ``paid_at``),
                         whose transaction is in no PAYMENT row of the file
    AMOUNT_MISMATCH      a PAYMENT row whose amount is not what the hub recorded as paid (or, not
                         paid yet, asked for); a REFUND row whose amount is not what was paid
    PAID_TWICE           two or more distinct provider transactions paid one reference (the day's
                         rows and the transactions the hub recorded together), one per reference
    UNKNOWN_REFUND       a REFUND row for a payment the hub asked no refund of (or a second one)

Rows of another provider are bad rows; rows of another day are counted (``outside_day``) and
otherwise left out (they still count as present for MISSING_AT_PROVIDER, so a payment near
midnight is not reported missing because the two clocks put it on different days). A mismatch's
id is derived from what it is about, so reconciling the same file again gives the same ids.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from hub.events import wire_time
from hub.payments._statement import TZ, BadRow, Statement, StatementRow
from hub.records import MismatchKind, Payment, PaymentState, ReconciliationMismatch

MISMATCH_NAMESPACE: Final = uuid.UUID("8e3b9f52-1d47-4c6a-a0f2-6b5e7c9d1a34")
MISMATCH_KINDS: Final[tuple[MismatchKind, ...]] = (
    "MISSING_IN_HUB", "MISSING_AT_PROVIDER", "AMOUNT_MISMATCH", "PAID_TWICE", "UNKNOWN_REFUND",
)  # fmt: skip
_PAID: Final = frozenset({"PAID", "REFUND_REQUESTED", "REFUNDED"})
_UNKNOWN_PAID: Final = "paid at the provider; the hub knows no payment of this reference"
_UNKNOWN_REFUNDED: Final = "refunded at the provider; the hub knows no payment of this reference"


def mismatch_id(
    provider: str,
    day: date,
    kind: MismatchKind,
    payment_reference: str,
    transactions: Iterable[str],
) -> str:
    key = (
        f"{provider}|{day.isoformat()}|{kind}|{payment_reference}|{','.join(sorted(transactions))}"
    )
    return str(uuid.uuid5(MISMATCH_NAMESPACE, key))


@dataclass(frozen=True)
class Mismatch:
    """One difference (``schemas/vn.dvchub.ReconciliationMismatch.avsc`` less ``detected_at``)."""

    mismatch_id: str
    kind: MismatchKind
    provider: str
    day: date
    payment_reference: str
    dossier_id: str | None
    provider_transaction_ids: tuple[str, ...]
    provider_amount_vnd: int | None
    hub_amount_vnd: int | None
    hub_status: str | None
    detail: str
    occurred_at: datetime | None
    #: line of the file the mismatch was found at (None: found from the hub's side)
    line: int | None = None

    def record(self, detected_at: datetime) -> ReconciliationMismatch:
        """The ReconciliationMismatch record."""
        return {
            "mismatch_id": self.mismatch_id, "kind": self.kind, "provider": self.provider,
            "day": self.day, "payment_reference": self.payment_reference,
            "dossier_id": self.dossier_id,
            "provider_transaction_ids": list(self.provider_transaction_ids),
            "provider_amount_vnd": self.provider_amount_vnd,
            "hub_amount_vnd": self.hub_amount_vnd, "hub_status": self.hub_status,
            "detail": self.detail, "occurred_at": self.occurred_at,
            "detected_at": wire_time(detected_at, "detected_at"),
        }  # fmt: skip


@dataclass(frozen=True)
class ReconciliationReport:
    """What one reconciliation found."""

    provider: str
    day: date
    detected_at: datetime
    #: rows of the file (any provider, any day) that parsed
    rows: int
    #: rows of this provider and day that were compared
    compared: int
    #: rows compared that matched the hub
    matched: int
    #: rows of this provider on another day (left out)
    outside_day: int
    #: payments of this provider the hub saw paid that day
    hub_paid: int
    mismatches: tuple[Mismatch, ...] = ()
    bad_rows: tuple[BadRow, ...] = ()
    #: mismatch ids published to the reconciliation topic (``run_reconciliation``)
    published: int = 0

    @property
    def clean(self) -> bool:
        """No mismatch and no bad row."""
        return not self.mismatches and not self.bad_rows

    def counts(self) -> dict[str, int]:
        """Mismatches per kind (every kind, zeros included)."""
        found = Counter(m.kind for m in self.mismatches)
        return {kind: found[kind] for kind in MISMATCH_KINDS}


@dataclass
class _Hub:
    """The hub's payments, indexed by payment and refund reference."""

    by_reference: dict[str, tuple[str, Payment]] = field(default_factory=dict)
    by_refund: dict[str, tuple[str, Payment]] = field(default_factory=dict)

    @classmethod
    def of(cls, states: Iterable[PaymentState]) -> _Hub:
        hub = cls()
        for state in states:
            for payment in state["payments"]:
                entry = (str(state["dossier_id"]), payment)
                hub.by_reference[str(payment["payment_reference"])] = entry
                if payment.get("refund_reference"):
                    hub.by_refund[str(payment["refund_reference"])] = entry
        return hub


def reconcile(
    statement: Statement,
    states: Iterable[PaymentState],
    *,
    provider: str,
    day: date,
    detected_at: datetime,
) -> ReconciliationReport:
    """Compare ``statement`` (one provider's file) with the hub's PaymentStates ``states``."""
    hub = _Hub.of(states)
    bad = list(statement.bad_rows)
    today: list[StatementRow] = []
    outside = 0
    for row in statement.rows:
        if row.provider != provider:
            bad.append(BadRow(row.line, f"provider {row.provider!r} in a file of {provider!r}"))
        elif row.day != day:
            outside += 1
        else:
            today.append(row)
    found = _Finder(provider, day)
    payments: dict[str, list[StatementRow]] = {}
    for row in today:
        if row.kind == "PAYMENT":
            payments.setdefault(row.payment_reference, []).append(row)
    for ref, rows in payments.items():
        _compare_payments(found, ref, rows, hub.by_reference.get(ref))
    _compare_refunds(found, [r for r in today if r.kind == "REFUND"], hub)
    file_transactions = {r.transaction_id for r in statement.rows
                         if r.provider == provider and r.kind == "PAYMENT"}  # fmt: skip
    file_references = {r.payment_reference for r in statement.rows
                       if r.provider == provider and r.kind == "PAYMENT"}  # fmt: skip
    hub_paid = 0
    for ref, (dossier_id, payment) in sorted(hub.by_reference.items()):
        paid_at = payment.get("paid_at")
        if payment.get("provider") != provider or paid_at is None:
            continue
        if payment["status"] not in _PAID or paid_at.astimezone(TZ).date() != day:
            continue
        hub_paid += 1
        transaction = payment.get("provider_transaction_id")
        present = transaction in file_transactions if transaction else ref in file_references
        if not present:
            found.add(
                "MISSING_AT_PROVIDER", ref, dossier_id, [transaction] if transaction else [],
                None, payment.get("paid_amount_vnd"), payment, None, paid_at,
                "the hub recorded this payment that day; the provider's file has no such "
                "transaction",
            )  # fmt: skip
    mismatches = tuple(sorted(found.mismatches, key=_order))
    flagged = {m.line for m in mismatches if m.line is not None}
    return ReconciliationReport(
        provider=provider, day=day, detected_at=wire_time(detected_at, "detected_at"),
        rows=len(statement.rows), compared=len(today),
        matched=sum(1 for r in today if r.line not in flagged), outside_day=outside,
        hub_paid=hub_paid, mismatches=mismatches,
        bad_rows=tuple(sorted(bad, key=lambda b: b.line)),
    )  # fmt: skip


class _Finder:
    def __init__(self, provider: str, day: date) -> None:
        self.provider = provider
        self.day = day
        self.mismatches: list[Mismatch] = []

    def add(
        self,
        kind: MismatchKind,
        ref: str,
        dossier_id: str | None,
        transactions: Iterable[str],
        provider_amount: int | None,
        hub_amount: int | None,
        payment: Payment | None,
        line: int | None,
        occurred_at: datetime | None,
        detail: str,
    ) -> None:
        txns = tuple(transactions)
        self.mismatches.append(Mismatch(
            mismatch_id(self.provider, self.day, kind, ref, txns), kind, self.provider, self.day,
            ref, dossier_id, txns, provider_amount, hub_amount,
            None if payment is None else str(payment["status"]), detail, occurred_at, line,
        ))  # fmt: skip


def _compare_payments(
    found: _Finder,
    ref: str,
    rows: list[StatementRow],
    known: tuple[str, Payment] | None,
) -> None:
    if known is None:
        for row in rows:
            found.add("MISSING_IN_HUB", ref, None, [row.transaction_id], row.amount_vnd, None,
                      None, row.line, row.occurred_at,
                      _UNKNOWN_PAID)  # fmt: skip
        hub_transactions: list[str] = []
        dossier_id = None
        payment: Payment | None = None
    else:
        dossier_id, payment = known
        hub_transactions = [t for t in payment["paid_transactions"] if not t.startswith("event:")]
        for row in rows:
            recorded = row.transaction_id in payment["paid_transactions"]
            paid_amount = payment.get("paid_amount_vnd")
            expected = int(paid_amount if recorded and paid_amount is not None
                           else payment["amount_vnd"])  # fmt: skip
            if row.amount_vnd != expected:
                what = "recorded as paid" if recorded else "asked for"
                found.add("AMOUNT_MISMATCH", ref, dossier_id, [row.transaction_id],
                          row.amount_vnd, expected, payment, row.line, row.occurred_at,
                          f"the provider's amount is not the amount the hub {what}")  # fmt: skip
            elif not payment["paid_transactions"]:
                found.add("MISSING_IN_HUB", ref, dossier_id, [row.transaction_id],
                          row.amount_vnd, int(payment["amount_vnd"]), payment, row.line,
                          row.occurred_at,
                          "paid at the provider; the hub never saw this payment paid")  # fmt: skip
    transactions = list(dict.fromkeys([*hub_transactions, *(r.transaction_id for r in rows)]))
    if len(transactions) > 1:
        amount = sum(r.amount_vnd for r in rows)
        found.add("PAID_TWICE", ref, dossier_id, transactions, amount,
                  None if payment is None else payment.get("paid_amount_vnd"), payment,
                  rows[-1].line, rows[-1].occurred_at,
                  f"{len(transactions)} provider transactions paid one reference")  # fmt: skip


def _compare_refunds(found: _Finder, rows: list[StatementRow], hub: _Hub) -> None:
    refunded: set[str] = set()
    for row in rows:
        known = hub.by_reference.get(row.payment_reference) or hub.by_refund.get(
            row.payment_reference
        )
        if known is None:
            found.add("UNKNOWN_REFUND", row.payment_reference, None, [row.transaction_id],
                      row.amount_vnd, None, None, row.line, row.occurred_at,
                      _UNKNOWN_REFUNDED)  # fmt: skip
            continue
        dossier_id, payment = known
        ref = str(payment["payment_reference"])
        if not payment.get("refund_reference") or ref in refunded:
            again = ref in refunded
            found.add("UNKNOWN_REFUND", ref, dossier_id, [row.transaction_id], row.amount_vnd,
                      None, payment, row.line, row.occurred_at,
                      "a second refund of this payment at the provider" if again
                      else "refunded at the provider; the hub asked for no refund")  # fmt: skip
            refunded.add(ref)
            continue
        refunded.add(ref)
        paid = payment.get("paid_amount_vnd")
        expected = int(payment["amount_vnd"] if paid is None else paid)
        if row.amount_vnd != expected:
            found.add("AMOUNT_MISMATCH", ref, dossier_id, [row.transaction_id], row.amount_vnd,
                      expected, payment, row.line, row.occurred_at,
                      "the refunded amount is not the amount paid")  # fmt: skip


def _order(m: Mismatch) -> tuple[int, str, int]:
    return (m.line if m.line is not None else 1 << 62, m.payment_reference,
            MISMATCH_KINDS.index(m.kind))  # fmt: skip
