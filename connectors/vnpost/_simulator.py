"""A VNPost simulator: a real SOAP 1.1 server speaking ``vnpost.wsdl``, run by uvicorn in a thread.

It keeps a ledger: every request it received (operation, idempotency key, outcome), the orders
it created (valid S10 waybills) with their status history. The same IdempotencyKey gets the
same answer (same waybill, ``Duplicate`` true) and is counted as a duplicate, so tests prove
"nothing doubled on the partner side". It verifies the hub's UsernameToken like the real
service would (digest, replay window, nonces).

Faults are switched on per request (``inject(kind, count)``, consumed in order) or globally
(``latency_s``)::

    server_error   HTTP 500 with a SOAP Server fault, nothing done
    unavailable    HTTP 503 with an HTML page, nothing done
    timeout        the order is processed, the reply comes after ``timeout_sleep_s``
    malformed      the order is processed, the reply is not XML
    bad_waybill    the order is processed, the reply's waybill has a wrong check digit

Callbacks: ``deliver(waybill, status)`` moves an order and sends a signed NotifyStatus to
``callback_url``; ``resend`` sends a callback again (a duplicate: same CallbackId, a fresh
UsernameToken; or with ``replay=True`` the identical bytes, nonce included), ``out_of_order``
sends statuses newest first, ``advance``/``advance_all`` drive orders along their path for the
demo. ``duplicate_callbacks = True`` sends every callback twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Literal

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.common import RequestRefused, SimulatorServer, read_capped
from connectors.vnpost._config import DEV_CALLBACK_USERS, DEV_PASSWORD
from connectors.vnpost._sim_callbacks import ReceivedRequest, SimOrder, SimulatorCallbacks
from connectors.vnpost._soap import (
    CONTENT_TYPE,
    Envelope,
    SoapFault,
    client_fault,
    element,
    envelope,
    fault_envelope,
    optional,
    parse_envelope,
    required_text,
    text,
    validate,
    wsdl_document,
)
from connectors.vnpost._waybill import new_waybill
from connectors.vnpost._wsse import UsernameTokenVerifier

log = logging.getLogger("connectors.vnpost.simulator")

FaultKind = Literal["server_error", "unavailable", "timeout", "malformed", "bad_waybill"]
FAULT_KINDS: Final = ("server_error", "unavailable", "timeout", "malformed", "bad_waybill")
CANCELLABLE: Final = frozenset({"REGISTERED", "COLLECTING"})
SERVICE_LETTERS: Final = {"PICKUP": "EP", "DELIVERY": "ED"}
DEV_CALLBACK_USER, _, DEV_CALLBACK_PASSWORD = DEV_CALLBACK_USERS.partition(":")


class VnpostSimulator(SimulatorCallbacks, SimulatorServer):
    """The simulated PostalService; ``start()`` serves it on a free loopback port."""

    def __init__(
        self,
        *,
        username: str = "dvchub",
        password: str = DEV_PASSWORD,
        callback_url: str | None = None,
        callback_username: str = DEV_CALLBACK_USER,
        callback_password: str = DEV_CALLBACK_PASSWORD,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout_sleep_s: float = 3.0,
        first_serial: int = 10_000_000,
        callback_tls: ssl.SSLContext | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._init_callbacks(
            callback_url, callback_username, callback_password, callback_tls, clock
        )
        self.latency_s = 0.0
        self.timeout_sleep_s = timeout_sleep_s
        self.requests: list[ReceivedRequest] = []
        self._verifier = UsernameTokenVerifier({username: (password,)})
        self._by_key: dict[str, tuple[str, str, str]] = {}  # key -> (operation, digest, waybill)
        self._faults: deque[FaultKind] = deque()
        self._serials = itertools.count(first_serial)
        self.app = Starlette(
            routes=[Route("/vnpost/soap", self._endpoint, methods=["GET", "POST"])]
        )
        self._serve(self.app, name="vnpost-sim", host=host, port=port,
                    timeout_graceful_shutdown=1)  # fmt: skip

    # -- running -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The PostalService endpoint (``DVC_VNPOST_URL``)."""
        return f"{self.base_url}/vnpost/soap"

    @property
    def wsdl_url(self) -> str:
        return f"{self.url}?wsdl"

    def _closed(self) -> None:
        self._http.close()

    # -- faults ------------------------------------------------------------------------------
    def inject(self, kind: FaultKind, count: int = 1) -> None:
        """The next ``count`` requests fail with ``kind`` (queued after earlier injections)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.extend([kind] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
        self.latency_s = 0.0

    # -- ledger ------------------------------------------------------------------------------
    def count(self, operation: str | None = None, outcome: str | None = None) -> int:
        """Requests received, by operation and/or outcome (``created``, ``duplicate`` ...)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (operation is None or r.operation == operation)
                and (outcome is None or r.outcome == outcome)
            )

    @property
    def orders_created(self) -> int:
        return self.count(outcome="created")

    @property
    def duplicates(self) -> int:
        return self.count(outcome="duplicate")

    # -- the SOAP endpoint -------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" not in {k.lower() for k in request.query_params}:
                return Response("GET ?wsdl for the WSDL", status_code=404)
            document = wsdl_document(self.url, service="PostalService")
            return Response(document, media_type=CONTENT_TYPE)
        operation = "unknown"
        try:
            body = await read_capped(request, 256 * 1024)
            parsed = parse_envelope(body)
            operation = parsed.operation
            self._verifier.verify(parsed.header)
        except RequestRefused as exc:
            fault = SoapFault("Client", exc.detail, outcome="too_large", http_status=exc.status)
            return self._refused(operation, fault)
        except SoapFault as fault:
            return self._refused(operation, fault)
        if self.latency_s:
            await self._sleep(self.latency_s)
        with self._lock:
            injected = self._faults.popleft() if self._faults else None
        if injected == "server_error":
            outage = SoapFault("Server", "simulated outage: try again later", outcome="injected")
            return self._refused(operation, outage)
        if injected == "unavailable":
            self._record(operation, None, None, "fault:unavailable")
            return Response("<html><body>503 Service Unavailable</body>", 503,
                            media_type="text/html")  # fmt: skip
        try:
            reply = self._handle(parsed, bad_waybill=injected == "bad_waybill")
        except SoapFault as fault:
            return self._refused(operation, fault)
        if injected == "timeout":
            await self._sleep(self.timeout_sleep_s)
        if injected == "malformed":
            return Response(b"<soap:Envelope><unclosed", 200, media_type=CONTENT_TYPE)
        return Response(reply, 200, media_type=CONTENT_TYPE)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but not past a shutdown (uvicorn would cancel the request noisily)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stopping:
            await asyncio.sleep(min(0.05, max(deadline - time.monotonic(), 0)))

    def _refused(self, operation: str, fault: SoapFault) -> Response:
        kind = "refused" if fault.code.startswith("wsse:") or fault.http_status != 500 else "fault"
        self._record(operation, None, None, f"{kind}:{fault.error_code}")
        return Response(fault_envelope(fault), fault.http_status, media_type=CONTENT_TYPE)

    def _record(
        self, operation: str, key: str | None, order_number: str | None, outcome: str
    ) -> None:
        with self._lock:
            self.requests.append(
                ReceivedRequest(operation, key, order_number, outcome, datetime.now(UTC))
            )

    def _handle(self, parsed: Envelope, *, bad_waybill: bool) -> bytes:
        payload = parsed.payload
        operation = parsed.operation
        handlers = {
            "CreatePickupOrder": lambda: self._create(payload, "PICKUP", operation),
            "CreateDeliveryOrder": lambda: self._create(payload, "DELIVERY", operation),
            "CancelOrder": lambda: self._cancel(payload),
            "TrackOrder": lambda: self._track(payload),
        }
        handler = handlers.get(operation)
        if handler is None:
            raise client_fault(
                f"no operation {operation} in PostalService", error_code="UNKNOWN_OPERATION"
            )
        validate(payload)
        reply = handler()
        if bad_waybill:
            node = reply.find(".//{*}WaybillNumber")
            if node is not None and node.text:
                wrong = (int(node.text[10]) + 1) % 10
                node.text = f"{node.text[:10]}{wrong}{node.text[11:]}"
        return envelope(reply)

    def _idempotent(self, operation: str, payload: etree._Element) -> tuple[str, str, str | None]:
        """(key, digest, waybill of an earlier request with this key or None)."""
        key = required_text(payload, "IdempotencyKey")
        without_key = [c for c in payload if etree.QName(c).localname != "IdempotencyKey"]
        digest = hashlib.sha256(b"".join(etree.tostring(c, method="c14n") for c in without_key))
        seen = self._by_key.get(key)
        if seen is None:
            return key, digest.hexdigest(), None
        if seen[0] != operation or seen[1] != digest.hexdigest():
            raise client_fault(
                f"IdempotencyKey {key} was used for another request",
                error_code="IDEMPOTENCY_CONFLICT",
            )
        return key, seen[1], seen[2]

    def _create(self, payload: etree._Element, service_type: str, operation: str) -> etree._Element:
        order_number = required_text(payload, "OrderNumber")
        with self._lock:
            key, digest, earlier = self._idempotent(operation, payload)
            if earlier is not None:
                order = self._orders[earlier]
                self._record(operation, key, order_number, "duplicate")
                return _order_reply(operation, order, duplicate=True)
            waybill = new_waybill(next(self._serials), SERVICE_LETTERS[service_type])
            now = self.clock().replace(microsecond=0)
            order = SimOrder(
                waybill_number=waybill,
                order_number=order_number,
                service_type=service_type,
                cod_amount_vnd=int(text(payload, "CodAmount") or 0),
                idempotency_key=key,
                created_at=now,
            )
            order.history.append(("REGISTERED", now, "Bưu cục tiếp nhận", None))
            self._orders[waybill] = order
            self._by_key[key] = (operation, digest, waybill)
            self._record(operation, key, order_number, "created")
            return _order_reply(operation, order, duplicate=False)

    def _cancel(self, payload: etree._Element) -> etree._Element:
        order_number = required_text(payload, "OrderNumber")
        service_type = required_text(payload, "ServiceType")
        waybill = text(payload, "WaybillNumber")
        with self._lock:
            key, digest, earlier = self._idempotent("CancelOrder", payload)
            if earlier is not None:
                self._record("CancelOrder", key, order_number, "duplicate")
                return _cancel_reply(self._orders[earlier], duplicate=True)
            candidates = [
                o
                for o in self._orders.values()
                if o.order_number == order_number
                and o.service_type == service_type
                and (waybill is None or o.waybill_number == waybill)
            ]
            live = [o for o in candidates if o.status != "CANCELLED"]
            if not live:
                raise client_fault(
                    f"no {service_type} order {order_number} to cancel", error_code="UNKNOWN_ORDER"
                )
            order = live[-1]
            if order.status not in CANCELLABLE:
                raise client_fault(
                    f"order {order.waybill_number} is {order.status}; only orders not yet "
                    "collected can be cancelled",
                    error_code="NOT_CANCELLABLE",
                )
            now = self.clock().replace(microsecond=0)
            order.status = "CANCELLED"
            order.history.append(("CANCELLED", now, None, text(payload, "Reason")))
            self._by_key[key] = ("CancelOrder", digest, order.waybill_number)
            self._record("CancelOrder", key, order_number, "cancelled")
            return _cancel_reply(order, duplicate=False)

    def _track(self, payload: etree._Element) -> etree._Element:
        waybill = required_text(payload, "WaybillNumber")
        with self._lock:
            order = self._orders.get(waybill)
            if order is None:
                raise client_fault(f"no order with waybill {waybill}", error_code="UNKNOWN_ORDER")
            self._record("TrackOrder", None, order.order_number, "tracked")
            events = [
                element(
                    "Event",
                    element("Status", text=status),
                    element("EventTime", text=at.isoformat()),
                    optional("Location", location),
                    optional("Note", note),
                )
                for status, at, location, note in order.history
            ]
            return element(
                "TrackOrderResponse",
                element("WaybillNumber", text=order.waybill_number),
                element("OrderNumber", text=order.order_number),
                element("ServiceType", text=order.service_type),
                element("Status", text=order.status),
                *events,
            )


def _order_reply(operation: str, order: SimOrder, *, duplicate: bool) -> etree._Element:
    return element(
        f"{operation}Response",
        element("WaybillNumber", text=order.waybill_number),
        element("OrderNumber", text=order.order_number),
        element("ServiceType", text=order.service_type),
        element("Status", text=order.history[0][0] if not duplicate else order.status),
        element("CodAmount", text=str(order.cod_amount_vnd)),
        element("CreatedAt", text=order.created_at.isoformat()),
        element("Duplicate", text="true" if duplicate else "false"),
    )


def _cancel_reply(order: SimOrder, *, duplicate: bool) -> etree._Element:
    cancelled_at = next(at for status, at, _, _ in reversed(order.history) if status == "CANCELLED")
    return element(
        "CancelOrderResponse",
        element("WaybillNumber", text=order.waybill_number),
        element("OrderNumber", text=order.order_number),
        element("Status", text="CANCELLED"),
        element("CancelledAt", text=cancelled_at.isoformat()),
        element("Duplicate", text="true" if duplicate else "false"),
    )
