"""The payments fold and its timers on the in-memory runner, with time moved by the test.

Real Avro serdes (real registry); the runner is the one replay uses, so what is checked here is
what the faust workers run (test_workers.py runs them live).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from hub.payments import (
    REFERENCE_PATTERN,
    AccountBook,
    ConfigError,
    PaymentPolicy,
    PaymentSettings,
    QueryPolicy,
    command_id,
    payment_reference,
    refund_reference,
    status_query_id,
)
from hub.processing import InMemoryRunner, Message
from hub.serde import RegistryClient
from tests.payments._support import (
    FEE,
    Rig,
    at,
    created,
    event,
    fee_paid,
    fee_requested,
    payload,
    submitted,
    utc,
)


@pytest.fixture
def rig(registry: RegistryClient, topic_prefix: str) -> Rig:
    return Rig(registry, topic_prefix)


def requested(rig: Rig, dossier_id: str = "HS-1", agency: str = "STP") -> dict[str, Any]:
    """Submitted at T0, fee requested 5 minutes later; the FeeRequested event."""
    fee = fee_requested(dossier_id, at(5))
    rig.feed(submitted(dossier_id, at(0), agency), fee)
    return fee


def test_fee_requested_gives_a_payment_and_its_request_command(rig: Rig) -> None:
    fee = fee_requested("HS-1", at(5))
    commands = rig.feed(submitted("HS-1", at(0)), fee)
    ref = payment_reference("HS-1", fee["event_id"])
    assert REFERENCE_PATTERN.match(ref)
    assert len(ref) <= 34
    [command] = commands
    assert command["command_type"] == "PAYMENT_REQUEST"
    assert str(command["command_id"]) == command_id(fee["event_id"], "PAYMENT_REQUEST")
    assert command["causation_id"] == fee["event_id"]
    assert command["idempotency_key"] == ref
    assert command["dossier_id"] == "HS-1"
    assert payload(command) == {
        "payment_reference": ref, "amount_vnd": 200_000, "fee_lines": FEE,
        "beneficiary_account": "3511.0.1000001", "description": "Thanh toan phi le phi ho so HS-1",
        "provider": "vnpay", "agency_code": "STP",
    }  # fmt: skip
    state = rig.state("HS-1")
    assert state["dossier_status"] == "FEE_REQUESTED"
    assert state["status_before_fee"] == "ACCEPTED"
    [payment] = state["payments"]
    assert payment["status"] == "REQUESTED"
    assert payment["payment_reference"] == ref
    assert payment["requested_at"] == utc(at(5))
    assert payment["next_query_at"] == utc(at(20))  # 15 minutes later
    assert rig.due("HS-1") == utc(at(20))
    # published to the compacted topic for the bank connector's callbacks
    assert rig.last is not None
    assert [key for key, _ in rig.last.published] == [b"HS-1"]


def test_an_agency_the_accounts_do_not_name_takes_the_default(rig: Rig) -> None:
    requested(rig, "HS-2", agency="SYT")
    assert rig.payment("HS-2")["beneficiary_account"] == "3511.0.9999999"
    assert rig.payment("HS-2")["provider"] == "paygov"


def test_the_reference_is_the_same_for_a_redelivered_request_and_differs_per_request() -> None:
    first = str(uuid.uuid4())
    assert payment_reference("HS-1", first) == payment_reference("HS-1", first)
    assert payment_reference("HS-1", first) != payment_reference("HS-1", str(uuid.uuid4()))
    assert payment_reference("HS-1", first) != payment_reference("HS-2", first)
    long_id = "000.00.01.H01-250303-0001-ĐẶC BIỆT/2026" * 3
    ref = payment_reference(long_id, first)
    assert REFERENCE_PATTERN.match(ref)
    assert len(ref) <= 34
    assert REFERENCE_PATTERN.match(refund_reference(long_id, ref))
    assert REFERENCE_PATTERN.match(payment_reference("///", first))


def test_redelivered_fee_request_gives_the_same_command_and_no_second_payment(rig: Rig) -> None:
    fee = fee_requested("HS-1", at(5))
    [first] = rig.feed(submitted("HS-1", at(0)), fee)
    again = rig.feed(fee)  # same event id: a duplicate
    assert again == []
    assert rig.outcomes()["duplicate"] == 1
    assert len(rig.state("HS-1")["payments"]) == 1
    # a crash before the state was persisted: the events fold again on an empty table
    fresh = InMemoryRunner(rig.processor)
    [second] = rig.commands(fresh.run([rig.message(submitted("HS-1", at(0))), rig.message(fee)]))
    assert second["command_id"] == first["command_id"]
    assert second == first


def test_created_then_paid(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    assert rig.feed(created("HS-1", ref, at(6))) == []
    payment = rig.payment("HS-1")
    assert payment["status"] == "CREATED"
    assert payment["payment_url"] == f"https://pay.example/{ref}"
    assert rig.feed(fee_paid("HS-1", ref, at(9))) == []
    state = rig.state("HS-1")
    payment = state["payments"][0]
    assert payment["status"] == "PAID"
    assert payment["paid_at"] == utc(at(9))
    assert payment["paid_amount_vnd"] == 200_000
    assert payment["provider_transaction_id"] == "VNP-1"
    assert payment["paid_count"] == 1
    assert payment["next_query_at"] is None
    assert state["dossier_status"] == "ACCEPTED"  # back to where the fee step came from
    assert rig.due("HS-1") is None


def test_a_failed_payment_is_no_longer_queried(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    rig.feed(event("HS-1", "PAYMENT_FAILED", at(7), payment_reference=ref))
    assert rig.payment("HS-1")["status"] == "FAILED"
    assert rig.due("HS-1") is None
    assert rig.fire(at(120)) == []


def test_duplicate_fee_paid_is_ignored_and_a_second_transaction_is_paid_twice(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    paid = fee_paid("HS-1", ref, at(9))
    rig.feed(paid)
    rig.feed(paid)  # the same event id again (a callback and a status query agree on it)
    assert rig.outcomes()["duplicate"] == 1
    assert rig.payment("HS-1")["paid_count"] == 1
    # another event id, same provider transaction: still one payment
    rig.feed(fee_paid("HS-1", ref, at(10)))
    assert rig.payment("HS-1")["paid_count"] == 1
    # another provider transaction for the same reference: paid twice
    rig.feed(fee_paid("HS-1", ref, at(11), transaction="VNP-2"))
    assert rig.outcomes()["paid_twice"] == 1
    payment = rig.payment("HS-1")
    assert payment["paid_count"] == 2
    assert payment["paid_transactions"] == ["VNP-1", "VNP-2"]
    assert payment["provider_transaction_id"] == "VNP-1"  # the first stays the payment
    assert payment["paid_at"] == utc(at(9))


def test_a_fee_paid_for_a_reference_of_no_request_changes_only_the_status(rig: Rig) -> None:
    requested(rig)
    rig.feed(fee_paid("HS-1", "DESK-RECEIPT-1", at(9)))
    state = rig.state("HS-1")
    assert state["dossier_status"] == "ACCEPTED"
    assert state["payments"][0]["status"] == "REQUESTED"
    assert state["payments"][0]["paid_count"] == 0


def test_stopped_after_payment_asks_for_a_refund(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    rig.feed(fee_paid("HS-1", ref, at(9)),
             event("HS-1", "PROCESSING_STEP_RECORDED", at(30)))  # fmt: skip
    stop = event("HS-1", "PROCESSING_STOPPED", at(60), reason="Hồ sơ không hợp lệ")
    [command] = rig.feed(stop)
    refund_ref = refund_reference("HS-1", ref)
    assert command["command_type"] == "PAYMENT_REFUND"
    assert str(command["command_id"]) == command_id(stop["event_id"], "PAYMENT_REFUND", ref)
    assert command["causation_id"] == stop["event_id"]
    assert command["idempotency_key"] == refund_ref
    assert payload(command) == {
        "payment_reference": ref, "refund_reference": refund_ref, "provider": "vnpay",
        "provider_transaction_id": "VNP-1", "amount_vnd": 200_000,
        "reason": "Hồ sơ không hợp lệ",
    }  # fmt: skip
    state = rig.state("HS-1")
    assert state["dossier_status"] == "STOPPED"
    assert state["payments"][0]["status"] == "REFUND_REQUESTED"
    assert state["payments"][0]["refund_reference"] == refund_ref
    assert rig.feed(stop) == []  # redelivered: no second refund
    refunded = event("HS-1", "PAYMENT_REFUNDED", at(90), payment_reference=ref,
                     refund_reference=refund_ref, amount_vnd=200_000, provider="vnpay",
                     provider_transaction_id="VNP-R1")  # fmt: skip
    assert rig.feed(refunded) == []
    payment = rig.payment("HS-1")
    assert payment["status"] == "REFUNDED"
    assert payment["refunded_at"] == utc(at(90))


def test_withdrawn_after_payment_asks_for_a_refund(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    rig.feed(fee_paid("HS-1", ref, at(9)), event("HS-1", "PROCESSING_STEP_RECORDED", at(20)),
             event("HS-1", "SUPPLEMENT_REQUESTED", at(30)))  # fmt: skip
    withdrawn = event("HS-1", "DOSSIER_WITHDRAWN", at(60), reason=None)
    [command] = rig.feed(withdrawn)
    assert command["command_type"] == "PAYMENT_REFUND"
    assert payload(command)["reason"] == "dossier withdrawn"
    assert rig.state("HS-1")["dossier_status"] == "WITHDRAWN"


def test_a_refusal_the_status_machine_refuses_asks_for_no_refund(rig: Rig) -> None:
    """Refusal is legal only from status 1 (the lifecycle dead-letters it after a payment):
    refunding on it would pay back a dossier that goes on being processed."""
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    rig.feed(fee_paid("HS-1", ref, at(9)))
    assert rig.feed(event("HS-1", "DOSSIER_REFUSED", at(60))) == []
    assert rig.outcomes()["not_tracked"] == 1
    assert rig.state("HS-1")["dossier_status"] == "ACCEPTED"
    assert rig.payment("HS-1")["status"] == "PAID"


def test_a_fee_request_the_status_machine_refuses_asks_for_no_payment(rig: Rig) -> None:
    requested(rig)
    assert rig.feed(fee_requested("HS-1", at(7))) == []  # already in status 6
    assert len(rig.state("HS-1")["payments"]) == 1
    assert rig.feed(fee_requested("HS-X", at(7))) == []  # a dossier the hub does not know
    assert rig.runner.state(b"HS-X") is None


def test_ending_without_a_payment_asks_for_no_refund(rig: Rig) -> None:
    requested(rig)
    assert rig.feed(event("HS-1", "DOSSIER_WITHDRAWN", at(60))) == []
    assert rig.payment("HS-1")["status"] == "REQUESTED"


def test_paid_after_the_dossier_was_withdrawn_is_refunded_at_once(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    rig.feed(event("HS-1", "DOSSIER_WITHDRAWN", at(30)))
    paid = fee_paid("HS-1", ref, at(40))
    [command] = rig.feed(paid)
    assert command["command_type"] == "PAYMENT_REFUND"
    assert command["causation_id"] == paid["event_id"]
    state = rig.state("HS-1")
    assert state["dossier_status"] == "WITHDRAWN"  # a terminal status is never left
    assert state["payments"][0]["status"] == "REFUND_REQUESTED"


def test_status_queries_with_backoff_and_deterministic_ids(rig: Rig) -> None:
    fee = requested(rig)  # requested at 5
    ref = payment_reference("HS-1", fee["event_id"])
    rig.feed(created("HS-1", ref, at(6)))
    assert rig.fire(at(19)) == []  # not yet: due at 20
    [first] = rig.fire(at(20))
    assert first["command_type"] == "PAYMENT_STATUS_QUERY"
    assert payload(first) == {"payment_reference": ref, "provider": "vnpay", "query_number": 1,
                              "amount_vnd": 200_000}  # fmt: skip
    assert str(first["command_id"]) == status_query_id(ref, 1)
    assert first["causation_id"] == fee["event_id"]
    assert first["idempotency_key"] == f"{ref}-Q1"
    assert rig.due("HS-1") == utc(at(50))  # then 30 minutes
    [second] = rig.fire(at(50))
    assert payload(second)["query_number"] == 2
    assert rig.due("HS-1") == utc(at(110))  # then 60
    [third] = rig.fire(at(110))
    assert rig.due("HS-1") == utc(at(170))  # capped at 60
    [fourth] = rig.fire(at(170))
    assert payload(fourth)["query_number"] == 4
    assert rig.due("HS-1") is None  # at most 4
    assert rig.fire(at(10_000)) == []
    ids = [str(c["command_id"]) for c in (first, second, third, fourth)]
    assert ids == [status_query_id(ref, n) for n in (1, 2, 3, 4)]
    assert len(set(ids)) == 4
    assert rig.payment("HS-1")["status_queries"] == 4


def test_a_timer_fired_again_after_a_crash_sends_the_same_query(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    table = dict(rig.runner.table)  # what was persisted before the firing
    [fired] = rig.fire(at(20))
    rig.runner = InMemoryRunner(rig.processor, table)  # the firing's outcome was lost
    [again] = rig.fire(at(21))
    assert again["command_id"] == fired["command_id"] == uuid.UUID(status_query_id(ref, 1))


def test_timers_survive_a_restart(rig: Rig) -> None:
    requested(rig)
    rig.restart()
    assert rig.due("HS-1") == utc(at(20))
    [query] = rig.fire(at(25))
    assert payload(query)["query_number"] == 1


def test_no_query_after_payment(rig: Rig) -> None:
    fee = requested(rig)
    ref = payment_reference("HS-1", fee["event_id"])
    rig.fire(at(20))  # one query sent
    rig.feed(fee_paid("HS-1", ref, at(30)))
    assert rig.due("HS-1") is None
    assert rig.fire(at(10_000)) == []


def test_a_second_fee_request_in_processing_is_a_second_payment(rig: Rig) -> None:
    first = requested(rig)
    rig.feed(fee_paid("HS-1", payment_reference("HS-1", first["event_id"]), at(9)),
             event("HS-1", "PROCESSING_STEP_RECORDED", at(20)))  # fmt: skip
    second = fee_requested("HS-1", at(30), total=50_000)
    [command] = rig.feed(second)
    refs = [payment_reference("HS-1", e["event_id"]) for e in (first, second)]
    assert payload(command)["payment_reference"] == refs[1]
    assert payload(command)["amount_vnd"] == 50_000
    state = rig.state("HS-1")
    assert [p["payment_reference"] for p in state["payments"]] == refs
    assert state["status_before_fee"] == "PROCESSING"
    [query] = rig.fire(at(45))  # only the open one is queried
    assert payload(query)["payment_reference"] == refs[1]
    rig.feed(fee_paid("HS-1", refs[1], at(50), transaction="VNP-9", amount=50_000))
    assert rig.state("HS-1")["dossier_status"] == "PROCESSING"


def test_events_that_are_not_about_payments_change_nothing(rig: Rig) -> None:
    requested(rig)
    version = rig.state("HS-1")["version"]
    rig.feed(event("HS-1", "NATIONAL_SYNC_COMPLETED", at(7)))
    assert rig.outcomes()["not_tracked"] == 1
    assert rig.state("HS-1")["version"] == version


def test_a_zero_fee_asks_for_no_payment(rig: Rig) -> None:
    assert rig.feed(submitted("HS-1", at(0)), fee_requested("HS-1", at(5), total=0)) == []
    assert rig.state("HS-1")["payments"] == []


def test_an_undecodable_event_is_dead_lettered(rig: Rig) -> None:
    rig.last = rig.runner.run([Message(b"\x00garbage", b"HS-9", "dossier.events", 0, 99)])
    assert len(rig.last.letters) == 1


def test_configuration(tmp_path: Any) -> None:
    toml = tmp_path / "accounts.toml"
    toml.write_text('[default]\naccount = "3511.0.1"\n[agencies.STP]\naccount = "3511.0.2"\n'
                    'provider = "vnpay"\n', encoding="utf-8")  # fmt: skip
    book = AccountBook.load(toml)
    assert book.beneficiary("STP").account == "3511.0.2"
    assert book.beneficiary("STP").provider == "vnpay"
    assert book.beneficiary("X").account == "3511.0.1"
    json_file = tmp_path / "accounts.json"
    json_file.write_text('{"agencies": {"STP": {"account": "9"}}}', encoding="utf-8")
    assert AccountBook.load(json_file).beneficiary("SYT").account == "KBNN-SYT"  # the default
    settings = PaymentSettings(accounts=json_file, query_after=timedelta(minutes=5), query_max=2)
    policy = settings.policy()
    assert policy.queries.after == timedelta(minutes=5)
    assert policy.accounts.beneficiary("STP").provider == "paygov"
    bad = tmp_path / "bad.toml"
    bad.write_text('[agencies.STP]\naccount = "x y"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="account"):
        AccountBook.load(bad)
    bad.write_text('[agencies.STP]\naccount = "1"\nprovider = "momo"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="provider"):
        AccountBook.load(bad)
    with pytest.raises(ConfigError):
        AccountBook.load(tmp_path / "missing.toml")
    with pytest.raises(ConfigError):
        QueryPolicy(after=timedelta(0))
    assert PaymentPolicy().accounts.beneficiary(None).account == "KBNN-UNKNOWN"


def test_query_times_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DVC_PAYMENT_QUERY_AFTER", "900")
    monkeypatch.setenv("DVC_PAYMENT_QUERY_MAX_INTERVAL", "PT2H")
    monkeypatch.setenv("DVC_PAYMENT_QUERY_MAX", "3")
    queries = PaymentSettings().policy().queries
    assert (queries.after, queries.max_interval, queries.max_queries) == (
        timedelta(minutes=15),
        timedelta(hours=2),
        3,
    )
    assert [queries.interval(n) for n in range(4)] == [timedelta(minutes=m)
                                                        for m in (15, 30, 60, 120)]  # fmt: skip
    monkeypatch.setenv("DVC_PAYMENT_DEFAULT_PROVIDER", "momo")
    with pytest.raises(ConfigError, match="DEFAULT_PROVIDER"):
        PaymentSettings().policy()
