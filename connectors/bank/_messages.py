"""The provider-neutral messages both protocols carry, and the IPN outcomes.

Each protocol module (``_paygov``, ``_vnpay``) maps these to and from its wire form; the client,
the IPN endpoints and the simulators only ever see these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Result(StrEnum):
    """What a provider answered an API request."""

    OK = "OK"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"  # the reference (or request id) was used before with other content
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_REQUEST = "INVALID_REQUEST"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    NOT_PAID = "NOT_PAID"  # refund of a payment that is not paid
    ALREADY_REFUNDED = "ALREADY_REFUNDED"
    ERROR = "ERROR"  # the provider's "other error": worth retrying


class Status(StrEnum):
    """Where a payment stands at the provider."""

    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"


class Outcome(StrEnum):
    """How the hub answers a callback (each protocol has a code for each)."""

    CONFIRMED = "confirmed"  # also: a declined payment's callback was recorded
    ALREADY_CONFIRMED = "already_confirmed"
    ORDER_NOT_FOUND = "order_not_found"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_SIGNATURE = "invalid_signature"
    REFUSED = "refused"  # stale, or timestamped in the future
    MALFORMED = "malformed"
    RETRY = "retry"  # the broker did not acknowledge, or the connector is not ready


@dataclass(frozen=True)
class CreatePayment:
    request_id: str  # the idempotency key: the same request id is the same payment
    payment_reference: str
    amount_vnd: int
    beneficiary_account: str
    description: str
    return_url: str
    created_at: datetime


@dataclass(frozen=True)
class CreateReply:
    result: Result
    payment_reference: str
    payment_id: str | None = None
    payment_url: str | None = None


@dataclass(frozen=True)
class QueryPayment:
    request_id: str
    payment_reference: str
    created_at: datetime


@dataclass(frozen=True)
class QueryReply:
    result: Result
    payment_reference: str
    status: Status | None = None
    payment_id: str | None = None
    transaction_id: str | None = None
    amount_vnd: int | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True)
class RefundPayment:
    request_id: str
    payment_reference: str
    refund_reference: str
    transaction_id: str | None
    amount_vnd: int
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class RefundReply:
    result: Result
    payment_reference: str
    refund_reference: str
    refund_transaction_id: str | None = None
    amount_vnd: int | None = None


@dataclass(frozen=True)
class Callback:
    """A payment notification (IPN): the provider says a payment succeeded or failed."""

    payment_reference: str
    payment_id: str | None
    transaction_id: str
    amount_vnd: int
    status: Status
    paid_at: datetime
    #: When this copy was sent (paygov); None when the protocol carries no such time (vnpay).
    sent_at: datetime | None = None

    @property
    def timestamp(self) -> datetime:
        """The time staleness is judged by."""
        return self.sent_at or self.paid_at


#: What the hub asks of a provider's API (the simulator serves them).
ApiRequest = CreatePayment | QueryPayment | RefundPayment

#: A neutral field's value, as the dialects decode it from its wire string.
FieldValue = str | int | datetime | Result | Status | None

Message = (
    CreatePayment | CreateReply | QueryPayment | QueryReply | RefundPayment | RefundReply | Callback
)
