"""The payment providers (paygov, VNPAY) as the hub sees them from outside this package: ``SPEC``.

The bench and the contract test drive paygov, the default provider of the development
configuration (``DVC_BANK_DEFAULT_PROVIDER``); ``tests/connectors/bank`` runs both dialects.
"""

from __future__ import annotations

from collections import Counter

from connectors.bank._client import (
    PAYMENT_REFUND,
    PAYMENT_REQUEST,
    PAYMENT_STATUS_QUERY,
    BankClient,
)
from connectors.bank._config import BankConfig
from connectors.bank._messages import QueryPayment
from connectors.bank._sim import PaygovSimulator
from connectors.common import Inbound, PartnerSpec, Payload, Received, SimulatorServer, Workload
from connectors.outbox import PartnerClient

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


SPEC = PartnerSpec(
    name=BankClient.partner,
    command_types=BankClient.command_types,
    client=client,
    simulator=simulator,
    workload=BankWorkload(),
    inbound=(Inbound("bank-ipn", "Serve the payment providers' callbacks (IPN) on "
                     "DVC_BANK_HOST:PORT, over TLS (DVC_HTTP_TLS_*; the providers' client CAs: "
                     "DVC_BANK_CLIENT_CA_FILE).", serve_ipn),),
)  # fmt: skip
