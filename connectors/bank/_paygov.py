"""``paygov``: the national payment platform style.

JSON objects of strings, POSTed. Every message carries ``merchant_code`` first and a
``checksum``::

    checksum = hex(SHA-256(UTF-8(v1 + "|" + v2 + "|" ... + "|" + vn + "|" + secret)))

over the values in the documented order below (``merchant_code`` first, an absent optional
value as ""), lowercase hex. Times are ``yyyyMMddHHmmss`` in Vietnam time, amounts whole VND.

==================  ==========================================================================
message             field order after merchant_code
==================  ==========================================================================
create (request)    request_id, order_id, amount, currency, beneficiary_account, description,
                    return_url, created_at
create (reply)      code, order_id, payment_id, payment_url
query (request)     request_id, order_id, created_at
query (reply)       code, order_id, status, payment_id, transaction_id, amount, paid_at
refund (request)    request_id, order_id, refund_id, transaction_id, amount, reason, created_at
refund (reply)      code, order_id, refund_id, refund_transaction_id, amount
IPN (callback)      order_id, payment_id, transaction_id, amount, status, paid_at, timestamp
==================  ==========================================================================

``order_id`` is the hub's payment reference; ``request_id`` the idempotency key; ``timestamp``
when this copy of the callback was sent. API codes: 00 ok, 01 not found, 03 duplicate,
04 invalid amount, 05 invalid request, 06 not paid, 08 already refunded, 97 bad checksum,
99 other. Payment status: PENDING, SUCCESS, FAILED, REFUNDED.

The IPN answer is ``{"code", "message"}``: 00 confirmed, 01 order not found, 02 already
confirmed, 04 invalid amount, 07 refused (stale or future timestamp), 97 invalid checksum,
98 malformed (HTTP 400), 99 retry (HTTP 503). The platform retries on 01, 99 and any 5xx.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import ClassVar

from connectors.bank._config import ProviderName
from connectors.bank._dialect import Dialect, WireField, digits_amount
from connectors.bank._messages import (
    ApiRequest,
    Callback,
    CreatePayment,
    CreateReply,
    Outcome,
    QueryPayment,
    QueryReply,
    RefundPayment,
    RefundReply,
    Result,
    Status,
)

F = WireField

IPN_CODES: dict[Outcome, tuple[int, str, str]] = {
    Outcome.CONFIRMED: (200, "00", "Confirmed"),
    Outcome.ORDER_NOT_FOUND: (200, "01", "Order not found"),
    Outcome.ALREADY_CONFIRMED: (200, "02", "Order already confirmed"),
    Outcome.INVALID_AMOUNT: (200, "04", "Invalid amount"),
    Outcome.REFUSED: (200, "07", "Callback refused: stale or timestamped in the future"),
    Outcome.INVALID_SIGNATURE: (200, "97", "Invalid checksum"),
    Outcome.MALFORMED: (400, "98", "Malformed callback"),
    Outcome.RETRY: (503, "99", "Temporarily unable to record the payment; retry"),
}


def paygov_checksum(values: list[str], secret: str) -> str:
    """SHA-256 over the pipe-joined values followed by the secret, lowercase hex."""
    return hashlib.sha256("|".join([*values, secret]).encode()).hexdigest()


class PaygovDialect(Dialect):
    name: ClassVar[ProviderName] = "paygov"
    payment_method: ClassVar[str] = "NATIONAL_PAYMENT_PLATFORM"
    signature_field: ClassVar[str] = "checksum"
    merchant_field: ClassVar[str] = "merchant_code"
    result_codes: ClassVar[Mapping[Result, str]] = {
        Result.OK: "00",
        Result.NOT_FOUND: "01",
        Result.DUPLICATE: "03",
        Result.INVALID_AMOUNT: "04",
        Result.INVALID_REQUEST: "05",
        Result.NOT_PAID: "06",
        Result.ALREADY_REFUNDED: "08",
        Result.BAD_SIGNATURE: "97",
        Result.ERROR: "99",
    }
    status_codes: ClassVar[Mapping[Status, str]] = {
        Status.PENDING: "PENDING",
        Status.PAID: "SUCCESS",
        Status.FAILED: "FAILED",
        Status.REFUNDED: "REFUNDED",
    }
    specs: ClassVar[Mapping[type, tuple[WireField, ...]]] = {
        CreatePayment: (
            F("request_id", "request_id"),
            F("order_id", "payment_reference"),
            F("amount", "amount_vnd", "amount"),
            F("currency", const="VND"),
            F("beneficiary_account", "beneficiary_account"),
            F("description", "description"),
            F("return_url", "return_url"),
            F("created_at", "created_at", "time"),
        ),
        CreateReply: (
            F("code", "result", "result"),
            F("order_id", "payment_reference"),
            F("payment_id", "payment_id", optional=True),
            F("payment_url", "payment_url", optional=True),
        ),
        QueryPayment: (
            F("request_id", "request_id"),
            F("order_id", "payment_reference"),
            F("created_at", "created_at", "time"),
        ),
        QueryReply: (
            F("code", "result", "result"),
            F("order_id", "payment_reference"),
            F("status", "status", "status", optional=True),
            F("payment_id", "payment_id", optional=True),
            F("transaction_id", "transaction_id", optional=True),
            F("amount", "amount_vnd", "amount", optional=True),
            F("paid_at", "paid_at", "time", optional=True),
        ),
        RefundPayment: (
            F("request_id", "request_id"),
            F("order_id", "payment_reference"),
            F("refund_id", "refund_reference"),
            F("transaction_id", "transaction_id", optional=True),
            F("amount", "amount_vnd", "amount"),
            F("reason", "reason"),
            F("created_at", "created_at", "time"),
        ),
        RefundReply: (
            F("code", "result", "result"),
            F("order_id", "payment_reference"),
            F("refund_id", "refund_reference"),
            F("refund_transaction_id", "refund_transaction_id", optional=True),
            F("amount", "amount_vnd", "amount", optional=True),
        ),
        Callback: (
            F("order_id", "payment_reference"),
            F("payment_id", "payment_id", optional=True),
            F("transaction_id", "transaction_id"),
            F("amount", "amount_vnd", "amount"),
            F("status", "status", "status"),
            F("paid_at", "paid_at", "time"),
            F("timestamp", "sent_at", "time"),
        ),
    }
    paths: ClassVar[Mapping[type[ApiRequest], str]] = {
        CreatePayment: "/api/v1/payments",
        QueryPayment: "/api/v1/payments/query",
        RefundPayment: "/api/v1/refunds",
    }

    def checksum(self, wire: Mapping[str, str], fields: tuple[WireField, ...]) -> str:
        values = [wire.get(self.merchant_field, "")]
        values += [wire.get(spec.wire, "") for spec in fields]
        return paygov_checksum(values, self.settings.secret.get_secret_value())

    def amount_to_wire(self, amount_vnd: int) -> str:
        return str(amount_vnd)

    def amount_from_wire(self, text: str) -> int:
        return digits_amount(text)

    def api_path(self, message_type: type) -> str:
        return self.paths[message_type]

    def operation_of(self, path: str, wire: object) -> type[ApiRequest]:
        for message_type, where in self.paths.items():
            if where == path:
                return message_type
        raise KeyError(path)

    def ipn_reply(self, outcome: Outcome) -> tuple[int, dict[str, str]]:
        status, code, message = IPN_CODES[outcome]
        return status, {"code": code, "message": message}

    def ipn_reply_outcome(self, status: int, body: object) -> Outcome | None:
        code = body.get("code") if isinstance(body, Mapping) else None
        for outcome, (_, known, _) in IPN_CODES.items():
            if known == code:
                return outcome
        return None
