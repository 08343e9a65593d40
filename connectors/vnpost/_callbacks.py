"""A NotifyStatus callback: read (after the schema passed), checked, mapped to dossier events.

The dossier is the order number (the hub creates orders with the dossier number); the app
has checked that the hub created an order with this waybill and this order number
(``_orders``). Direction comes from the callback's ServiceType, and a status only one kind of
order reaches must agree with it (DELIVERED_TO_AGENCY is a pickup's, DELIVERED_TO_CITIZEN a
delivery's). ``occurred_at`` is the callback's EventTime, so a callback that arrives out of
order (an older EventTime after a newer one) is still recorded as its own fact at its own time:
the log keeps every fact, and folds order them by occurred_at where it matters.

Event ids are uuid5 of waybill, status and callback id: a resent callback gives the same ids,
so even a duplicate that got past the connector's dedupe is dropped downstream. A delivery to
the citizen of a result delivery is also a ``ResultReturned`` (return channel POSTAL).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from lxml import etree

from connectors.common import AvroRecord, Marker
from connectors.vnpost._soap import client_fault, required_text, text
from connectors.vnpost._types import DIRECTION, HUB_STATUS, ONLY_FOR
from hub.events import new_event
from hub.settings import Settings

#: Namespace of the callback-derived event ids (uuid5).
EVENT_ID_NAMESPACE: Final = uuid.UUID("6f1b8d52-3c1e-5a0e-9d54-7a0c2b6e4f31")
SOURCE: Final = "VNPOST"
#: The compacted topic of the callback ids already produced (``connectors.common.ClaimedIds``).
CALLBACK_IDS_SUFFIX: Final = "vnpost.callback-ids"


def callback_ids_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{CALLBACK_IDS_SUFFIX}"


@dataclass(frozen=True)
class StatusNotice:
    """One NotifyStatus as the hub understood it."""

    callback_id: str
    waybill_number: str
    order_number: str
    service_type: str
    status: str
    event_time: datetime
    location: str | None
    note: str | None

    @property
    def direction(self) -> str:
        return DIRECTION[self.service_type]

    @property
    def dossier_id(self) -> str:
        return self.order_number

    @property
    def fingerprint(self) -> str:
        """What a resend with the same callback id must repeat exactly."""
        parts = (
            self.waybill_number, self.order_number, self.service_type, self.status,
            self.event_time.isoformat(), self.location or "", self.note or "",
        )  # fmt: skip
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    @property
    def marker(self) -> Marker:
        """What the dedupe remembers of this callback once its events are on the broker."""
        return Marker(self.callback_id, self.fingerprint, self.dossier_id)

    def event_id(self, payload_name: str = "PostalStatusChanged") -> str:
        name = f"{self.waybill_number}|{self.status}|{self.callback_id}"
        if payload_name != "PostalStatusChanged":
            name = f"{name}|{payload_name}"
        return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


def read_notice(payload: etree._Element) -> StatusNotice:
    """A schema-valid NotifyStatusRequest as a notice; ``SoapFault`` (Client) if incoherent.

    The waybill's check digit is checked by the caller (it needs its own outcome label).
    """
    raw_time = required_text(payload, "EventTime")
    try:
        event_time = datetime.fromisoformat(raw_time)
    except ValueError as exc:
        raise client_fault(f"EventTime {raw_time!r} is not an ISO 8601 date-time") from exc
    if event_time.tzinfo is None:
        raise client_fault("EventTime must carry a time-zone offset (e.g. +07:00 or Z)")
    notice = StatusNotice(
        callback_id=required_text(payload, "CallbackId"),
        waybill_number=required_text(payload, "WaybillNumber"),
        order_number=required_text(payload, "OrderNumber"),
        service_type=required_text(payload, "ServiceType"),
        status=required_text(payload, "Status"),
        event_time=event_time,
        location=text(payload, "Location"),
        note=text(payload, "Note"),
    )
    only = ONLY_FOR.get(notice.status)
    if only is not None and only != notice.service_type:
        raise client_fault(
            f"status {notice.status} cannot happen to a {notice.service_type} order",
            error_code="INCOHERENT_STATUS",
        )
    return notice


def to_events(notice: StatusNotice, *, recorded_at: datetime) -> list[AvroRecord]:
    """The DossierEvent records the notice means, in the order to produce them."""
    changed = new_event(
        notice.dossier_id,
        "PostalStatusChanged",
        {
            "direction": notice.direction,
            "waybill_number": notice.waybill_number,
            "status": HUB_STATUS[notice.status],
            "location": notice.location,
            "note": notice.note,
        },
        source=SOURCE,
        occurred_at=notice.event_time,
        source_event_id=notice.callback_id,
        event_id=notice.event_id(),
        recorded_at=recorded_at,
    )
    events: list[AvroRecord] = [changed]
    if notice.status == "DELIVERED_TO_CITIZEN" and notice.direction == "RESULT_DELIVERY":
        returned = new_event(
            notice.dossier_id,
            "ResultReturned",
            {"return_channel": "POSTAL", "waybill_number": notice.waybill_number},
            source=SOURCE,
            occurred_at=notice.event_time,
            source_event_id=notice.callback_id,
            event_id=notice.event_id("ResultReturned"),
            recorded_at=recorded_at,
        )
        events.append(returned)
    return events
