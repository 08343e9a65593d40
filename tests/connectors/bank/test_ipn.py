"""The IPN endpoints over the real local Kafka and registry, driven by the real simulators:
one FeePaid per payment however often and concurrently its callback comes, every refusal with
the provider's code and nothing produced, a restart that still remembers, a callback that beat
the request. A PaymentState published here stands in for the payments processor."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import httpx

from connectors.bank import (
    PAYMENT_REQUEST,
    BankClient,
    BankConfig,
    BankSimulator,
    Callback,
    CallbackDelivery,
    Outcome,
    Status,
    dialect_for,
    fee_paid_event_id,
)
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.bank.conftest import (
    SIMULATORS,
    PaymentsStandIn,
    RunningIpn,
    dossier_events,
    new_reference,
    start_ipn,
)
from tests.connectors.bank.test_contract import command

AMOUNT = 250_000


def create(sim: BankSimulator, config: BankConfig, reference: str, amount: int = AMOUNT) -> None:
    """Create the payment at the simulator as the outbox would."""
    payload = {
        "payment_reference": reference,
        "amount_vnd": amount,
        "fee_lines": [],
        "beneficiary_account": "0123456789",
        "description": "Lệ phí",
        "provider": sim.provider,
        "agency_code": None,
    }
    client = BankClient(sim.configure(config))
    try:
        client.call(command(PAYMENT_REQUEST, payload), 1)
    finally:
        client.close()


def requested(
    sim: BankSimulator,
    config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    *,
    known: int = 1,
) -> tuple[str, str]:
    """A payment created at the provider and stored by the hub: (dossier id, reference)."""
    dossier_id, reference = f"HS-{uuid.uuid4().hex[:8]}", new_reference()
    create(sim, config, reference)
    payments.request(dossier_id, reference, AMOUNT, sim.provider)
    ipn.wait_known(known)
    return dossier_id, reference


def finals(deliveries: list[CallbackDelivery]) -> Counter[Outcome | None]:
    """The last answer each copy got."""
    last: dict[int, CallbackDelivery] = {}
    for delivery in deliveries:
        last[delivery.copy] = delivery
    return Counter(d.outcome for d in last.values())


def fee_paid(settings: Settings, registry: RegistryClient) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return dossier_events(settings, registry, "FeePaid")


def test_a_verified_callback_gives_one_fee_paid(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    dossier_id, reference = requested(sim, bank_config, payments, ipn)
    (delivery,) = sim.pay(reference)
    assert delivery.outcome is Outcome.CONFIRMED
    assert delivery.http_status == 200
    tx = sim.ledger.payment(reference).payments[0].transaction_id
    ((key, event),) = fee_paid(settings, registry)
    assert key == dossier_id
    assert str(event["event_id"]) == fee_paid_event_id(reference, tx)
    assert event["source"] == "PAYMENT_PROVIDER"
    assert event["payload"][1] == {
        "payment_reference": reference,
        "amount_vnd": AMOUNT,
        "method": "NATIONAL_PAYMENT_PLATFORM" if sim.provider == "paygov" else "ONLINE_BANK",
        "provider": sim.provider,
        "provider_transaction_id": tx,
    }
    with ipn.client() as http:
        ready = http.get("/ready")
        metrics = http.get("/metrics").text
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    line = f'dvchub_bank_callbacks_total{{outcome="confirmed",provider="{sim.provider}"}} 1.0'
    assert line in metrics
    assert f'dvchub_bank_callback_seconds_count{{provider="{sim.provider}"}} 1.0' in metrics


def test_fifty_concurrent_duplicates_give_exactly_one_fee_paid(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    _, reference = requested(sim, bank_config, payments, ipn)
    sim.faults.callback_copies, sim.faults.callback_concurrent = 50, True
    deliveries = sim.pay(reference)
    assert finals(deliveries) == {Outcome.CONFIRMED: 1, Outcome.ALREADY_CONFIRMED: 49}
    assert len(deliveries) == 50  # nobody had to retry
    assert len(fee_paid(settings, registry)) == 1


def test_the_payment_page_flow(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    _, reference = requested(sim, bank_config, payments, ipn)
    payment_id = sim.ledger.payment(reference).payment_id
    with httpx.Client(base_url=sim.url) as http:
        page = http.get(f"/pay/{payment_id}")
        assert page.status_code == 200
        assert "250,000 VND" in page.text
        paid = http.post(f"/pay/{payment_id}", data={"action": "pay", "card_number": "4111"})
        assert paid.status_code == 200
    sim.wait_for_deliveries(reference, lambda found: any(d.outcome for d in found))
    assert [d.outcome for d in sim.ledger.delivered(reference)] == [Outcome.CONFIRMED]
    assert len(fee_paid(settings, registry)) == 1
    assert "4111" not in repr(sim.ledger.payment(reference))


def test_a_declined_payment_gives_one_payment_failed(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    dossier_id, reference = requested(sim, bank_config, payments, ipn)
    sim.faults.callback_copies = 3
    deliveries = sim.pay(reference, success=False)
    assert finals(deliveries) == {Outcome.CONFIRMED: 3}  # "received"
    failed = dossier_events(settings, registry, "PaymentFailed")
    assert [(k, e["payload"][1]["reason_code"]) for k, e in failed] == [(dossier_id, "DECLINED")]
    assert fee_paid(settings, registry) == []


def test_refusals_answer_the_provider_code_and_produce_nothing(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    _, reference = requested(sim, bank_config, payments, ipn)
    sim.faults.callback_retries = 1

    sim.faults.callback_wrong_signature = True
    assert finals(sim.pay(reference)) == {Outcome.INVALID_SIGNATURE: 1}
    sim.faults.callback_wrong_signature = False

    sim.faults.callback_time_offset_s = -2 * 3600  # older than the 600 s window
    stale = sim.notify(reference)
    sim.faults.callback_time_offset_s = 3600  # from the future
    future = sim.notify(reference)
    sim.faults.callback_time_offset_s = 0
    refused = Outcome.REFUSED if sim.provider == "paygov" else Outcome.RETRY  # vnpay: 99
    assert finals(stale) == {refused: 1}
    assert finals(future) == {refused: 1}
    if sim.provider == "vnpay":
        assert "stale" in str(stale[-1].body["Message"])

    # unknown to the hub: order not found, retried by the provider
    stranger = new_reference()
    sim.add_unknown_payment(stranger, AMOUNT)
    unknown = sim.notify(stranger)
    assert [d.outcome for d in unknown] == [Outcome.ORDER_NOT_FOUND] * 2

    assert fee_paid(settings, registry) == []
    assert dossier_events(settings, registry, "PaymentFailed") == []

    # and the genuine callback still goes through afterwards
    assert finals(sim.notify(reference)) == {Outcome.CONFIRMED: 1}
    assert len(fee_paid(settings, registry)) == 1


def test_a_wrong_amount_is_refused_with_one_payment_failed(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    dossier_id, reference = requested(sim, bank_config, payments, ipn)
    sim.faults.callback_amount_delta_vnd = -50_000
    sim.faults.callback_copies = 3
    assert finals(sim.pay(reference)) == {Outcome.INVALID_AMOUNT: 3}
    failed = dossier_events(settings, registry, "PaymentFailed")
    assert len(failed) == 1
    key, event = failed[0]
    assert key == dossier_id
    assert event["payload"][1]["reason_code"] == "WRONG_AMOUNT"
    assert fee_paid(settings, registry) == []


def test_replays_and_a_second_transaction_are_already_confirmed(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    _, reference = requested(sim, bank_config, payments, ipn)
    assert finals(sim.pay(reference)) == {Outcome.CONFIRMED: 1}
    assert finals(sim.notify(reference)) == {Outcome.ALREADY_CONFIRMED: 1}  # the same one again
    assert finals(sim.pay_twice(reference, notify=True)) == {Outcome.ALREADY_CONFIRMED: 1}
    assert len(fee_paid(settings, registry)) == 1


def test_a_restarted_app_still_answers_already_confirmed(
    provider: str,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    first = start_ipn(settings, registry, bank_config)
    with SIMULATORS[provider](bank_config, ipn_url=first.ipn_url(provider)) as sim:
        try:
            _, reference = requested(sim, bank_config, payments, first)
            assert finals(sim.pay(reference)) == {Outcome.CONFIRMED: 1}
        finally:
            first.stop()
        second = start_ipn(settings, registry, bank_config)
        try:
            sim.ipn_url = second.ipn_url(provider)
            second.wait_known(1)
            assert finals(sim.notify(reference)) == {Outcome.ALREADY_CONFIRMED: 1}
        finally:
            second.stop()
    assert len(fee_paid(settings, registry)) == 1


def test_a_callback_before_the_request_was_stored(
    sim: BankSimulator,
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    sim.faults.callback_on_create = True
    sim.faults.callback_retries, sim.faults.callback_backoff_s = 12, 0.1
    dossier_id, reference = f"HS-{uuid.uuid4().hex[:8]}", new_reference()
    create(sim, bank_config, reference)  # the simulator pays and calls back at once
    sim.wait_for_deliveries(
        reference, lambda found: any(d.outcome is Outcome.ORDER_NOT_FOUND for d in found)
    )
    payments.request(dossier_id, reference, AMOUNT, sim.provider)
    found = sim.wait_for_deliveries(
        reference, lambda found: any(d.outcome is Outcome.CONFIRMED for d in found)
    )
    outcomes = [d.outcome for d in found]
    assert outcomes[0] is Outcome.ORDER_NOT_FOUND
    assert outcomes[-1] is Outcome.CONFIRMED
    assert set(outcomes) == {Outcome.ORDER_NOT_FOUND, Outcome.CONFIRMED}
    assert [k for k, _ in fee_paid(settings, registry)] == [dossier_id]


def test_a_callback_for_another_provider_is_not_found(
    bank_config: BankConfig,
    payments: PaymentsStandIn,
    ipn: RunningIpn,
    settings: Settings,
    registry: RegistryClient,
) -> None:
    reference = new_reference()
    payments.request("HS-OTHER", reference, AMOUNT, "vnpay")
    ipn.wait_known(1)
    now = datetime.now(UTC)
    wire = dialect_for(bank_config.provider("paygov")).encode(
        Callback(reference, None, "PG1", AMOUNT, Status.PAID, now, now)
    )
    with ipn.client() as http:
        answer = http.post("/v1/ipn/paygov", json=wire)
    assert answer.json()["code"] == "01"
    assert fee_paid(settings, registry) == []
