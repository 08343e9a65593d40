"""The dossier events a payment fact means, with ids derived from the fact itself.

A FeePaid can come from a callback (IPN endpoints) or from a status query (outbox client):
both derive the event id from (payment reference, provider transaction id), so consumers drop
the second. A PaymentFailed for a callback is keyed the same way, with its reason.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from connectors.bank._dialect import Dialect
from connectors.bank._messages import Callback

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dvc-hub:connectors:bank")
SOURCE = "PAYMENT_PROVIDER"


class FeePaidPayload(TypedDict):
    """The Avro ``FeePaid`` payload (a desk receipt has no provider; a provider's always has)."""

    payment_reference: str
    amount_vnd: int
    method: str
    provider: str | None
    provider_transaction_id: str | None


class PaymentFailedPayload(TypedDict):
    """The Avro ``PaymentFailed`` payload."""

    payment_reference: str
    reason_code: str
    reason: str


def fee_paid_event_id(payment_reference: str, provider_transaction_id: str) -> str:
    """The FeePaid event id of a provider transaction paying ``payment_reference`` (uuid5)."""
    return str(uuid.uuid5(NAMESPACE, f"FeePaid|{payment_reference}|{provider_transaction_id}"))


def payment_failed_event_id(payment_reference: str, transaction_id: str, reason_code: str) -> str:
    name = f"PaymentFailed|{payment_reference}|{transaction_id}|{reason_code}"
    return str(uuid.uuid5(NAMESPACE, name))


def fee_paid_payload(
    dialect: Dialect, payment_reference: str, transaction_id: str, amount_vnd: int
) -> FeePaidPayload:
    return {
        "payment_reference": payment_reference,
        "amount_vnd": amount_vnd,
        "method": dialect.payment_method,
        "provider": dialect.name,
        "provider_transaction_id": transaction_id,
    }


def payment_failed_payload(
    payment_reference: str, reason_code: str, reason: str
) -> PaymentFailedPayload:
    return {"payment_reference": payment_reference, "reason_code": reason_code, "reason": reason}


def callback_fee_paid(dialect: Dialect, callback: Callback) -> FeePaidPayload:
    return fee_paid_payload(
        dialect, callback.payment_reference, callback.transaction_id, callback.amount_vnd
    )
