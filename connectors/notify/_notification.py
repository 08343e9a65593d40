"""``Notification``: a CitizenNotification command as a typed value, decoded once, here.

The contact is personal data: it is left out of ``repr`` (and so of any log line or error that
formats a notification), and nothing in this package logs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, get_args

from connectors.outbox import Command

Channel = Literal["ZNS", "SMS", "EMAIL"]
Step = Literal[
    "RECEIVED", "SUPPLEMENT_REQUESTED", "FEE_REQUESTED", "RESULT_READY", "APOLOGY",
    "RESULT_RETURNED",
]  # fmt: skip
ReturnChannel = Literal["UNKNOWN", "ONLINE", "DESK", "POSTAL"]
CHANNELS: Final[tuple[Channel, ...]] = get_args(Channel)
STEPS: Final[tuple[Step, ...]] = get_args(Step)
_RETURN_CHANNELS: Final[tuple[ReturnChannel, ...]] = get_args(ReturnChannel)


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    email: str | None
    #: To try in order (the first that takes the message wins; ZNS refusals fall back).
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class Notification:
    dossier_id: str
    step: Step
    procedure_name: str | None
    agency_name: str | None
    contact: Contact = field(repr=False)
    appointment_at: datetime | None = None
    missing_items: tuple[str, ...] = ()
    reason: str | None = None
    respond_by_at: datetime | None = None
    amount_vnd: int | None = None
    payment_url: str | None = None
    return_channel: ReturnChannel = "UNKNOWN"
    waybill_number: str | None = None
    new_appointment_at: datetime | None = None

    @classmethod
    def of_command(cls, command: Command) -> Notification:
        """The decoding boundary: ``ValueError`` for a payload that is not a usable
        CitizenNotification (its message names the field, never a value)."""
        try:
            payload = command.payload
            contact, data = payload["contact"], payload["data"]
            step = payload["step"]
            if step not in STEPS:
                raise ValueError(f"step {step!r} has no template")
            channels = tuple(contact["channels"])
            unknown = [c for c in channels if c not in CHANNELS]
            if unknown or not channels:
                raise ValueError(f"channels must be some of {CHANNELS}")
            return_channel = data.get("return_channel", "UNKNOWN")
            if return_channel not in _RETURN_CHANNELS:
                raise ValueError("return_channel is not a ReturnChannel")
            amount = data.get("amount_vnd")
            return cls(
                dossier_id=command.dossier_id, step=step,
                procedure_name=payload.get("procedure_name"),
                agency_name=payload.get("agency_name"),
                contact=Contact(str(contact["name"]), contact.get("phone"), contact.get("email"),
                                channels),
                appointment_at=data.get("appointment_at"),
                missing_items=tuple(str(i) for i in data.get("missing_items", ())),
                reason=data.get("reason"), respond_by_at=data.get("respond_by_at"),
                amount_vnd=None if amount is None else int(amount),
                payment_url=data.get("payment_url"), return_channel=return_channel,
                waybill_number=data.get("waybill_number"),
                new_appointment_at=data.get("new_appointment_at"),
            )  # fmt: skip
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a CitizenNotification: {type(exc).__name__} {exc}") from exc
