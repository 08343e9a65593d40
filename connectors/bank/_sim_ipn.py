"""A provider simulator's callbacks (IPN) to the hub, with their faults: ``ProviderCallbacks``,
a part of ``BankSimulator`` (``_sim``), which owns the ledger, the clock and the HTTP client;
``SimulatorFaults``, what goes wrong (the API's faults too)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx

from connectors.bank._dialect import Dialect
from connectors.bank._ledger import CallbackDelivery, Ledger, SimPayment, Transaction
from connectors.bank._messages import Callback, Outcome, Status
from connectors.common import JsonObject

RETRIED = frozenset({Outcome.ORDER_NOT_FOUND, Outcome.RETRY})


@dataclass
class SimulatorFaults:
    """What goes wrong; change fields at any time (read at each use)."""

    callback_copies: int = 1
    callback_concurrent: bool = False
    callback_delay_s: float = 0.0
    callback_wrong_signature: bool = False
    callback_amount_delta_vnd: int = 0
    callback_time_offset_s: float = 0.0
    #: Pay and notify right at creation: the callback may beat the hub storing the request.
    callback_on_create: bool = False
    #: Resends of one copy on "order not found", "retry", 5xx or no answer.
    callback_retries: int = 5
    callback_backoff_s: float = 0.1
    #: How a vnpay callback is sent: GET with a query string (VNPAY's way) or POST form.
    vnpay_callback_method: str = "GET"
    api_latency_s: float = 0.0
    api_fail_next: int = 0
    api_fail_status: int = 503
    api_hang_next: int = 0
    api_hang_s: float = 5.0
    api_garble_next: int = 0


class ProviderCallbacks:
    """Sends a transaction's signed callback to ``ipn_url``, copies and retries as the faults
    say, and records each delivery and the hub's answer in the ledger."""

    provider: str
    dialect: Dialect
    ipn_url: str | None
    faults: SimulatorFaults
    ledger: Ledger
    clock: Callable[[], datetime]
    _http: httpx.Client
    _senders: ThreadPoolExecutor

    def notify(
        self, payment_reference: str, transaction_id: str | None = None
    ) -> list[CallbackDelivery]:
        """Send the callback of a transaction (default: the last) again, with the faults."""
        with self.ledger.lock:
            payment = self.ledger.payment(payment_reference)
            tx = next(
                (t for t in payment.payments if t.transaction_id == transaction_id),
                payment.last_payment,
            )
            status = Status.FAILED if payment.status is Status.FAILED else Status.PAID
        if tx is None:
            raise ValueError(f"{payment_reference} has no transaction to notify")
        faults = replace(self.faults)
        if faults.callback_delay_s:
            time.sleep(faults.callback_delay_s)
        copies = max(faults.callback_copies, 1)
        if faults.callback_concurrent and copies > 1:
            barrier = threading.Barrier(copies)
            futures = [
                self._senders.submit(self._deliver, payment, tx, status, faults, n, barrier)
                for n in range(1, copies + 1)
            ]
            results = [f.result() for f in futures]
        else:
            results = [self._deliver(payment, tx, status, faults, n) for n in range(1, copies + 1)]
        return [delivery for result in results for delivery in result]

    def _callback_wire(
        self, payment: SimPayment, tx: Transaction, status: Status, faults: SimulatorFaults
    ) -> dict[str, str]:
        shift = timedelta(seconds=faults.callback_time_offset_s)
        # when this copy is sent: wall time, what the hub's freshness check compares with
        now = datetime.now(UTC)
        callback = Callback(
            payment_reference=payment.payment_reference,
            payment_id=payment.payment_id,
            transaction_id=tx.transaction_id,
            amount_vnd=tx.amount_vnd,
            status=status,
            paid_at=(tx.occurred_at + shift) if self.provider == "vnpay" else tx.occurred_at,
            sent_at=now + shift,
        )
        wire = self.dialect.encode(callback)
        if faults.callback_wrong_signature:
            field = self.dialect.signature_field
            wire[field] = ("0" if wire[field][0] != "0" else "1") + wire[field][1:]
        return wire

    def _deliver(
        self, payment: SimPayment, tx: Transaction, status: Status, faults: SimulatorFaults,
        copy: int, barrier: threading.Barrier | None = None,
    ) -> list[CallbackDelivery]:  # fmt: skip
        if self.ipn_url is None:
            raise RuntimeError("the simulator has no ipn_url")
        deliveries: list[CallbackDelivery] = []
        for attempt in range(1, faults.callback_retries + 2):
            wire = self._callback_wire(payment, tx, status, faults)
            if barrier is not None and attempt == 1:
                barrier.wait(timeout=10)
            http_status, outcome, body = self._send(wire, faults)
            delivery = CallbackDelivery(
                payment.payment_reference,
                tx.transaction_id,
                copy,
                attempt,
                http_status,
                outcome,
                body,
            )
            deliveries.append(delivery)
            with self.ledger.lock:
                self.ledger.deliveries.append(delivery)
            retried = outcome is None or outcome in RETRIED or (http_status or 500) >= 500
            if not retried or attempt > faults.callback_retries:
                break
            time.sleep(min(faults.callback_backoff_s * 2 ** (attempt - 1), 2.0))
        return deliveries

    def _send(
        self, wire: dict[str, str], faults: SimulatorFaults
    ) -> tuple[int | None, Outcome | None, JsonObject]:
        assert self.ipn_url is not None
        try:
            if self.provider == "paygov":
                response = self._http.post(self.ipn_url, json=wire)
            elif faults.vnpay_callback_method.upper() == "POST":
                response = self._http.post(self.ipn_url, data=wire)
            else:
                response = self._http.get(self.ipn_url, params=wire)
        except httpx.HTTPError as exc:
            return None, None, {"error": type(exc).__name__}
        try:
            body = response.json()
        except ValueError:
            return response.status_code, None, {}
        body = body if isinstance(body, dict) else {}
        return (
            response.status_code,
            self.dialect.ipn_reply_outcome(response.status_code, body),
            body,
        )
