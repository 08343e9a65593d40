"""The payment providers (paygov, VNPAY) as the hub sees them from outside this package: ``SPEC``.

The bench and the contract test drive paygov, the default provider of the development
configuration (``DVC_BANK_DEFAULT_PROVIDER``); ``tests/connectors/bank`` runs both dialects.
In the demo (``DEMO``): a fee paid online, confirmed by paygov's signed IPN (mutual TLS); a fee
paid whose callback is lost, found by the payments worker's status query; processing stopped
after payment, so refunded; then the day's reconciliation of paygov's file.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import cast

from fastapi import FastAPI

from connectors.bank._client import (
    PAYMENT_REFUND,
    PAYMENT_REQUEST,
    PAYMENT_STATUS_QUERY,
    BankClient,
)
from connectors.bank._config import BankConfig
from connectors.bank._ipn import create_ipn_app
from connectors.bank._messages import QueryPayment
from connectors.bank._serve import CLIENT_CA_VARIABLE
from connectors.bank._sim import PaygovSimulator
from connectors.common import (
    VIETNAM,
    Inbound,
    PartnerSpec,
    Payload,
    Received,
    SimulatorServer,
    Workload,
)
from connectors.common.audit import SimulatorLedger
from connectors.common.demo import Calls, CallsHub, DemoPart, Stage
from connectors.outbox import PartnerClient
from hub.records import Payment, PaymentState
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import PAYMENTS

PROVIDER = "paygov"


def client() -> PartnerClient:
    config = BankConfig()
    config.require_secrets()
    return BankClient(config)


def simulator() -> PaygovSimulator:
    return PaygovSimulator(BankConfig())


def serve_ipn() -> None:
    from connectors.bank._serve import serve_ipn as serve
    from hub.settings import get_settings

    serve(get_settings(), BankConfig(), log_config=None)


class BankWorkload(Workload):
    """Per dossier: one PAYMENT_REQUEST per fee request (paygov), each its own reference. The
    samples add a status query and, once the payer paid, a refund of the first request."""

    read_only = frozenset({PAYMENT_STATUS_QUERY})

    def env(self, url: str) -> dict[str, str]:
        return {"DVC_BANK_PAYGOV_BASE_URL": url, "DVC_BANK_DEFAULT_PROVIDER": PROVIDER}

    @staticmethod
    def reference(dossier: int, step: int) -> str:
        return f"BP{dossier:05d}-F{step + 1:03d}"

    def payload(self, dossier: int, step: int) -> Payload:
        amount = self.amount(step)
        request = {"payment_reference": self.reference(dossier, step), "amount_vnd": amount,
                   "fee_lines": [{"code": "LP-01", "name": "Lệ phí", "kind": "CHARGE",
                                  "amount_vnd": amount}],
                   "beneficiary_account": "0123456789", "description": "Lệ phí cấp phép",
                   "provider": PROVIDER, "agency_code": None}  # fmt: skip
        return PAYMENT_REQUEST, "PaymentRequest", request

    @staticmethod
    def amount(step: int) -> int:
        return 50_000 + 1_000 * step

    def samples(self) -> tuple[Payload, ...]:
        reference, amount = self.reference(0, 0), self.amount(0)
        query = {"payment_reference": reference, "provider": PROVIDER, "query_number": 1,
                 "amount_vnd": amount}  # fmt: skip
        refund = {"payment_reference": reference, "refund_reference": f"{reference}-R1",
                  "provider": PROVIDER, "provider_transaction_id": None, "amount_vnd": amount,
                  "reason": "Dừng xử lý hồ sơ"}  # fmt: skip
        return (self.payload(0, 0), (PAYMENT_STATUS_QUERY, "PaymentStatusQuery", query),
                (PAYMENT_REFUND, "PaymentRefund", refund))  # fmt: skip

    def before(self, sim: SimulatorServer, payload: Payload) -> None:
        command_type, _, body = payload
        if command_type == PAYMENT_REFUND:  # only a paid payment is refunded
            PaygovSimulator.of(sim).pay(str(body["payment_reference"]), notify=False)

    def calls(self, sim: SimulatorServer) -> Counter[str]:
        sim = PaygovSimulator.of(sim)
        with sim.ledger.lock:
            operations = Counter(op for op, _, _ in sim.ledger.requests.values())
            queries = sim.ledger.api_calls.get(sim.dialect.api_path(QueryPayment), 0)
        return Counter({PAYMENT_REQUEST: operations["create"], PAYMENT_STATUS_QUERY: queries,
                        PAYMENT_REFUND: operations["refund"]})  # fmt: skip

    def received(self, sim: SimulatorServer) -> Received:
        sim = PaygovSimulator.of(sim)
        created, duplicates = len(sim.ledger.payments), sim.ledger.duplicate_count()
        return Received(created, duplicates, f"{created:,} payments created")

    def fail_next(self, sim: SimulatorServer, count: int) -> None:
        sim = PaygovSimulator.of(sim)
        sim.faults.api_fail_next += count

    def ledger(self, sim: SimulatorServer) -> SimulatorLedger:
        from hub.audit import PartnerCall  # only when the audit asks (connectors.common.audit)

        paygov = PaygovSimulator.of(sim)
        # the provider dedupes creations and refunds on their request id, the idempotency key;
        # a status query changes nothing (``read_only``) and names no dossier
        kinds = {"create": PAYMENT_REQUEST, "refund": PAYMENT_REFUND}

        def applied() -> list[PartnerCall]:
            with paygov.ledger.lock:
                requests = list(paygov.ledger.requests.items())
            return [PartnerCall(key, None, kinds[op]) for key, (op, _, _) in requests]

        return SimulatorLedger(BankClient.partner, frozenset(kinds.values()), applied)


def demo_simulator(calls: Calls | None) -> PaygovSimulator:
    if calls is None:
        return PaygovSimulator()
    return PaygovSimulator(ipn_url=calls.url, ipn_tls=calls.tls)


def _payment(stage: Stage, dossier_id: str) -> Payment | None:
    """The dossier's last payment once its payment URL is known."""
    # The decoding boundary: ``payments.state`` holds PaymentState records.
    decoded = cast(list[PaymentState], stage.read(PAYMENTS))
    states = [s for s in decoded if s["dossier_id"] == dossier_id]
    payment = states[-1]["payments"][-1] if states and states[-1]["payments"] else None
    return payment if payment and payment.get("payment_url") else None


