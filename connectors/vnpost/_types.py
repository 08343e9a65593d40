"""The postal service's vocabulary as frozen dataclasses, and its mapping to the hub's.

Directions: the hub's ``PostalDirection`` of the applicant's legs (INTAKE_PICKUP,
RESULT_DELIVERY) is VNPost's ``ServiceType`` (PICKUP, DELIVERY). A receiving desk's legs
(DESK_TO_AGENCY, AGENCY_TO_AGENCY, AGENCY_TO_DESK, docs/desks.md) are office-to-office
consignments, which VNPost serves as a pickup: collected at the sending office, delivered to the
receiving one (DELIVERED_TO_AGENCY), never with cash on delivery. A delivery would end in
DELIVERED_TO_CITIZEN, which the callbacks read as the result returned to the applicant. VNPost's
callbacks and tracking name the service only, so an office leg's status comes back as
INTAKE_PICKUP; its waybill (``PostalOrderCreated``, which carries the leg) tells them apart.
VNPost's order statuses map to the hub's ``PostalStatus``::

    REGISTERED, COLLECTING, COLLECTED, IN_TRANSIT, CANCELLED, RETURNED   same name
    DELIVERED_TO_AGENCY (pickup), DELIVERED_TO_CITIZEN (delivery)        DELIVERED
    FAILED                                                               DELIVERY_FAILED
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, TypedDict, cast

Direction = Literal[
    "INTAKE_PICKUP", "RESULT_DELIVERY", "DESK_TO_AGENCY", "AGENCY_TO_AGENCY", "AGENCY_TO_DESK"
]
ServiceType = Literal["PICKUP", "DELIVERY"]

#: A receiving desk's office-to-office legs: pickups, no cash on delivery.
OFFICE_LEGS: Final = frozenset({"DESK_TO_AGENCY", "AGENCY_TO_AGENCY", "AGENCY_TO_DESK"})
SERVICE_TYPE: Final[Mapping[str, ServiceType]] = {
    "INTAKE_PICKUP": "PICKUP",
    "RESULT_DELIVERY": "DELIVERY",
    **dict.fromkeys(OFFICE_LEGS, "PICKUP"),
}
#: VNPost's service -> the applicant's leg (what a callback or a tracking reply can tell).
DIRECTION: Final[Mapping[str, Direction]] = {
    "PICKUP": "INTAKE_PICKUP",
    "DELIVERY": "RESULT_DELIVERY",
}
#: VNPost OrderStatus -> hub PostalStatus.
HUB_STATUS: Final[Mapping[str, str]] = {
    "REGISTERED": "REGISTERED",
    "COLLECTING": "COLLECTING",
    "COLLECTED": "COLLECTED",
    "IN_TRANSIT": "IN_TRANSIT",
    "DELIVERED_TO_AGENCY": "DELIVERED",
    "DELIVERED_TO_CITIZEN": "DELIVERED",
    "FAILED": "DELIVERY_FAILED",
    "RETURNED": "RETURNED",
    "CANCELLED": "CANCELLED",
}
VNPOST_STATUSES: Final = tuple(HUB_STATUS)
#: Statuses only one kind of order can reach.
ONLY_FOR: Final[Mapping[str, ServiceType]] = {
    "DELIVERED_TO_AGENCY": "PICKUP",
    "COLLECTING": "PICKUP",
    "DELIVERED_TO_CITIZEN": "DELIVERY",
}


class PostalAddressRecord(TypedDict):
    """The Avro ``PostalAddress`` record, as ``hub.serde`` decodes it."""

    line: str
    ward: str | None
    district: str | None
    province: str


class PartyRecord(TypedDict):
    """The Avro ``Party`` record."""

    name: str
    address: PostalAddressRecord
    phone: str
    email: str | None


class PostalOrderRecord(TypedDict):
    """The Avro ``PostalOrder`` command payload (``direction``: any PostalDirection symbol)."""

    direction: str
    order_number: str
    sender: PartyRecord
    receiver: PartyRecord
    cod_amount_vnd: int
    note: str | None


@dataclass(frozen=True)
class Address:
    line: str
    province: str
    ward: str | None = None
    district: str | None = None

    @classmethod
    def of_record(cls, record: PostalAddressRecord) -> Address:
        return cls(
            line=str(record["line"]),
            province=str(record["province"]),
            ward=record.get("ward"),
            district=record.get("district"),
        )


@dataclass(frozen=True)
class Party:
    """Sender or receiver. Personal data: never logged (``repr`` hides it)."""

    name: str
    address: Address
    phone: str
    email: str | None = None

    def __repr__(self) -> str:
        return "Party(<personal data>)"

    @classmethod
    def of_record(cls, record: PartyRecord) -> Party:
        return cls(
            name=str(record["name"]),
            address=Address.of_record(record["address"]),
            phone=str(record["phone"]),
            email=record.get("email"),
        )


@dataclass(frozen=True)
class OrderRequest:
    """A pickup or delivery order, as a PostalOrder command payload carries it."""

    direction: Direction
    order_number: str
    sender: Party
    receiver: Party
    cod_amount_vnd: int = 0
    note: str | None = None

    @classmethod
    def of_payload(cls, record: Mapping[str, object]) -> OrderRequest:
        """From a decoded ``PostalOrder``; ``ValueError`` for an UNKNOWN direction (a missing
        field: ``KeyError``, as the values are still converted as they are read)."""
        # The decoding boundary: hub.serde decoded the payload with the PostalOrder schema.
        payload = cast(PostalOrderRecord, record)
        direction = str(payload.get("direction", "UNKNOWN"))
        if direction not in SERVICE_TYPE:
            raise ValueError(f"PostalOrder direction {direction} is neither pickup nor delivery")
        cod = int(payload.get("cod_amount_vnd") or 0)
        if direction in OFFICE_LEGS and cod:
            raise ValueError(f"{direction}: an office-to-office consignment carries no COD")
        return cls(
            direction=direction,  # type: ignore[arg-type]
            order_number=str(payload["order_number"]),
            sender=Party.of_record(payload["sender"]),
            receiver=Party.of_record(payload["receiver"]),
            cod_amount_vnd=cod,
            note=payload.get("note"),
        )


@dataclass(frozen=True)
class OrderCreated:
    waybill_number: str
    order_number: str
    direction: Direction
    status: str
    cod_amount_vnd: int
    created_at: datetime
    #: The partner had seen the idempotency key before: nothing new was created.
    duplicate: bool


@dataclass(frozen=True)
class OrderCancelled:
    waybill_number: str
    order_number: str
    status: str
    cancelled_at: datetime
    duplicate: bool


@dataclass(frozen=True)
class TrackingEvent:
    status: str
    event_time: datetime
    location: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Tracking:
    """A waybill's status history, oldest first."""

    waybill_number: str
    order_number: str
    direction: Direction
    status: str
    events: tuple[TrackingEvent, ...]
