"""The simulators' own behaviour: the reconciliation file (format, day by Vietnam time, the
disagreements it can be made to show), its HTTP download, and the payment page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from connectors.bank import (
    PAYMENT_REQUEST,
    RECONCILIATION_HEADER,
    BankClient,
    BankSimulator,
    PaygovSimulator,
    Status,
    VnpaySimulator,
)
from tests.connectors.bank.conftest import make_config
from tests.connectors.bank.test_contract import command


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["paygov", "vnpay"])
def sim(request: pytest.FixtureRequest) -> Iterator[tuple[BankSimulator, MovableClock]]:
    clock = MovableClock(datetime(2026, 3, 1, 16, 30, tzinfo=UTC))  # 23:30 on 1 March in VN
    simulator = {"paygov": PaygovSimulator, "vnpay": VnpaySimulator}[request.param]
    with simulator(make_config(), clock=clock) as running:
        yield running, clock


def create(sim: BankSimulator, reference: str, amount: int) -> None:
    payload = {
        "payment_reference": reference,
        "amount_vnd": amount,
        "fee_lines": [],
        "beneficiary_account": "0123456789",
        "description": "Phí",
        "provider": sim.provider,
        "agency_code": None,
    }
    client = BankClient(sim.configure(make_config()))
    try:
        client.call(command(PAYMENT_REQUEST, payload), 1)
    finally:
        client.close()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_reconciliation_file(sim: tuple[BankSimulator, MovableClock], tmp_path: Path) -> None:
    simulator, clock = sim
    create(simulator, "HS1-F1", 100_000)
    create(simulator, "HS2-F1", 200_000)
    create(simulator, "HS3-F1", 300_000)
    simulator.pay("HS1-F1", notify=False)  # 23:30 on 1 March (VN)
    clock.now = datetime(2026, 3, 1, 17, 15, tzinfo=UTC)  # 00:15 on 2 March (VN)
    simulator.pay("HS2-F1", notify=False)
    simulator.pay("HS3-F1", success=False, notify=False)  # declined: moved no money, no row
    # the ledger made to disagree with the hub
    stranger_tx = simulator.add_unknown_payment("HS9-F1", 90_000)
    simulator.misreport_amount("HS2-F1", 210_000)
    simulator.pay_twice("HS2-F1")

    first = rows(simulator.reconciliation_csv(date(2026, 3, 1)))
    assert [(r["payment_reference"], r["amount_vnd"], r["kind"]) for r in first] == [
        ("HS1-F1", "100000", "PAYMENT")
    ]
    assert first[0]["occurred_at"] == "2026-03-01T23:30:00+07:00"
    assert first[0]["provider"] == simulator.provider

    second = simulator.reconciliation_csv(date(2026, 3, 2))
    assert second.splitlines()[0] == ",".join(RECONCILIATION_HEADER)
    found = [(r["payment_reference"], r["amount_vnd"]) for r in rows(second)]
    assert sorted(found) == sorted([
        ("HS2-F1", "210000"),  # misreported
        ("HS9-F1", "90000"),  # the hub never asked for it
        ("HS2-F1", "200000"),  # paid twice
    ])  # fmt: skip
    assert stranger_tx in second
    assert all(r["occurred_at"].endswith("+07:00") for r in rows(second))

    path = simulator.write_reconciliation(date(2026, 3, 2), tmp_path)
    assert path.name == f"{simulator.provider}-2026-03-02.csv"
    assert path.read_text(encoding="utf-8") == second
    with httpx.Client(base_url=simulator.url) as http:
        download = http.get("/reconciliation/2026-03-02")
        assert download.headers["content-type"].startswith("text/csv")
        assert download.text == second
        assert http.get("/reconciliation/yesterday").status_code == 400


def test_refunds_are_rows_of_their_own(sim: tuple[BankSimulator, MovableClock]) -> None:
    simulator, _ = sim
    create(simulator, "HS4-F1", 120_000)
    simulator.pay("HS4-F1", notify=False)
    payload = {
        "payment_reference": "HS4-F1",
        "refund_reference": "HS4-F1-R1",
        "provider": simulator.provider,
        "provider_transaction_id": None,
        "amount_vnd": 120_000,
        "reason": "Dừng xử lý",
    }
    client = BankClient(simulator.configure(make_config()))
    try:
        client.call(command("PAYMENT_REFUND", payload), 1)
    finally:
        client.close()
    kinds = [
        (r["kind"], r["amount_vnd"]) for r in rows(simulator.reconciliation_csv(date(2026, 3, 1)))
    ]
    assert kinds == [("PAYMENT", "120000"), ("REFUND", "120000")]
    assert simulator.ledger.payment("HS4-F1").status is Status.REFUNDED


def test_the_payment_page(sim: tuple[BankSimulator, MovableClock]) -> None:
    simulator, _ = sim
    create(simulator, "HS5-F1", 50_000)
    payment = simulator.ledger.payment("HS5-F1")
    with httpx.Client(base_url=simulator.url) as http:
        page = http.get(f"/pay/{payment.payment_id}")
        assert "50,000 VND" in page.text
        assert 'value="pay"' in page.text
        assert http.get("/pay/NOPE").status_code == 404
        assert http.post("/pay/NOPE", data={"action": "pay"}).status_code == 404
