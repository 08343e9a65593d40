"""The VNPost simulator's ledger of orders and its callbacks to the hub (``deliver``, ``resend``,
``out_of_order``, ``advance``/``advance_all``): ``SimulatorCallbacks``, a part of
``VnpostSimulator`` (``_simulator``), which owns the orders, the lock and the HTTP client."""

from __future__ import annotations

import ssl
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import httpx
from lxml import etree

from connectors.common import Backoff
from connectors.vnpost._soap import (
    CONTENT_TYPE,
    ParsedFault,
    element,
    envelope,
    optional,
    read_fault,
)
from connectors.vnpost._wsse import security_header

#: The path each kind of order travels (after REGISTERED, which creation sets).
PATHS: Final = {
    "PICKUP": ("COLLECTING", "COLLECTED", "IN_TRANSIT", "DELIVERED_TO_AGENCY"),
    "DELIVERY": ("COLLECTED", "IN_TRANSIT", "DELIVERED_TO_CITIZEN"),
}
FINAL: Final = frozenset({"DELIVERED_TO_AGENCY", "DELIVERED_TO_CITIZEN", "RETURNED", "CANCELLED"})
#: How long a callback is sent again while the hub cannot take it (no answer, a 5xx without a
#: SOAP fault, a Server fault: "retry"), as a partner does; a Client fault is final.
CALLBACK_RETRY_FOR_S: Final = 180.0
#: The pause before the first retry; it doubles up to ``CALLBACK_BACKOFF_MAX_S``.
CALLBACK_BACKOFF_S: Final = 0.5
CALLBACK_BACKOFF_MAX_S: Final = 5.0


def _wall() -> datetime:
    return datetime.now(UTC)


