"""Checksums of both protocols against vectors computed here by hand (hashlib / hmac on strings
written out literally), and the decoder's refusals."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from connectors.bank import (
    BadSignature,
    BankConfig,
    Callback,
    MalformedMessage,
    PaygovDialect,
    ProviderSettings,
    Status,
    VnpayDialect,
    fee_paid_event_id,
    paygov_checksum,
    vnpay_hash_data,
    vnpay_secure_hash,
)

SECRET = "s3cr3t-KEY"
PAYGOV = ProviderSettings("paygov", "DVCHUB", "http://paygov.invalid", SecretStr(SECRET))
VNPAY = ProviderSettings("vnpay", "DVCHUB01", "http://vnpay.invalid", SecretStr(SECRET))
# 2026-03-02 09:15:00 in Vietnam
PAID_AT = datetime(2026, 3, 2, 2, 15, 0, tzinfo=UTC)
SENT_AT = datetime(2026, 3, 2, 2, 15, 7, tzinfo=UTC)


def callback(**overrides: object) -> Callback:
    values: dict[str, object] = {
        "payment_reference": "HS000123-F1",
        "payment_id": "PGP0000000001",
        "transaction_id": "PG000000000042",
        "amount_vnd": 150_000,
        "status": Status.PAID,
        "paid_at": PAID_AT,
        "sent_at": SENT_AT,
    }
    values.update(overrides)
    return Callback(**values)  # type: ignore[arg-type]


class TestPaygov:
    def test_callback_checksum_is_sha256_of_the_pipe_joined_fields_and_secret(self) -> None:
        wire = PaygovDialect(PAYGOV).encode(callback())
        text = (
            "DVCHUB|HS000123-F1|PGP0000000001|PG000000000042|150000|SUCCESS|"
            "20260302091500|20260302091507|s3cr3t-KEY"
        )
        assert wire["checksum"] == hashlib.sha256(text.encode()).hexdigest()
        assert wire["amount"] == "150000"
        assert wire["paid_at"] == "20260302091500"  # Vietnam time on the wire
        assert paygov_checksum(text.split("|")[:-1], SECRET) == wire["checksum"]

    def test_an_absent_optional_field_counts_as_empty(self) -> None:
        wire = PaygovDialect(PAYGOV).encode(callback(payment_id=None))
        text = (
            "DVCHUB|HS000123-F1||PG000000000042|150000|SUCCESS|"
            "20260302091500|20260302091507|s3cr3t-KEY"
        )
        assert wire["checksum"] == hashlib.sha256(text.encode()).hexdigest()

    def test_decode_round_trips_and_accepts_uppercase_hex(self) -> None:
        dialect = PaygovDialect(PAYGOV)
        wire = dialect.encode(callback())
        assert dialect.decode(Callback, wire) == callback()
        wire["checksum"] = wire["checksum"].upper()
        assert dialect.decode(Callback, wire) == callback()

    @pytest.mark.parametrize("field", ["amount", "order_id", "transaction_id", "status"])
    def test_any_changed_field_breaks_the_checksum(self, field: str) -> None:
        dialect = PaygovDialect(PAYGOV)
        wire = dialect.encode(callback())
        wire[field] = "FAILED" if field == "status" else wire[field] + "1"
        with pytest.raises(BadSignature):
            dialect.decode(Callback, wire)

    def test_another_secret_does_not_verify(self) -> None:
        other = ProviderSettings("paygov", "DVCHUB", "http://x.invalid", SecretStr("other"))
        wire = PaygovDialect(other).encode(callback())
        with pytest.raises(BadSignature):
            PaygovDialect(PAYGOV).decode(Callback, wire)

    def test_malformed_messages(self) -> None:
        dialect = PaygovDialect(PAYGOV)
        wire = dialect.encode(callback())
        missing = {k: v for k, v in wire.items() if k != "checksum"}
        with pytest.raises(MalformedMessage, match="checksum"):
            dialect.decode(Callback, missing)
        with pytest.raises(MalformedMessage, match="string"):
            dialect.decode(Callback, {**wire, "amount": 150000})
        no_amount = {k: v for k, v in wire.items() if k != "amount"}
        with pytest.raises(MalformedMessage, match="amount"):
            dialect.decode(Callback, no_amount)
        # a bad value is only reported once the checksum verified
        bad_time = dict(wire, paid_at="2026-03-02")
        with pytest.raises(BadSignature):
            dialect.decode(Callback, bad_time)
        other_merchant = PaygovDialect(
            ProviderSettings("paygov", "OTHER", "http://x.invalid", SecretStr(SECRET))
        ).encode(callback())
        with pytest.raises(MalformedMessage, match="merchant_code"):
            dialect.decode(Callback, other_merchant)


class TestVnpay:
    def test_secure_hash_is_hmac_sha512_over_sorted_url_encoded_params(self) -> None:
        params = {
            "vnp_TxnRef": "HS000123-F1",
            "vnp_Amount": "15000000",
            "vnp_OrderInfo": "Lệ phí hồ sơ HS000123",
            "vnp_TmnCode": "DVCHUB01",
            "vnp_ReturnUrl": "https://dvc.example/return?a=1&b=2",
            "vnp_BankCode": "",
            "vnp_SecureHashType": "HmacSHA512",
            "other": "ignored",
        }
        data = (
            "vnp_Amount=15000000"
            "&vnp_OrderInfo=L%E1%BB%87+ph%C3%AD+h%E1%BB%93+s%C6%A1+HS000123"
            "&vnp_ReturnUrl=https%3A%2F%2Fdvc.example%2Freturn%3Fa%3D1%26b%3D2"
            "&vnp_TmnCode=DVCHUB01"
            "&vnp_TxnRef=HS000123-F1"
        )
        assert vnpay_hash_data(params) == data
        expected = hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()
        assert vnpay_secure_hash(params, SECRET) == expected
        assert vnpay_secure_hash({**params, "vnp_SecureHash": "x"}, SECRET) == expected

    def test_callback_wire_form(self) -> None:
        wire = VnpayDialect(VNPAY).encode(callback(payment_id=None, transaction_id="14000042"))
        assert wire["vnp_Amount"] == "15000000"  # VND x 100
        assert wire["vnp_TxnRef"] == "HS000123-F1"
        assert wire["vnp_PayDate"] == "20260302091500"
        assert wire["vnp_ResponseCode"] == "00"
        assert wire["vnp_TransactionStatus"] == "00"
        data = (
            "vnp_Amount=15000000&vnp_BankCode=NCB&vnp_PayDate=20260302091500"
            "&vnp_ResponseCode=00&vnp_TmnCode=DVCHUB01&vnp_TransactionNo=14000042"
            "&vnp_TransactionStatus=00&vnp_TxnRef=HS000123-F1"
        )
        expected = hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()
        assert wire["vnp_SecureHash"] == expected

    def test_decode_round_trips(self) -> None:
        dialect = VnpayDialect(VNPAY)
        sent = callback(transaction_id="14000042")
        decoded = dialect.decode(Callback, {**dialect.encode(sent), "vnp_SecureHashType": "SHA512"})
        assert decoded == callback(transaction_id="14000042", sent_at=None)
        assert decoded.timestamp == PAID_AT  # vnpay has no sending time

    def test_a_failed_response_code_makes_a_failed_callback(self) -> None:
        dialect = VnpayDialect(VNPAY)
        failed = dialect.encode(callback(status=Status.FAILED))
        assert failed["vnp_ResponseCode"] == "24"
        assert dialect.decode(Callback, failed).status is Status.FAILED

    def test_tampered_amount_or_hash(self) -> None:
        dialect = VnpayDialect(VNPAY)
        wire = dialect.encode(callback())
        with pytest.raises(BadSignature):
            dialect.decode(Callback, {**wire, "vnp_Amount": "16000000"})
        with pytest.raises(BadSignature):
            dialect.decode(Callback, {**wire, "vnp_SecureHash": "00" + wire["vnp_SecureHash"][2:]})
        with pytest.raises(BadSignature):  # an added vnp_ parameter is signed too
            dialect.decode(Callback, {**wire, "vnp_BankTranNo": "X1"})

    def test_amount_not_a_multiple_of_100_is_malformed(self) -> None:
        dialect = VnpayDialect(VNPAY)
        params = {k: v for k, v in dialect.encode(callback()).items() if k != "vnp_SecureHash"}
        params["vnp_Amount"] = "15000050"
        params["vnp_SecureHash"] = vnpay_secure_hash(params, SECRET)
        with pytest.raises(MalformedMessage, match="vnp_Amount"):
            dialect.decode(Callback, params)


def test_fee_paid_event_id_is_a_stable_uuid5() -> None:
    first = fee_paid_event_id("HS000123-F1", "PG000000000042")
    assert first == fee_paid_event_id("HS000123-F1", "PG000000000042")
    assert uuid.UUID(first).version == 5
    assert first != fee_paid_event_id("HS000123-F1", "PG000000000043")
    assert first != fee_paid_event_id("HS000123-F2", "PG000000000042")


def test_secrets_come_from_the_environment_and_never_print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DVC_BANK_PAYGOV_SECRET", "from-env-secret")
    monkeypatch.setenv("DVC_BANK_VNPAY_MERCHANT_CODE", "TMN0001")
    monkeypatch.setenv("DVC_BANK_DEFAULT_PROVIDER", "vnpay")
    config = BankConfig()
    paygov = config.provider("paygov")
    assert paygov.secret.get_secret_value() == "from-env-secret"
    assert config.provider("vnpay").merchant_code == "TMN0001"
    assert config.default_provider == "vnpay"
    for text in (repr(config), str(config), repr(paygov), repr(PaygovDialect(paygov))):
        assert "from-env-secret" not in text
    assert not paygov.uses_dev_secret
