"""The payment provider contract, one abstract class per protocol, run against the outbox client
talking to the real HTTP simulator: create -> URL, idempotency, status query, refund, and how
faults become Transient / Permanent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from connectors.bank import (
    PAYMENT_REFUND,
    PAYMENT_REQUEST,
    PAYMENT_STATUS_QUERY,
    BankClient,
    BankConfig,
    BankSimulator,
    PaygovSimulator,
    Status,
    VnpaySimulator,
    fee_paid_event_id,
    payment_failed_event_id,
)
from connectors.outbox import Command, Permanent, Transient
from tests.connectors.bank.conftest import make_config, new_reference


def command(command_type: str, payload: dict[str, Any], key: str | None = None) -> Command:
    names = {
        PAYMENT_REQUEST: "PaymentRequest",
        PAYMENT_STATUS_QUERY: "PaymentStatusQuery",
        PAYMENT_REFUND: "PaymentRefund",
    }
    return Command(
        command_id=str(uuid.uuid4()),
        command_type=command_type,
        dossier_id="HS-DOSSIER-1",
        idempotency_key=key or str(uuid.uuid4()),
        created_at=datetime.now(UTC),
        correlation_id="HS-DOSSIER-1",
        causation_id=None,
        payload_name=names[command_type],
        payload=payload,
    )


class ProviderContract:
    """What any payment provider must do for the hub, through ``BankClient``."""

    provider: ClassVar[str]

    def make_simulator(self, config: BankConfig) -> BankSimulator:
        raise NotImplementedError

    @pytest.fixture
    def sim(self) -> Iterator[BankSimulator]:
        with self.make_simulator(make_config()) as sim:
            yield sim

    @pytest.fixture
    def client(self, sim: BankSimulator) -> Iterator[BankClient]:
        client = BankClient(sim.configure(make_config(http_timeout_s=1.0)))
        yield client
        client.close()

    def request(self, reference: str, amount: int = 150_000, **extra: Any) -> dict[str, Any]:
        payload = {
            "payment_reference": reference,
            "amount_vnd": amount,
            "fee_lines": [
                {"code": "LP01", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": amount}
            ],
            "beneficiary_account": "0123456789",
            "description": f"Lệ phí hồ sơ {reference}",
            "provider": self.provider,
            "agency_code": "SO-TP",
        }
        payload.update(extra)
        return payload

    def query(self, reference: str, amount: int | None = 150_000) -> Command:
        payload = {"payment_reference": reference, "provider": self.provider, "query_number": 1,
                   "amount_vnd": amount}  # fmt: skip
        return command(PAYMENT_STATUS_QUERY, payload)

    def refund(self, reference: str, amount: int = 150_000, key: str | None = None) -> Command:
        payload = {
            "payment_reference": reference,
            "refund_reference": f"{reference}-R1",
            "provider": self.provider,
            "provider_transaction_id": None,
            "amount_vnd": amount,
            "reason": "Hồ sơ bị từ chối",
        }
        return command(PAYMENT_REFUND, payload, key)

    # -- create ----------------------------------------------------------------------------------
    def test_create_returns_the_payment_url(self, sim: BankSimulator, client: BankClient) -> None:
        reference = new_reference()
        accepted = client.call(command(PAYMENT_REQUEST, self.request(reference)), 1)
        (event,) = accepted.events
        assert event.payload_name == "PaymentRequestCreated"
        assert event.source == "PAYMENT_PROVIDER"
        assert event.payload["payment_reference"] == reference
        assert event.payload["amount_vnd"] == 150_000
        assert event.payload["provider"] == self.provider
        assert str(event.payload["payment_url"]).startswith(f"{sim.url}/pay/")
        payment = sim.ledger.payment(reference)
        assert accepted.reference == payment.payment_id
        assert payment.amount_vnd == 150_000
        assert payment.status is Status.PENDING

    def test_the_default_provider_is_used_when_the_payload_names_none(
        self, sim: BankSimulator
    ) -> None:
        config = sim.configure(make_config(default_provider=self.provider))
        client = BankClient(config)
        reference = new_reference()
        try:
            client.call(command(PAYMENT_REQUEST, self.request(reference, provider=None)), 1)
        finally:
            client.close()
        assert reference in sim.ledger.payments

    def test_a_resent_command_creates_one_payment(
        self, sim: BankSimulator, client: BankClient
    ) -> None:
        reference = new_reference()
        create = command(PAYMENT_REQUEST, self.request(reference))
        first = client.call(create, 1)
        again = client.call(create, 2)
        assert again == first
        assert (
            len([p for p in sim.ledger.payments.values() if p.payment_reference == reference]) == 1
        )
        assert sim.ledger.duplicate_count(create.idempotency_key) == 1

    def test_the_same_reference_under_another_key_is_refused(self, client: BankClient) -> None:
        reference = new_reference()
        client.call(command(PAYMENT_REQUEST, self.request(reference)), 1)
        with pytest.raises(Permanent) as refused:
            client.call(command(PAYMENT_REQUEST, self.request(reference)), 1)
        assert refused.value.code == "DUPLICATE"

    def test_a_refused_create_means_payment_failed(self, client: BankClient) -> None:
        create = command(PAYMENT_REQUEST, self.request("bad reference!"))
        with pytest.raises(Permanent) as refused:
            client.call(create, 1)
        (event,) = client.failure_events(create, refused.value, 1, will_retry=False)
        assert event.payload_name == "PaymentFailed"
        assert event.payload["reason_code"] == "CREATE_REFUSED"
        assert event.payload["payment_reference"] == "bad reference!"
        assert client.failure_events(create, Transient("HTTP_503", "x"), 1, will_retry=True) == ()
        (gave_up,) = client.failure_events(create, Transient("HTTP_503", "x"), 9, will_retry=False)
        assert gave_up.payload["reason_code"] == "PROVIDER_UNAVAILABLE"

    def test_an_unknown_provider_is_permanent(self, client: BankClient) -> None:
        with pytest.raises(Permanent) as refused:
            client.call(command(PAYMENT_REQUEST, self.request(new_reference(), provider="momo")), 1)
        assert refused.value.code == "UNKNOWN_PROVIDER"

    # -- status query ----------------------------------------------------------------------------
    def test_status_query(self, sim: BankSimulator, client: BankClient) -> None:
        reference = new_reference()
        client.call(command(PAYMENT_REQUEST, self.request(reference)), 1)
        assert client.call(self.query(reference), 1).events == ()  # pending
        paid_at = datetime(2026, 3, 2, 2, 15, 30, tzinfo=UTC)  # the provider's clock, not ours
        sim.clock = lambda: paid_at
        sim.pay(reference, notify=False)
        (paid,) = client.call(self.query(reference), 1).events
        tx = sim.ledger.payment(reference).payments[0].transaction_id
        assert paid.payload_name == "FeePaid"
        assert paid.event_id == fee_paid_event_id(reference, tx)
        assert paid.occurred_at == paid_at  # as the callback's FeePaid: the same fact
        assert paid.payload == {
            "payment_reference": reference,
            "amount_vnd": 150_000,
            "method": self.method,
            "provider": self.provider,
            "provider_transaction_id": tx,
        }

    method: ClassVar[str]

    def test_a_query_finding_another_amount_paid_confirms_nothing(
        self, sim: BankSimulator, client: BankClient
    ) -> None:
        reference = new_reference()
        client.call(command(PAYMENT_REQUEST, self.request(reference)), 1)
        sim.pay(reference, notify=False)
        (failed,) = client.call(self.query(reference, amount=140_000), 1).events
        tx = sim.ledger.payment(reference).payments[0].transaction_id
        assert failed.payload_name == "PaymentFailed"
        assert failed.payload["reason_code"] == "WRONG_AMOUNT"
        assert failed.event_id == payment_failed_event_id(reference, tx, "WRONG_AMOUNT")
        # an older command without the amount is not checked
        (paid,) = client.call(self.query(reference, amount=None), 1).events
        assert paid.payload_name == "FeePaid"

    def test_status_of_a_declined_payment(self, sim: BankSimulator, client: BankClient) -> None:
        reference = new_reference()
        client.call(command(PAYMENT_REQUEST, self.request(reference)), 1)
        sim.pay(reference, success=False, notify=False)
        (failed,) = client.call(self.query(reference), 1).events
        tx = sim.ledger.payment(reference).payments[0].transaction_id
        assert failed.payload_name == "PaymentFailed"
        assert failed.payload["reason_code"] == "DECLINED"
        assert failed.event_id == payment_failed_event_id(reference, tx, "DECLINED")

    def test_status_of_an_unknown_payment_is_permanent(self, client: BankClient) -> None:
        with pytest.raises(Permanent) as refused:
            client.call(self.query(new_reference()), 1)
        assert refused.value.code == "NOT_FOUND"

    # -- refund ----------------------------------------------------------------------------------
    def test_refund(self, sim: BankSimulator, client: BankClient) -> None:
        reference = new_reference()
        client.call(command(PAYMENT_REQUEST, self.request(reference)), 1)
        with pytest.raises(Permanent) as not_paid:
            client.call(self.refund(reference), 1)
        assert not_paid.value.code == "NOT_PAID"
        sim.pay(reference, notify=False)
        refund = self.refund(reference)
        accepted = client.call(refund, 1)
        (event,) = accepted.events
        assert event.payload_name == "PaymentRefunded"
        assert event.payload["refund_reference"] == f"{reference}-R1"
        assert event.payload["amount_vnd"] == 150_000
        assert event.payload["provider_transaction_id"] == accepted.reference
        assert client.call(refund, 2) == accepted  # resent: the same refund
        payment = sim.ledger.payment(reference)
        assert len(payment.refunds) == 1
        assert payment.status is Status.REFUNDED
        assert sim.ledger.duplicate_count(refund.idempotency_key) == 1

    # -- faults ----------------------------------------------------------------------------------
    @pytest.mark.parametrize("status", [500, 502, 503, 429])
    def test_server_errors_are_transient(
        self, sim: BankSimulator, client: BankClient, status: int
    ) -> None:
        sim.faults.api_fail_next, sim.faults.api_fail_status = 1, status
        create = command(PAYMENT_REQUEST, self.request(new_reference()))
        with pytest.raises(Transient) as failed:
            client.call(create, 1)
        assert failed.value.code == f"HTTP_{status}"
        assert client.call(create, 2).events  # the retry goes through

    @pytest.mark.parametrize("status", [400, 403, 404])
    def test_client_errors_are_permanent(
        self, sim: BankSimulator, client: BankClient, status: int
    ) -> None:
        sim.faults.api_fail_next, sim.faults.api_fail_status = 1, status
        with pytest.raises(Permanent) as failed:
            client.call(command(PAYMENT_REQUEST, self.request(new_reference())), 1)
        assert failed.value.code == f"HTTP_{status}"

    def test_a_timeout_is_transient(self, sim: BankSimulator, client: BankClient) -> None:
        sim.faults.api_hang_next, sim.faults.api_hang_s = 1, 2.0
        with pytest.raises(Transient) as failed:
            client.call(self.query(new_reference()), 1)
        assert failed.value.code == "TIMEOUT"

    def test_latency_within_the_timeout_is_fine(
        self, sim: BankSimulator, client: BankClient
    ) -> None:
        sim.faults.api_latency_s = 0.3
        assert client.call(command(PAYMENT_REQUEST, self.request(new_reference())), 1).events

    def test_a_garbled_reply_is_transient(self, sim: BankSimulator, client: BankClient) -> None:
        sim.faults.api_garble_next = 1
        with pytest.raises(Transient) as failed:
            client.call(command(PAYMENT_REQUEST, self.request(new_reference())), 1)
        assert failed.value.code == "MALFORMED_REPLY"

    def test_no_server_is_transient(self) -> None:
        sim = self.make_simulator(make_config())
        client = BankClient(sim.configure(make_config()))
        sim.stop()  # the port is released: connection refused
        try:
            with pytest.raises(Transient) as failed:
                client.call(self.query(new_reference()), 1)
        finally:
            client.close()
        assert failed.value.code == "CONNECTION"

    def test_a_wrong_secret_is_permanent(self, sim: BankSimulator) -> None:
        wrong = {f"{self.provider}_secret": "not-the-shared-secret"}
        client = BankClient(sim.configure(make_config(**wrong)))
        try:
            with pytest.raises(Permanent):
                client.call(command(PAYMENT_REQUEST, self.request(new_reference())), 1)
        finally:
            client.close()
        assert sim.ledger.payments == {}


class PaygovContract(ProviderContract):
    """paygov: refusals are HTTP 4xx with its code; amounts in whole VND."""

    provider = "paygov"
    method = "NATIONAL_PAYMENT_PLATFORM"

    def test_bad_checksum_is_a_401(self, sim: BankSimulator) -> None:
        client = BankClient(sim.configure(make_config(paygov_secret="wrong")))
        try:
            with pytest.raises(Permanent) as refused:
                client.call(command(PAYMENT_REQUEST, self.request(new_reference())), 1)
        finally:
            client.close()
        assert refused.value.code == "HTTP_401"


class VnpayContract(ProviderContract):
    """vnpay: one transaction endpoint, refusals as vnp_ResponseCode with HTTP 200."""

    provider = "vnpay"
    method = "ONLINE_BANK"

    def test_bad_hash_is_code_97(self, sim: BankSimulator) -> None:
        client = BankClient(sim.configure(make_config(vnpay_secret="wrong")))
        try:
            with pytest.raises(Permanent) as refused:
                client.call(command(PAYMENT_REQUEST, self.request(new_reference())), 1)
        finally:
            client.close()
        assert refused.value.code == "BAD_SIGNATURE"

    def test_amounts_travel_times_100(self, sim: BankSimulator, client: BankClient) -> None:
        reference = new_reference()
        client.call(command(PAYMENT_REQUEST, self.request(reference, amount=123_456)), 1)
        assert sim.ledger.payment(reference).amount_vnd == 123_456


class TestPaygovClientOnSimulator(PaygovContract):
    def make_simulator(self, config: BankConfig) -> BankSimulator:
        return PaygovSimulator(config)


class TestVnpayClientOnSimulator(VnpayContract):
    def make_simulator(self, config: BankConfig) -> BankSimulator:
        return VnpaySimulator(config)
