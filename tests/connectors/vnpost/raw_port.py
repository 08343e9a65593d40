"""A second PostalPort for the contract: envelopes built with lxml, sent with httpx, no zeep.

It proves the simulator speaks the WSDL to more than zeep, and that the contract's behaviour
is the service's, not an artefact of one client library.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

import httpx
from lxml import etree

from connectors.outbox import Permanent, Transient
from connectors.vnpost import (
    OrderCancelled,
    OrderCreated,
    OrderRequest,
    Party,
    Tracking,
    TrackingEvent,
    read_fault,
    security_header,
    waybill_problem,
)
from connectors.vnpost._soap import CONTENT_TYPE, SOAP_ENV, element, envelope, optional, text
from connectors.vnpost._types import DIRECTION, SERVICE_TYPE, Direction

OPERATION = {"INTAKE_PICKUP": "CreatePickupOrder", "RESULT_DELIVERY": "CreateDeliveryOrder"}


def _party(name: str, party: Party) -> etree._Element:
    address = party.address
    return element(
        name,
        element("Name", text=party.name),
        element(
            "Address",
            element("Line", text=address.line),
            optional("Ward", address.ward),
            optional("District", address.district),
            element("Province", text=address.province),
        ),
        element("Phone", text=party.phone),
        optional("Email", party.email),
    )


class RawSoapPort:
    def __init__(self, url: str, username: str, password: str, *, timeout_s: float) -> None:
        self.url = url
        self.username = username
        self.password = password
        self._http = httpx.Client(timeout=timeout_s)

    def _call(self, operation: str, payload: etree._Element) -> etree._Element:
        body = envelope(payload, [security_header(self.username, self.password)])
        headers = {
            "Content-Type": CONTENT_TYPE,
            "SOAPAction": f'"urn:vn:vnpost:dvc:postal:v1#{operation}"',
        }
        try:
            answer = self._http.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise Transient("TIMEOUT", f"{operation}: no reply in time") from exc
        except httpx.TransportError as exc:
            raise Transient("CONNECTION", f"{operation}: {type(exc).__name__}") from exc
        fault = read_fault(answer.content)
        if fault is not None:
            reason = f"{operation}: {fault.error_code}: {fault.message}"
            if fault.code.endswith(":Client"):
                raise Permanent("SOAP_CLIENT", reason)
            if fault.code.startswith("wsse:"):
                raise Transient("SOAP_SECURITY", reason)
            raise Transient("SOAP_SERVER", reason)
        if answer.status_code != 200:
            raise Transient(f"HTTP_{answer.status_code}", f"{operation}: HTTP {answer.status_code}")
        try:
            root = etree.fromstring(answer.content)
        except etree.XMLSyntaxError as exc:
            raise Transient("MALFORMED_REPLY", f"{operation}: the reply is not XML") from exc
        reply = root.find(f"{{{SOAP_ENV}}}Body/*")
        if reply is None:
            _malformed(operation, "empty body")
        problem = waybill_problem(text(reply, "WaybillNumber"))
        if problem is not None:
            _malformed(operation, f"the reply's WaybillNumber is invalid: {problem}")
        return reply

    def create_order(self, order: OrderRequest, idempotency_key: str) -> OrderCreated:
        operation = OPERATION[order.direction]
        reply = self._call(
            operation,
            element(
                f"{operation}Request",
                element("IdempotencyKey", text=idempotency_key),
                element("OrderNumber", text=order.order_number),
                _party("Sender", order.sender),
                _party("Receiver", order.receiver),
                element("CodAmount", text=str(order.cod_amount_vnd)),
                optional("Note", order.note),
            ),
        )
        return OrderCreated(
            waybill_number=str(text(reply, "WaybillNumber")),
            order_number=str(text(reply, "OrderNumber")),
            direction=DIRECTION[str(text(reply, "ServiceType"))],
            status=str(text(reply, "Status")),
            cod_amount_vnd=int(text(reply, "CodAmount") or 0),
            created_at=datetime.fromisoformat(str(text(reply, "CreatedAt"))),
            duplicate=text(reply, "Duplicate") == "true",
        )

    def cancel_order(
        self,
        direction: Direction,
        order_number: str,
        reason: str,
        idempotency_key: str,
        waybill_number: str | None = None,
    ) -> OrderCancelled:
        reply = self._call(
            "CancelOrder",
            element(
                "CancelOrderRequest",
                element("IdempotencyKey", text=idempotency_key),
                element("OrderNumber", text=order_number),
                element("ServiceType", text=SERVICE_TYPE[direction]),
                optional("WaybillNumber", waybill_number),
                element("Reason", text=reason),
            ),
        )
        return OrderCancelled(
            waybill_number=str(text(reply, "WaybillNumber")),
            order_number=str(text(reply, "OrderNumber")),
            status=str(text(reply, "Status")),
            cancelled_at=datetime.fromisoformat(str(text(reply, "CancelledAt"))),
            duplicate=text(reply, "Duplicate") == "true",
        )

    def track(self, waybill_number: str) -> Tracking:
        reply = self._call(
            "TrackOrder",
            element("TrackOrderRequest", element("WaybillNumber", text=waybill_number)),
        )
        events = tuple(
            TrackingEvent(
                status=str(text(e, "Status")),
                event_time=datetime.fromisoformat(str(text(e, "EventTime"))),
                location=text(e, "Location"),
                note=text(e, "Note"),
            )
            for e in reply.iterfind("{urn:vn:vnpost:dvc:postal:v1}Event")
        )
        return Tracking(
            waybill_number=str(text(reply, "WaybillNumber")),
            order_number=str(text(reply, "OrderNumber")),
            direction=DIRECTION[str(text(reply, "ServiceType"))],
            status=str(text(reply, "Status")),
            events=events,
        )

    def close(self) -> None:
        self._http.close()


def _malformed(operation: str, why: str) -> NoReturn:
    raise Transient("MALFORMED_REPLY", f"{operation}: {why}")
