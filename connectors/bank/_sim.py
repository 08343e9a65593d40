"""Provider simulators: real HTTP servers (FastAPI + uvicorn in a thread, a free loopback port)
speaking ``paygov`` or ``vnpay`` exactly as the client and the IPN endpoints do.

API (``Dialect.api_path``): create (deduped by request id, duplicates counted), status query,
refund. Payment page: ``GET /pay/{payment_id}`` shows it, ``POST /pay/{payment_id}`` with
``action=pay`` (or ``cancel``) is the payer paying; the simulator then sends the signed
callback to ``ipn_url`` (``pay()`` does the same from a test and returns the deliveries).
``GET /reconciliation/{yyyy-mm-dd}`` is the day's reconciliation file.

Faults (``SimulatorFaults``, switchable at any time): callback copies (optionally concurrent),
delay, wrong signature, wrong amount, shifted timestamp (stale / future), a callback sent at
creation (before the hub stored the request) with retries on "order not found"; API latency,
failures with a status, hangs (timeouts), garbled replies. Ledger disagreements for
reconciliation: ``add_unknown_payment``, ``misreport_amount``, ``pay_twice``.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypedDict, Unpack
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from connectors.bank._config import BankConfig, ProviderSettings
from connectors.bank._dialect import Dialect
from connectors.bank._errors import BadSignature, InvalidMessage
from connectors.bank._ledger import CallbackDelivery, Fingerprint, Ledger, SimPayment, Transaction
from connectors.bank._messages import (
    ApiRequest,
    CreatePayment,
    CreateReply,
    QueryPayment,
    QueryReply,
    RefundPayment,
    RefundReply,
    Result,
    Status,
)
from connectors.bank._protocols import dialect_for
from connectors.bank._sim_ipn import ProviderCallbacks, SimulatorFaults
from connectors.common import JsonValue, SimulatorServer

log = logging.getLogger("connectors.bank.sim")


class SimOptions(TypedDict, total=False):
    """``BankSimulator``'s keyword arguments, which each provider's simulator passes on."""

    ipn_url: str | None
    clock: Callable[[], datetime]
    host: str
    port: int
    ipn_tls: ssl.SSLContext | None


class BankSimulator(ProviderCallbacks, SimulatorServer):
    """One provider's simulator; ``with BankSimulator(...) as sim:`` starts and stops it."""

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        ipn_url: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        host: str = "127.0.0.1",
        port: int = 0,
        ipn_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.dialect: Dialect = dialect_for(settings)
        self.provider = settings.name
        self.ipn_url = ipn_url
        self.faults = SimulatorFaults()
        self.ledger = Ledger(self.provider)
        #: the provider's business clock (payments, transactions: their paid time); public so a
        #: run that did not build the simulator (``dvchub simulate``) gives it its simulated
        #: time. The callbacks' send time stays on wall time: the hub judges their freshness.
        self.clock: Callable[[], datetime] = clock
        # ipn_tls: how the IPN client trusts the hub (and presents the provider's certificate
        # for mutual TLS); None: the system's CAs.
        self._http = httpx.Client(timeout=10.0, verify=True if ipn_tls is None else ipn_tls)
        self._senders = ThreadPoolExecutor(64, thread_name_prefix=f"{self.provider}-sim-ipn")
        self.app = self._build_app()
        self._serve(self.app, name=f"{self.provider}-sim", host=host, port=port, lifespan="off")

    # -- lifecycle -----------------------------------------------------------------------------
    def _closed(self) -> None:
        self._senders.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def configure(self, config: BankConfig) -> BankConfig:
        """``config`` with this provider's base URL pointing at the simulator."""
        return config.model_copy(update={f"{self.provider}_base_url": self.url})

    # -- the payer and the test's levers ---------------------------------------------------------
    def pay(
        self, payment_reference: str, *, success: bool = True, notify: bool = True
    ) -> list[CallbackDelivery]:
        """The payer pays (or the payment fails): record it, then send the callback(s) and
        return how the hub answered each (after retries). Paying a paid payment resends."""
        with self.ledger.lock:
            payment = self.ledger.payment(payment_reference)
            if payment.status is Status.PENDING:
                self._settle(payment, success)
            tx = payment.last_payment
        if not notify or tx is None:
            return []
        return self.notify(payment_reference, tx.transaction_id)

    def pay_twice(self, payment_reference: str, *, notify: bool = False) -> list[CallbackDelivery]:
        """A second, distinct transaction paying the same payment (the payer paid twice)."""
        with self.ledger.lock:
            payment = self.ledger.payment(payment_reference)
            tx = self._new_transaction(payment.amount_vnd)
            payment.payments.append(tx)
            payment.status = Status.PAID
        return self.notify(payment_reference, tx.transaction_id) if notify else []

    def add_unknown_payment(self, payment_reference: str, amount_vnd: int) -> str:
        """A payment paid at the provider that the hub never asked for; its transaction id."""
        with self.ledger.lock:
            number = self.ledger.next_number()
            payment = SimPayment(
                self._payment_id(number), payment_reference, amount_vnd, "unknown",
                f"foreign-{number}", self.clock(), requested=False,
            )  # fmt: skip
            tx = self._new_transaction(amount_vnd)
            payment.payments.append(tx)
            payment.status = Status.PAID
            self.ledger.payments[payment_reference] = payment
            self.ledger.by_payment_id[payment.payment_id] = payment
            return tx.transaction_id

    def misreport_amount(self, payment_reference: str, amount_vnd: int) -> None:
        """The reconciliation file shows ``amount_vnd`` for the payment's last transaction."""
        with self.ledger.lock:
            tx = self.ledger.payment(payment_reference).last_payment
            if tx is None:
                raise ValueError(f"{payment_reference} is not paid")
            tx.reported_amount_vnd = amount_vnd

    def reconciliation_csv(self, day: date) -> str:
        return self.ledger.reconciliation_csv(day)

    def write_reconciliation(self, day: date, directory: Path) -> Path:
        return self.ledger.write_reconciliation(day, directory)

    def wait_for_deliveries(
        self, payment_reference: str, predicate: Callable[[list[CallbackDelivery]], bool],
        timeout_s: float = 30.0,
    ) -> list[CallbackDelivery]:  # fmt: skip
        """Wait until the deliveries for a reference satisfy ``predicate`` (background sends)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.ledger.delivered(payment_reference)
            if predicate(found):
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"deliveries for {payment_reference}: {found}")
            time.sleep(0.02)

    # -- ledger changes ----------------------------------------------------------------------------
    def _payment_id(self, number: int) -> str:
        return f"{'PGP' if self.provider == 'paygov' else 'VNP'}{number:010d}"

    def _new_transaction(self, amount_vnd: int) -> Transaction:
        number = self.ledger.next_number()
        tx_id = f"PG{number:012d}" if self.provider == "paygov" else f"{14_000_000 + number}"
        return Transaction(tx_id, amount_vnd, self.clock())

    def _settle(self, payment: SimPayment, success: bool) -> None:
        amount = payment.amount_vnd + self.faults.callback_amount_delta_vnd
        tx = self._new_transaction(amount)
        tx.succeeded = success
        payment.payments.append(tx)
        payment.status = Status.PAID if success else Status.FAILED

    # -- the API -----------------------------------------------------------------------------------
    def _create(self, request: CreatePayment) -> CreateReply:
        ledger = self.ledger
        with ledger.lock:
            fingerprint = (request.payment_reference, request.amount_vnd)
            seen = self._seen(request.request_id, "create", fingerprint)
            if isinstance(seen, CreateReply):  # a "create" request id only ever got one
                return seen
            if request.amount_vnd <= 0:
                return CreateReply(Result.INVALID_AMOUNT, request.payment_reference)
            if request.payment_reference in ledger.payments:
                return CreateReply(Result.DUPLICATE, request.payment_reference)
            payment_id = self._payment_id(ledger.next_number())
            payment = SimPayment(
                payment_id, request.payment_reference, request.amount_vnd, request.description,
                request.request_id, self.clock(),
            )  # fmt: skip
            ledger.payments[payment.payment_reference] = payment
            ledger.by_payment_id[payment_id] = payment
            reply = CreateReply(
                Result.OK, request.payment_reference, payment_id, f"{self.url}/pay/{payment_id}"
            )
            ledger.requests[request.request_id] = ("create", fingerprint, reply)
        if self.faults.callback_on_create and self.ipn_url:
            self._senders.submit(self.pay, request.payment_reference)
        return reply

    def _query(self, request: QueryPayment) -> QueryReply:
        with self.ledger.lock:
            payment = self.ledger.payments.get(request.payment_reference)
            if payment is None:
                return QueryReply(Result.NOT_FOUND, request.payment_reference)
            tx = payment.last_payment
            return QueryReply(
                Result.OK,
                payment.payment_reference,
                payment.status,
                payment.payment_id,
                tx.transaction_id if tx else None,
                tx.amount_vnd if tx else None,
                tx.occurred_at if tx else None,
            )

    def _refund(self, request: RefundPayment) -> RefundReply:
        ledger = self.ledger
        reference = request.payment_reference
        with ledger.lock:
            fingerprint = (reference, request.refund_reference, request.amount_vnd)
            seen = self._seen(request.request_id, "refund", fingerprint)
            if isinstance(seen, RefundReply):  # a "refund" request id only ever got one
                return seen
            payment = ledger.payments.get(reference)
            if payment is None:
                return RefundReply(Result.NOT_FOUND, reference, request.refund_reference)
            done = next(
                (r for r in payment.refunds if r.refund_reference == request.refund_reference), None
            )
            if done is not None:
                return RefundReply(
                    Result.OK,
                    reference,
                    request.refund_reference,
                    done.transaction_id,
                    done.amount_vnd,
                )
            if payment.status is Status.REFUNDED:
                return RefundReply(Result.ALREADY_REFUNDED, reference, request.refund_reference)
            paid = payment.last_payment
            if payment.status is not Status.PAID or paid is None:
                return RefundReply(Result.NOT_PAID, reference, request.refund_reference)
            if not 0 < request.amount_vnd <= paid.amount_vnd:
                return RefundReply(Result.INVALID_AMOUNT, reference, request.refund_reference)
            tx = self._new_transaction(request.amount_vnd)
            tx.refund_reference = request.refund_reference
            payment.refunds.append(tx)
            payment.status = Status.REFUNDED
            reply = RefundReply(
                Result.OK, reference, request.refund_reference, tx.transaction_id, tx.amount_vnd
            )
            ledger.requests[request.request_id] = ("refund", fingerprint, reply)
            return reply

    def _seen(
        self, request_id: str, operation: str, fingerprint: Fingerprint
    ) -> CreateReply | RefundReply | None:
        """The first reply to this request id (counted as a duplicate), or None if it is new;
        a request id reused for other content is refused."""
        known = self.ledger.requests.get(request_id)
        if known is None:
            return None
        self.ledger.duplicates[request_id] = self.ledger.duplicates.get(request_id, 0) + 1
        known_operation, known_fingerprint, reply = known
        if (known_operation, known_fingerprint) != (operation, fingerprint):
            reference = str(fingerprint[0])
            if operation == "create":
                return CreateReply(Result.DUPLICATE, reference)
            return RefundReply(Result.DUPLICATE, reference, str(fingerprint[1]))
        return reply

    async def _api(self, request: Request) -> Response:
        faults = self.faults
        path = request.url.path
        with self.ledger.lock:
            self.ledger.api_calls[path] = self.ledger.api_calls.get(path, 0) + 1
        if faults.api_latency_s:
            await asyncio.sleep(faults.api_latency_s)
        if faults.api_hang_next > 0:
            faults.api_hang_next -= 1
            await asyncio.sleep(faults.api_hang_s)
        if faults.api_fail_next > 0:
            faults.api_fail_next -= 1
            return JSONResponse(
                {"code": "99", "message": "injected failure"}, faults.api_fail_status
            )
        if faults.api_garble_next > 0:
            faults.api_garble_next -= 1
            return PlainTextResponse("<html>gateway error</html>", 200)
        try:
            raw = json.loads(await request.body())
            operation = self.dialect.operation_of(path, raw)
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"code": "98", "message": "malformed request"}, 400)
        try:
            message = self.dialect.decode(operation, raw)
        except BadSignature:
            return self._refusal(operation, raw, Result.BAD_SIGNATURE, 401)
        except InvalidMessage:
            return self._refusal(operation, raw, Result.INVALID_REQUEST, 400)
        if isinstance(message, CreatePayment):
            reply: CreateReply | QueryReply | RefundReply = self._create(message)
        elif isinstance(message, QueryPayment):
            reply = self._query(message)
        else:
            reply = self._refund(message)
        return JSONResponse(self.dialect.encode(reply))

    def _refusal(
        self, operation: type[ApiRequest], raw: JsonValue, result: Result, paygov_status: int
    ) -> JSONResponse:
        """paygov refuses with a 4xx; VNPAY answers 200 with the code (signed)."""
        if self.provider == "paygov":
            code = self.dialect.result_codes[result]
            return JSONResponse({"code": code, "message": result.value}, paygov_status)
        reference = str(raw.get("vnp_TxnRef", "-")) if isinstance(raw, dict) else "-"
        refund = str(raw.get("vnp_RefundRef", "-")) if isinstance(raw, dict) else "-"
        reply: CreateReply | QueryReply | RefundReply
        if operation is CreatePayment:
            reply = CreateReply(result, reference)
        elif operation is QueryPayment:
            reply = QueryReply(result, reference)
        else:
            reply = RefundReply(result, reference, refund)
        return JSONResponse(self.dialect.encode(reply))

    # -- the app -----------------------------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI(title=f"{self.provider} simulator", openapi_url=None, docs_url=None)
        paths = sorted(
            {self.dialect.api_path(t) for t in (CreatePayment, QueryPayment, RefundPayment)}
        )
        for path in paths:
            app.add_api_route(path, self._api, methods=["POST"])

        @app.get("/pay/{payment_id}", response_class=HTMLResponse)
        async def page(payment_id: str) -> HTMLResponse:
            payment = self.ledger.by_payment_id.get(payment_id)
            if payment is None:
                return HTMLResponse("<h1>Unknown payment</h1>", 404)
            reference = html.escape(payment.payment_reference)
            body = (
                f"<h1>{self.provider}: pay {payment.amount_vnd:,} VND</h1>"
                f"<p>{html.escape(payment.description)} ({reference}): {payment.status.value}</p>"
                f'<form method="post"><button name="action" value="pay">Pay</button>'
                f'<button name="action" value="cancel">Cancel</button></form>'
            )
            return HTMLResponse(body)

        @app.post("/pay/{payment_id}", response_class=HTMLResponse)
        async def pay(payment_id: str, request: Request) -> HTMLResponse:
            payment = self.ledger.by_payment_id.get(payment_id)
            if payment is None:
                return HTMLResponse("<h1>Unknown payment</h1>", 404)
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
            success = form.get("action", "pay") != "cancel"  # any card fields are ignored
            self._senders.submit(self.pay, payment.payment_reference, success=success)
            return HTMLResponse(f"<h1>{'Paid' if success else 'Cancelled'}</h1>")

        @app.get("/reconciliation/{day}")
        async def reconciliation(day: str) -> Response:
            try:
                when = date.fromisoformat(day)
            except ValueError:
                return PlainTextResponse("day must be yyyy-mm-dd", 400)
            return Response(self.reconciliation_csv(when), media_type="text/csv; charset=utf-8")

        return app


class PaygovSimulator(BankSimulator):
    """The national payment platform simulator (``paygov``)."""

    def __init__(self, config: BankConfig | None = None, **kwargs: Unpack[SimOptions]) -> None:
        super().__init__((config or BankConfig()).provider("paygov"), **kwargs)


class VnpaySimulator(BankSimulator):
    """The VNPAY simulator (``vnpay``)."""

    def __init__(self, config: BankConfig | None = None, **kwargs: Unpack[SimOptions]) -> None:
        super().__init__((config or BankConfig()).provider("vnpay"), **kwargs)
