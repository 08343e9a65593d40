"""The outbound side: a zeep client of VNPost's PostalService, and the outbox's PartnerClient.

``VnpostClient`` loads ``vnpost.wsdl`` from the repository, binds PostalBinding to the
configured address (``DVC_VNPOST_URL``), signs every call with a WS-Security UsernameToken
(PasswordDigest, fresh nonce and Created per call: ``zeep.wsse.username.UsernameToken`` with
``use_digest=True``) and sends it over a ``requests.Session`` with ``operation_timeout``.
zeep parses replies with DTDs, entities and external references forbidden.

Foreign errors become the outbox's ``CallFailed`` in one place (``_translated``)::

    SOAP Fault Client (ServiceError code in the reason)     Permanent  SOAP_CLIENT
    zeep ValidationError (our request breaks the schema)    Permanent  INVALID_REQUEST
    an HTTP 4xx without a Fault (but 408, 429)              Permanent  HTTP_4xx
    SOAP Fault Server, or one without a code                Transient  SOAP_SERVER
    a wsse: fault (our credentials or clock)                Transient  SOAP_SECURITY
    HTTP 5xx, 408, 429                                      Transient  HTTP_5xx ...
    timeout / connection refused or reset                   Transient  TIMEOUT / CONNECTION
    a reply that is not XML, not the schema, or carries
    a bad waybill                                           Transient  MALFORMED_REPLY

A security fault is transient on purpose: it means the hub's credentials or clock are wrong,
which an operator fixes; the citizen's order must wait for that, not be rejected. Reasons
never carry the reply's content (it may hold personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Final, NoReturn, Protocol, TypedDict

import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from connectors.outbox import Accepted, CallFailed, Command, EventDraft, Permanent, Transient
from connectors.vnpost._config import VnpostConfig
from connectors.vnpost._soap import TNS, fault_local_code
from connectors.vnpost._types import (
    DIRECTION,
    SERVICE_TYPE,
    Direction,
    OrderCancelled,
    OrderCreated,
    OrderRequest,
    Party,
    Tracking,
    TrackingEvent,
)
from connectors.vnpost._waybill import waybill_problem

log = logging.getLogger("connectors.vnpost")


def _no_envelopes(record: logging.LogRecord) -> bool:
    """zeep logs whole envelopes (names, phones, addresses) at DEBUG: never let them out."""
    return record.levelno > logging.DEBUG


logging.getLogger("zeep.transports").addFilter(_no_envelopes)

PARTNER: Final = "vnpost"
POSTAL_ORDER: Final = "POSTAL_ORDER"
POSTAL_CANCEL: Final = "POSTAL_CANCEL"
BINDING: Final = f"{{{TNS}}}PostalBinding"
#: VNPost's service -> the operation that creates its order (``SERVICE_TYPE`` of a direction).
OPERATION: Final[Mapping[str, str]] = {
    "PICKUP": "CreatePickupOrder",
    "DELIVERY": "CreateDeliveryOrder",
}


class PostalPort(Protocol):
    """The four operations of PostalService, raising ``Transient`` / ``Permanent``."""

    def create_order(self, order: OrderRequest, idempotency_key: str) -> OrderCreated: ...

    def cancel_order(
        self,
        direction: Direction,
        order_number: str,
        reason: str,
        idempotency_key: str,
        waybill_number: str | None = None,
    ) -> OrderCancelled: ...

    def track(self, waybill_number: str) -> Tracking: ...

    def close(self) -> None: ...


class VnpostClient:
    """VNPost's PostalService over zeep; also the outbox's ``PartnerClient`` for ``vnpost``.

    Thread-safe for the outbox's worker threads (zeep's client and the UsernameToken keep no
    per-call state; the requests session pools connections).
    """

    partner = PARTNER
    command_types = frozenset({POSTAL_ORDER, POSTAL_CANCEL})

    def __init__(
        self, config: VnpostConfig | None = None, *, session: requests.Session | None = None
    ) -> None:
        self.config = config or VnpostConfig()
        self._session = session or requests.Session()
        self._owns_session = session is None
        transport = Transport(  # type: ignore[no-untyped-call]
            session=self._session,
            timeout=self.config.operation_timeout_s,
            operation_timeout=self.config.operation_timeout_s,
        )
        settings = zeep.Settings(
            strict=True,
            xml_huge_tree=False,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        token = UsernameToken(  # type: ignore[no-untyped-call]
            self.config.username,
            self.config.password.get_secret_value(),
            use_digest=True,
            zulu_timestamp=True,
        )
        self._zeep = zeep.Client(  # type: ignore[no-untyped-call]
            str(self.config.wsdl_path), transport=transport, wsse=token, settings=settings
        )
        self._service = self._zeep.create_service(BINDING, self.config.url)  # type: ignore[no-untyped-call]

    # -- PostalService -----------------------------------------------------------------------
    def create_order(self, order: OrderRequest, idempotency_key: str) -> OrderCreated:
        operation = OPERATION[SERVICE_TYPE[order.direction]]
        with _translated(operation):
            reply = getattr(self._service, operation)(
                IdempotencyKey=idempotency_key,
                OrderNumber=order.order_number,
                Sender=_party(order.sender),
                Receiver=_party(order.receiver),
                CodAmount=order.cod_amount_vnd,
                Note=order.note,
            )
        waybill = _reply_waybill(operation, reply)
        created = OrderCreated(
            waybill_number=waybill,
            order_number=_reply_field(operation, reply, "OrderNumber", order.order_number),
            direction=order.direction,
            status=str(reply.Status),
            cod_amount_vnd=int(reply.CodAmount),
            created_at=_aware(operation, reply.CreatedAt),
            duplicate=bool(reply.Duplicate),
        )
        _reply_field(operation, reply, "ServiceType", SERVICE_TYPE[order.direction])
        log.info(
            "%s %s: waybill %s%s", operation, order.order_number, waybill,
            " (duplicate)" if created.duplicate else "",
        )  # fmt: skip
        return created

    def cancel_order(
        self,
        direction: Direction,
        order_number: str,
        reason: str,
        idempotency_key: str,
        waybill_number: str | None = None,
    ) -> OrderCancelled:
        with _translated("CancelOrder"):
            reply = self._service.CancelOrder(
                IdempotencyKey=idempotency_key,
                OrderNumber=order_number,
                ServiceType=SERVICE_TYPE[direction],
                WaybillNumber=waybill_number,
                Reason=reason,
            )
        waybill = _reply_waybill("CancelOrder", reply)
        log.info("CancelOrder %s: waybill %s cancelled", order_number, waybill)
        return OrderCancelled(
            waybill_number=waybill,
            order_number=_reply_field("CancelOrder", reply, "OrderNumber", order_number),
            status=str(reply.Status),
            cancelled_at=_aware("CancelOrder", reply.CancelledAt),
            duplicate=bool(reply.Duplicate),
        )

    def track(self, waybill_number: str) -> Tracking:
        with _translated("TrackOrder"):
            reply = self._service.TrackOrder(WaybillNumber=waybill_number)
        _reply_waybill("TrackOrder", reply)
        service_type = str(reply.ServiceType)
        if service_type not in DIRECTION:
            _malformed("TrackOrder", "the reply's ServiceType is unknown")
        events = tuple(
            TrackingEvent(
                status=str(e.Status),
                event_time=_aware("TrackOrder", e.EventTime),
                location=e.Location,
                note=e.Note,
            )
            for e in (reply.Event or ())
        )
        return Tracking(
            waybill_number=_reply_field("TrackOrder", reply, "WaybillNumber", waybill_number),
            order_number=str(reply.OrderNumber),
            direction=DIRECTION[service_type],
            status=str(reply.Status),
            events=events,
        )

    # -- PartnerClient -----------------------------------------------------------------------
    def call(self, command: Command, attempt: int) -> Accepted:
        if command.command_type == POSTAL_ORDER:
            try:
                order = OrderRequest.of_payload(command.payload)
            except (KeyError, TypeError, ValueError) as exc:
                raise Permanent("INVALID_COMMAND", f"PostalOrder payload: {exc}") from exc
            created = self.create_order(order, command.idempotency_key)
            payload = {
                "direction": order.direction,
                "order_number": order.order_number,
                "waybill_number": created.waybill_number,
                "cod_amount_vnd": order.cod_amount_vnd,
            }
            draft = EventDraft("PostalOrderCreated", payload, "VNPOST")
            return Accepted(reference=created.waybill_number, events=(draft,))
        if command.command_type == POSTAL_CANCEL:
            direction = str(command.payload.get("direction", "UNKNOWN"))
            if direction not in SERVICE_TYPE:
                raise Permanent("INVALID_COMMAND", f"PostalCancel direction {direction}")
            cancelled = self.cancel_order(
                direction,  # type: ignore[arg-type]
                str(command.payload["order_number"]),
                str(command.payload.get("reason") or "cancelled by the agency"),
                command.idempotency_key,
            )
            return Accepted(reference=cancelled.waybill_number)
        raise Permanent("UNSUPPORTED_COMMAND", f"vnpost does not handle {command.command_type}")

    def failure_events(
        self, command: Command, error: CallFailed, attempts: int, will_retry: bool
    ) -> tuple[EventDraft, ...]:
        return ()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()


# -- translation, in one place -----------------------------------------------------------------
@contextmanager
def _translated(operation: str) -> Iterator[None]:
    """Turn zeep's and requests' exceptions into ``Transient`` / ``Permanent``."""
    try:
        yield
    except zeep.exceptions.Fault as exc:
        raise _fault(operation, exc) from exc
    except zeep.exceptions.ValidationError as exc:
        raise Permanent("INVALID_REQUEST", f"{operation}: {exc.message}") from exc
    except zeep.exceptions.TransportError as exc:
        raise _transport(operation, exc) from exc
    except (
        zeep.exceptions.XMLSyntaxError,
        zeep.exceptions.XMLParseError,
        zeep.exceptions.UnexpectedElementError,
        zeep.exceptions.DTDForbidden,
        zeep.exceptions.EntitiesForbidden,
        zeep.exceptions.ExternalReferenceForbidden,
    ) as exc:
        raise Transient("MALFORMED_REPLY", f"{operation}: {type(exc).__name__}") from exc
    except requests.Timeout as exc:
        raise Transient("TIMEOUT", f"{operation}: no reply in time") from exc
    except requests.ConnectionError as exc:
        raise Transient("CONNECTION", f"{operation}: {type(exc).__name__}") from exc
    except requests.RequestException as exc:
        raise Transient("HTTP_ERROR", f"{operation}: {type(exc).__name__}") from exc
    except zeep.exceptions.Error as exc:
        raise Transient("SOAP_ERROR", f"{operation}: {type(exc).__name__}") from exc


def _fault(operation: str, exc: zeep.exceptions.Fault) -> CallFailed:
    code = fault_local_code(exc.code)
    error_code = _detail_code(exc.detail)
    reason = f"{operation}: {error_code or code or 'fault'}: {exc.message}"
    if code == "Client":
        return Permanent("SOAP_CLIENT", reason)
    if code.startswith("wsse:"):
        return Transient("SOAP_SECURITY", reason)
    return Transient("SOAP_SERVER", reason)


def _detail_code(detail: object) -> str | None:
    """The ServiceError code of a fault's detail (an lxml element, when there is one)."""
    if detail is None or not hasattr(detail, "find"):
        return None
    found = detail.find(f"{{{TNS}}}ServiceError/{{{TNS}}}Code")
    return None if found is None or not found.text else str(found.text).strip()


