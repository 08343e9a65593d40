"""``vnpay``: the VNPAY style.

Messages are flat ``vnp_*`` parameters (strings): API requests and replies as JSON objects
POSTed to one endpoint, ``/merchant_webapi/api/transaction``, told apart by ``vnp_Command``
(``create``, ``querydr``, ``refund``); callbacks (IPN) as a query string, GET (or POST).
Every message carries ``vnp_TmnCode`` and ``vnp_SecureHash``::

    hash data      = "&".join(f"{k}={quote_plus(v)}" for k, v in sorted(params))
                     over every vnp_* parameter with a non-empty value except
                     vnp_SecureHash and vnp_SecureHashType
    vnp_SecureHash = hex(HMAC-SHA512(key=secret, msg=hash data))

Amounts are VND × 100 (``vnp_Amount=15000000`` is 150,000 đ); times ``yyyyMMddHHmmss`` in
GMT+7; ``vnp_TxnRef`` is the hub's payment reference, ``vnp_RequestId`` the idempotency key.
A callback carries ``vnp_ResponseCode`` and ``vnp_TransactionStatus`` (both ``00``: paid).
API codes: 00 ok, 91 not found, 94 duplicate, 04 invalid amount, 03 invalid request,
95 not paid, 96 already refunded, 97 bad hash, 99 other. Transaction status: 00 paid,
01 pending, 02 failed, 06 refunded.

The IPN answer is ``{"RspCode", "Message"}`` with HTTP 200: 00 confirmed, 01 order not
found, 02 already confirmed, 04 invalid amount, 97 invalid signature, 99 anything else
(malformed, stale, not recorded yet: VNPAY retries on 99 and 01).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar, TypeVar
from urllib.parse import quote_plus

from connectors.bank._config import ProviderName
from connectors.bank._dialect import Dialect, WireField, digits_amount
from connectors.bank._messages import (
    ApiRequest,
    Callback,
    CreatePayment,
    CreateReply,
    Message,
    Outcome,
    QueryPayment,
    QueryReply,
    RefundPayment,
    RefundReply,
    Result,
    Status,
)

F = WireField
M = TypeVar("M", bound=Message)
VERSION = "2.1.0"
API_PATH = "/merchant_webapi/api/transaction"
UNSIGNED = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
COMMANDS: dict[str, type[ApiRequest]] = {
    "create": CreatePayment,
    "querydr": QueryPayment,
    "refund": RefundPayment,
}

IPN_CODES: dict[Outcome, tuple[str, str]] = {
    Outcome.CONFIRMED: ("00", "Confirm Success"),
    Outcome.ORDER_NOT_FOUND: ("01", "Order not found"),
    Outcome.ALREADY_CONFIRMED: ("02", "Order already confirmed"),
    Outcome.INVALID_AMOUNT: ("04", "Invalid amount"),
    Outcome.INVALID_SIGNATURE: ("97", "Invalid signature"),
    Outcome.REFUSED: ("99", "Callback refused: stale or timestamped in the future"),
    Outcome.MALFORMED: ("99", "Invalid request"),
    Outcome.RETRY: ("99", "Unknown error: not recorded, retry"),
}


def vnpay_hash_data(params: Mapping[str, str]) -> str:
    """The string VNPAY signs: sorted, URL-encoded ``vnp_*`` parameters joined by ``&``."""
    items = sorted(
        (key, value)
        for key, value in params.items()
        if key.startswith("vnp_") and key not in UNSIGNED and value != ""
    )
    return "&".join(f"{key}={quote_plus(value)}" for key, value in items)


def vnpay_secure_hash(params: Mapping[str, str], secret: str) -> str:
    """HMAC-SHA512 of ``vnpay_hash_data(params)`` with the secret, lowercase hex."""
    data = vnpay_hash_data(params).encode()
    return hmac.new(secret.encode(), data, hashlib.sha512).hexdigest()


class VnpayDialect(Dialect):
    name: ClassVar[ProviderName] = "vnpay"
    payment_method: ClassVar[str] = "ONLINE_BANK"
    signature_field: ClassVar[str] = "vnp_SecureHash"
    merchant_field: ClassVar[str] = "vnp_TmnCode"
    result_codes: ClassVar[Mapping[Result, str]] = {
        Result.OK: "00",
        Result.NOT_FOUND: "91",
        Result.DUPLICATE: "94",
        Result.INVALID_AMOUNT: "04",
        Result.INVALID_REQUEST: "03",
        Result.NOT_PAID: "95",
        Result.ALREADY_REFUNDED: "96",
        Result.BAD_SIGNATURE: "97",
        Result.ERROR: "99",
    }
    status_codes: ClassVar[Mapping[Status, str]] = {
        Status.PAID: "00",
        Status.PENDING: "01",
        Status.FAILED: "02",
        Status.REFUNDED: "06",
    }
    specs: ClassVar[Mapping[type, tuple[WireField, ...]]] = {
        CreatePayment: (
            F("vnp_Version", const=VERSION),
            F("vnp_Command", const="create"),
            F("vnp_RequestId", "request_id"),
            F("vnp_TxnRef", "payment_reference"),
            F("vnp_Amount", "amount_vnd", "amount"),
            F("vnp_CurrCode", const="VND"),
            F("vnp_BeneficiaryAccount", "beneficiary_account"),
            F("vnp_OrderInfo", "description"),
            F("vnp_OrderType", const="billpayment"),
            F("vnp_Locale", const="vn"),
            F("vnp_ReturnUrl", "return_url"),
            F("vnp_CreateDate", "created_at", "time"),
        ),
        CreateReply: (
            F("vnp_ResponseCode", "result", "result"),
            F("vnp_TxnRef", "payment_reference"),
            F("vnp_PaymentId", "payment_id", optional=True),
            F("vnp_PaymentUrl", "payment_url", optional=True),
        ),
        QueryPayment: (
            F("vnp_Version", const=VERSION),
            F("vnp_Command", const="querydr"),
            F("vnp_RequestId", "request_id"),
            F("vnp_TxnRef", "payment_reference"),
            F("vnp_CreateDate", "created_at", "time"),
        ),
        QueryReply: (
            F("vnp_ResponseCode", "result", "result"),
            F("vnp_TxnRef", "payment_reference"),
            F("vnp_TransactionStatus", "status", "status", optional=True),
            F("vnp_PaymentId", "payment_id", optional=True),
            F("vnp_TransactionNo", "transaction_id", optional=True),
            F("vnp_Amount", "amount_vnd", "amount", optional=True),
            F("vnp_PayDate", "paid_at", "time", optional=True),
        ),
        RefundPayment: (
            F("vnp_Version", const=VERSION),
            F("vnp_Command", const="refund"),
            F("vnp_RequestId", "request_id"),
            F("vnp_TransactionType", const="02"),
            F("vnp_TxnRef", "payment_reference"),
            F("vnp_RefundRef", "refund_reference"),
            F("vnp_TransactionNo", "transaction_id", optional=True),
            F("vnp_Amount", "amount_vnd", "amount"),
            F("vnp_OrderInfo", "reason"),
            F("vnp_CreateBy", const="dvc-hub"),
            F("vnp_CreateDate", "created_at", "time"),
        ),
        RefundReply: (
            F("vnp_ResponseCode", "result", "result"),
            F("vnp_TxnRef", "payment_reference"),
            F("vnp_RefundRef", "refund_reference"),
            F("vnp_TransactionNo", "refund_transaction_id", optional=True),
            F("vnp_Amount", "amount_vnd", "amount", optional=True),
        ),
        Callback: (
            F("vnp_TxnRef", "payment_reference"),
            F("vnp_PaymentId", "payment_id", optional=True),
            F("vnp_TransactionNo", "transaction_id"),
            F("vnp_Amount", "amount_vnd", "amount"),
            F("vnp_TransactionStatus", "status", "status"),
            F("vnp_PayDate", "paid_at", "time"),
        ),
    }

    def checksum(self, wire: Mapping[str, str], fields: tuple[WireField, ...]) -> str:
        return vnpay_secure_hash(wire, self.settings.secret.get_secret_value())

    def amount_to_wire(self, amount_vnd: int) -> str:
        return str(amount_vnd * 100)

    def amount_from_wire(self, text: str) -> int:
        hundredths = digits_amount(text)
        if hundredths % 100:
            raise ValueError("vnp_Amount is not a whole number of đồng × 100")
        return hundredths // 100

    def extras(self, message: Message) -> dict[str, str]:
        if isinstance(message, Callback):
            paid = message.status is Status.PAID
            return {"vnp_ResponseCode": "00" if paid else "24", "vnp_BankCode": "NCB"}
        return {}

    def refine(self, message: M, wire: Mapping[str, str]) -> M:
        # A callback is a success only when both codes say so (VNPAY's own rule).
        if isinstance(message, Callback) and wire.get("vnp_ResponseCode", "00") != "00":
            return replace(message, status=Status.FAILED)
        return message

    def api_path(self, message_type: type) -> str:
        return API_PATH

    def operation_of(self, path: str, wire: object) -> type[ApiRequest]:
        if path != API_PATH:
            raise KeyError(path)
        if not isinstance(wire, Mapping):
            raise TypeError("not an object")
        return COMMANDS[str(wire.get("vnp_Command"))]

    def ipn_reply(self, outcome: Outcome) -> tuple[int, dict[str, str]]:
        code, message = IPN_CODES[outcome]
        return 200, {"RspCode": code, "Message": message}

    def ipn_reply_outcome(self, status: int, body: object) -> Outcome | None:
        code = body.get("RspCode") if isinstance(body, Mapping) else None
        if code == "99":
            return Outcome.RETRY
        for outcome, (known, _) in IPN_CODES.items():
            if known == code:
                return outcome
        return None