def demo_story(stage: Stage, sim: PaygovSimulator) -> None:
    """Dossiers 2 (paid, IPN) and 3 (paid, callback lost, then stopped: refunded)."""
    sample = stage.sample
    two, three = sample.dossier_id(2), sample.dossier_id(3)
    stage.push(sample.submitted(2, "ONLINE", postal=False), sample.accepted(2),
               sample.fee_requested(2), sample.submitted(3, "ONLINE", postal=False),
               sample.accepted(3), sample.step(3), sample.fee_requested(3))  # fmt: skip
    payment = stage.wait(lambda: _payment(stage, two), 60, f"{two}'s payment URL")
    deliveries = sim.pay(payment["payment_reference"])
    answers = ", ".join(str(d.outcome.value if d.outcome else d.http_status)
                        for d in deliveries)  # fmt: skip
    stage.say(f"{two}: paid at paygov; its signed IPN (SHA-256 checksum) answered: {answers}")
    stage.wait(lambda: stage.events(two, "FEE_PAID"), 60, f"{two}'s FeePaid")
    payment = stage.wait(lambda: _payment(stage, three), 60, f"{three}'s payment URL")
    sim.pay(payment["payment_reference"], notify=False)
    stage.say(f"{three}: paid at paygov, no callback: waiting for the payments worker's "
              "status query")  # fmt: skip
    stage.wait(lambda: stage.events(three, "FEE_PAID"), 90, f"{three}'s FeePaid")
    rows = []
    for dossier, how in ((two, "IPN"), (three, "status query")):
        paid = stage.events(dossier, "FEE_PAID")
        found: Mapping[str, object] = _payment(stage, dossier) or {}
        rows.append((dossier, str(found.get("payment_reference")),
                     f"{found.get('amount_vnd'):,}", str(found.get("payment_url")),
                     f"{len(paid)} ({paid[0]['payload'][1]['method']}, {how})"))  # fmt: skip
    stage.table(("dossier", "payment reference", "VND", "payment URL", "FeePaid"), rows)
    stage.push(sample.step(2), sample.result_ready(2, "ONLINE"), sample.stopped(3))
    stage.publish(sample.result_signed(2))
    stage.push(sample.returned(2))
    stage.wait(lambda: stage.events(three, "PAYMENT_REFUNDED"), 60, "the refund")
    refunded = stage.events(three, "PAYMENT_REFUNDED")[0]["payload"][1]
    stage.say(f"{three}: processing stopped after payment -> refund "
              f"{refunded['refund_reference']} of {refunded['amount_vnd']:,} VND confirmed by "
              f"{refunded['provider']}")  # fmt: skip
    _reconciliation(stage, sim)


def _reconciliation(stage: Stage, sim: PaygovSimulator) -> None:
    from hub.payments import render_report, run_reconciliation

    day = datetime.now(VIETNAM).date()
    sim.add_unknown_payment(f"XX{stage.run_id}-FOREIGN", 50_000)  # paid at the provider only
    with tempfile.TemporaryDirectory() as folder:
        path = sim.write_reconciliation(day, Path(folder))
        report = run_reconciliation(stage.settings, day, PROVIDER, path)
    out = io.StringIO()
    render_report(report, "table", out)
    stage.say(f"reconciliation of paygov's file for {day} (dvchub report reconciliation):\n"
              + out.getvalue().rstrip())  # fmt: skip


def demo_app(settings: Settings, registry: RegistryClient) -> FastAPI:
    return create_ipn_app(settings, registry=registry)


DEMO = DemoPart(
    title="payments (paygov IPN)",
    simulator=demo_simulator,
    # the route of _ipn.build_app
    calls=CallsHub(
        "bank-ipn",
        demo_app,
        f"/v1/ipn/{PROVIDER}",
        # what `dvchub bank-ipn` binds by (its config) and takes the client CA from
        BankConfig.model_config["env_prefix"] + "HOST",
        BankConfig.model_config["env_prefix"] + "PORT",
        CLIENT_CA_VARIABLE,
    ),
    story=demo_story,
)

SPEC = PartnerSpec(
    name=BankClient.partner,
    command_types=BankClient.command_types,
    client=client,
    simulator=simulator,
    workload=BankWorkload(),
    inbound=(Inbound("bank-ipn", "Serve the payment providers' callbacks (IPN) on "
                     "DVC_BANK_HOST:PORT, over TLS (DVC_HTTP_TLS_*; the providers' client CAs: "
                     "DVC_BANK_CLIENT_CA_FILE).", serve_ipn),),
    demo=DEMO,
)  # fmt: skip