@dataclass
class SimOrder:
    waybill_number: str
    order_number: str
    service_type: str
    cod_amount_vnd: int
    idempotency_key: str
    created_at: datetime
    status: str = "REGISTERED"
    #: (status, event time, location, note), oldest first.
    history: list[tuple[str, datetime, str | None, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the simulator saw it (no personal data kept)."""

    operation: str
    idempotency_key: str | None
    order_number: str | None
    #: created / duplicate / cancelled / tracked / fault:<code> / refused:<outcome>
    outcome: str
    received_at: datetime


@dataclass(frozen=True)
class CallbackResult:
    """What the hub answered to one callback."""

    http_status: int
    result: str | None
    fault: ParsedFault | None

    @property
    def accepted(self) -> bool:
        return self.result in ("ACCEPTED", "DUPLICATE")


@dataclass(frozen=True)
class SentCallback:
    callback_id: str
    waybill_number: str
    order_number: str
    service_type: str
    status: str
    event_time: datetime
    location: str | None
    note: str | None
    body: bytes
    result: CallbackResult
    #: sends it took (more than one: the hub could not take it at first)
    attempts: int = 1


class SimulatorCallbacks:
    """Orders moved along their path, each move notified to ``callback_url`` (NotifyStatus,
    WS-Security UsernameToken), and what the hub answered."""

    callback_url: str | None
    callback_username: str
    callback_password: str
    #: Added to the Created of the callbacks' UsernameTokens (negative: an old token).
    callback_clock_offset_s: float
    duplicate_callbacks: bool
    #: How long a callback the hub cannot take is sent again (0: sent once).
    callback_retry_for_s: float
    #: The postal clock: when the orders' statuses happen (their history and the callbacks'
    #: EventTime), wall time unless given (``dvchub simulate`` gives its simulated time). The
    #: callbacks' UsernameToken Created stays on wall time: the hub judges its freshness.
    clock: Callable[[], datetime]
    callbacks: list[SentCallback]
    _orders: dict[str, SimOrder]
    _lock: threading.RLock
    _http: httpx.Client

    def _init_callbacks(
        self,
        url: str | None,
        username: str,
        password: str,
        tls: ssl.SSLContext | None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.callback_url = url
        self.clock = clock or _wall
        self.callback_username = username
        self.callback_password = password
        self.callback_clock_offset_s = 0.0
        self.duplicate_callbacks = False
        self.callback_retry_for_s = CALLBACK_RETRY_FOR_S
        self.callbacks = []
        self._orders = {}
        self._lock = threading.RLock()
        # tls: how the callbacks' client trusts the hub (and, for mutual TLS, presents
        # VNPost's certificate); None: the system's CAs.
        self._http = httpx.Client(timeout=30.0, verify=True if tls is None else tls)

    @property
    def orders(self) -> list[SimOrder]:
        with self._lock:
            return list(self._orders.values())

    def order(self, waybill_number: str) -> SimOrder:
        with self._lock:
            return self._orders[waybill_number]

    # -- callbacks to the hub ----------------------------------------------------------------
    def move(
        self,
        waybill_number: str,
        status: str,
        *,
        event_time: datetime | None = None,
        location: str | None = None,
        note: str | None = None,
    ) -> SimOrder | None:
        """Record a status of an order without notifying anyone; None for an unknown waybill.

        The order's current status becomes ``status`` unless an event later than
        ``event_time`` is already recorded (an out-of-order notification).
        """
        moment = event_time or self.clock().replace(microsecond=0)
        with self._lock:
            order = self._orders.get(waybill_number)
            if order is not None:
                if order.history[-1][1] <= moment:
                    order.status = status
                order.history.append((status, moment, location, note))
                order.history.sort(key=lambda entry: entry[1])
        return order

    def deliver(
        self,
        waybill_number: str,
        status: str,
        *,
        event_time: datetime | None = None,
        location: str | None = "Bưu cục trung tâm",
        note: str | None = None,
        callback_id: str | None = None,
        order_number: str | None = None,
        service_type: str | None = None,
    ) -> CallbackResult:
        """Set the order's status (recording it) and notify the hub; the hub's answer.

        An unknown waybill is allowed with ``order_number`` (a callback about an order this
        simulator never created, e.g. a bad waybill).
        """
        moment = event_time or self.clock().replace(microsecond=0)
        order = self.move(waybill_number, status, event_time=moment, location=location, note=note)
        number = order_number or (order.order_number if order else None)
        if number is None:
            raise KeyError(f"no order {waybill_number}; pass order_number")
        service_type = service_type or (order.service_type if order else "DELIVERY")
        sent = self._send_callback(
            callback_id or str(uuid.uuid4()), waybill_number, number, service_type, status,
            moment, location, note,
        )  # fmt: skip
        if self.duplicate_callbacks:
            self.resend(sent)
        return sent.result

    def _send_callback(
        self,
        callback_id: str,
        waybill: str,
        order_number: str,
        service_type: str,
        status: str,
        event_time: datetime,
        location: str | None,
        note: str | None,
    ) -> SentCallback:
        payload = element(
            "NotifyStatusRequest",
            element("CallbackId", text=callback_id),
            element("WaybillNumber", text=waybill),
            element("OrderNumber", text=order_number),
            element("ServiceType", text=service_type),
            element("Status", text=status),
            element("EventTime", text=event_time.isoformat()),
            optional("Location", location),
            optional("Note", note),
        )
        body, result, attempts = self._post_until_taken(payload)
        sent = SentCallback(
            callback_id, waybill, order_number, service_type, status, event_time, location,
            note, body, result, attempts,
        )  # fmt: skip
        with self._lock:
            self.callbacks.append(sent)
        return sent

    def _security(self) -> etree._Element:
        created = datetime.now(UTC) + timedelta(seconds=self.callback_clock_offset_s)
        return security_header(self.callback_username, self.callback_password, created=created)

    def _post_until_taken(self, payload: etree._Element) -> tuple[bytes, CallbackResult, int]:
        """Post ``payload`` signed afresh each time (a UsernameToken's nonce is used once) until
        the hub takes it or gives a final answer, for ``callback_retry_for_s``: the last body,
        the hub's answer and the sends it took. No answer after that raises ``httpx``'s
        error."""
        backoff = Backoff(self.callback_retry_for_s, CALLBACK_BACKOFF_S, CALLBACK_BACKOFF_MAX_S)
        attempts = 0
        while True:
            attempts += 1
            body = envelope(payload, [self._security()])
            try:
                result = self._post(body)
            except httpx.TransportError:  # refused, reset, timed out: the hub is not there
                if not backoff.wait():
                    raise
            else:
                if not _retried(result) or not backoff.wait():
                    return body, result, attempts

    def _post(self, body: bytes) -> CallbackResult:
        if self.callback_url is None:
            raise RuntimeError("the simulator has no callback_url")
        headers = {
            "Content-Type": CONTENT_TYPE,
            "SOAPAction": '"urn:vn:vnpost:dvc:postal:v1#NotifyStatus"',
        }
        answer = self._http.post(self.callback_url, content=body, headers=headers)
        fault = read_fault(answer.content)
        result = None
        if fault is None and answer.status_code == 200:
            root = etree.fromstring(answer.content)
            found = root.find(".//{*}Result")
            result = None if found is None else found.text
        return CallbackResult(answer.status_code, result, fault)

    def resend(self, sent: SentCallback, *, replay: bool = False) -> CallbackResult:
        """Send ``sent`` again: re-signed (a partner's retry) or, with ``replay``, byte for byte."""
        if replay:  # sent once: what the hub answers to the very bytes is the point
            return self._post(sent.body)
        again = self._send_callback(
            sent.callback_id, sent.waybill_number, sent.order_number, sent.service_type,
            sent.status, sent.event_time, sent.location, sent.note,
        )  # fmt: skip
        return again.result

    def out_of_order(
        self, waybill_number: str, statuses: Iterable[str], *, start: datetime | None = None
    ) -> list[CallbackResult]:
        """Statuses a minute apart from ``start`` (default: a second after the order's latest
        event), notified newest first."""
        if start is None:
            start = self.order(waybill_number).history[-1][1] + timedelta(seconds=1)
        begin = start
        timed = [(s, begin + timedelta(minutes=i)) for i, s in enumerate(statuses)]
        return [self.deliver(waybill_number, s, event_time=t) for s, t in reversed(timed)]

    def advance(self, waybill_number: str) -> CallbackResult | None:
        """Move an order one step along its path and notify; None when it is at its end."""
        order = self.order(waybill_number)
        path = PATHS[order.service_type]
        if order.status in FINAL or order.status not in ("REGISTERED", *path):
            return None
        position = -1 if order.status == "REGISTERED" else path.index(order.status)
        if position + 1 >= len(path):
            return None
        return self.deliver(waybill_number, path[position + 1])

    def advance_all(self, *, until_final: bool = False) -> list[CallbackResult]:
        """Every open order one step (or, ``until_final``, to the end of its path)."""
        results: list[CallbackResult] = []
        for order in self.orders:
            while (result := self.advance(order.waybill_number)) is not None:
                results.append(result)
                if not until_final:
                    break
        return results

    def iter_callbacks(self, status: str | None = None) -> Iterator[SentCallback]:
        with self._lock:
            return iter([c for c in self.callbacks if status is None or c.status == status])


def _retried(result: CallbackResult) -> bool:
    """Whether a partner sends the callback again: the hub could not take it (a Server fault,
    "retry"; a 5xx from something in front of it), not that it refused it (a Client fault)."""
    if result.fault is not None:
        return result.fault.code.rpartition(":")[2] == "Server"
    return result.http_status >= 500
