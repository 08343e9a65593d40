"""The IPN endpoints' edges: malformed and oversized callbacks, VNPAY by form post, a state
already paid, and a broker that cannot acknowledge (split from test_ipn.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.bank import (
    BankConfig,
    Callback,
    Outcome,
    Status,
    VnpaySimulator,
    dialect_for,
)
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.bank.conftest import (
    PaymentsStandIn,
    RunningIpn,
    make_config,
    new_reference,
    start_ipn,
)
from tests.connectors.bank.test_ipn import AMOUNT, fee_paid, finals, requested


def test_malformed_and_oversized_callbacks(ipn: RunningIpn) -> None:
    with ipn.client() as http:
        not_json = http.post(
            "/v1/ipn/paygov", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert (not_json.status_code, not_json.json()["code"]) == (400, "98")
        not_strings = http.post("/v1/ipn/paygov", json={"order_id": 1})
        assert not_strings.status_code == 400
        huge = http.post("/v1/ipn/paygov", content=b"x" * 20_000)
        assert huge.status_code == 413
        long_query = http.get("/v1/ipn/vnpay", params={"vnp_TxnRef": "x" * 20_000})
        assert long_query.status_code == 414
        repeated = http.get("/v1/ipn/vnpay?vnp_TxnRef=a&vnp_TxnRef=b")
        assert repeated.json() == {"RspCode": "99", "Message": "Invalid request"}
        unsigned = http.get("/v1/ipn/vnpay", params={"vnp_TxnRef": "HS1-F1"})
        assert unsigned.json()["RspCode"] == "99"
        metrics = http.get("/metrics").text
    assert 'dvchub_bank_callbacks_total{outcome="malformed",provider="paygov"} 3.0' in metrics


def test_vnpay_callbacks_by_post_form(
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    with VnpaySimulator(bank_config, ipn_url=ipn.ipn_url("vnpay")) as sim:
        sim.faults.vnpay_callback_method = "POST"
        _, reference = requested(sim, bank_config, payments, ipn)
        assert finals(sim.pay(reference)) == {Outcome.CONFIRMED: 1}
    assert json.dumps(sim.ledger.delivered(reference)[0].body) == json.dumps(
        {"RspCode": "00", "Message": "Confirm Success"}
    )
    assert len(fee_paid(settings, registry)) == 1


def test_a_state_already_paid_is_already_confirmed(
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    """Confirmed through a status query first (the fold then says PAID): no second FeePaid."""
    reference = new_reference()
    from tests.connectors.bank.conftest import payment_state

    payments.publish(payment_state("HS-PAID", [(reference, AMOUNT, "paygov")], status="PAID"))
    ipn.wait_known(1)
    now = datetime.now(UTC) - timedelta(seconds=5)
    wire = dialect_for(bank_config.provider("paygov")).encode(
        Callback(reference, None, "PG7", AMOUNT, Status.PAID, now, now)
    )
    with ipn.client() as http:
        assert http.post("/v1/ipn/paygov", json=wire).json()["code"] == "02"
    assert fee_paid(settings, registry) == []


@pytest.mark.parametrize("provider", ["paygov", "vnpay"])
def test_no_broker_acknowledgement_means_retry(
    provider: str,
    payments: PaymentsStandIn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    """The broker cannot acknowledge within 1 ms: the provider is told to retry (503 / 99)."""
    config = make_config(ack_timeout_s=0.001)
    running = start_ipn(settings, registry, config)
    try:
        reference = new_reference()
        payments.request("HS-NOACK", reference, AMOUNT, provider)
        running.wait_known(1)
        now = datetime.now(UTC)
        wire = dialect_for(config.provider(provider)).encode(
            Callback(reference, None, "14000001", AMOUNT, Status.PAID, now, now)
        )
        with running.client() as http:
            if provider == "paygov":
                answer = http.post("/v1/ipn/paygov", json=wire)
                assert (answer.status_code, answer.json()["code"]) == (503, "99")
            else:
                answer = http.get("/v1/ipn/vnpay", params=wire)
                assert answer.json()["RspCode"] == "99"
            metrics = http.get("/metrics").text
        assert "dvchub_bank_not_acknowledged_total 1.0" in metrics
    finally:
        running.stop()