def _transport(operation: str, exc: zeep.exceptions.TransportError) -> CallFailed:
    status = int(exc.status_code or 0)
    if exc.content is not None and status < 400:
        return Transient("MALFORMED_REPLY", f"{operation}: the reply is not XML")
    if status >= 500 or status in (408, 429) or status == 0:
        return Transient(f"HTTP_{status}", f"{operation}: HTTP {status}")
    return Permanent(f"HTTP_{status}", f"{operation}: HTTP {status}")


def _malformed(operation: str, why: str) -> NoReturn:
    raise Transient("MALFORMED_REPLY", f"{operation}: {why}")


def _reply_waybill(operation: str, reply: object) -> str:
    value = getattr(reply, "WaybillNumber", None)
    problem = waybill_problem(value)
    if problem is not None:
        _malformed(operation, f"the reply's WaybillNumber is invalid: {problem}")
    return str(value)


def _reply_field(operation: str, reply: object, name: str, expected: str) -> str:
    value = getattr(reply, name, None)
    if value != expected:
        _malformed(operation, f"the reply's {name} is not the request's")
    return str(value)


def _aware(operation: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        _malformed(operation, "a reply time has no time-zone offset")
    return value


class _SoapAddress(TypedDict):
    Line: str
    Ward: str | None
    District: str | None
    Province: str


class _SoapParty(TypedDict):
    """A ``Party`` of the WSDL, as zeep takes it."""

    Name: str
    Address: _SoapAddress
    Phone: str
    Email: str | None


def _party(party: Party) -> _SoapParty:
    return {
        "Name": party.name,
        "Address": {
            "Line": party.address.line,
            "Ward": party.address.ward,
            "District": party.address.district,
            "Province": party.address.province,
        },
        "Phone": party.phone,
        "Email": party.email,
    }
