"""Fixtures of the bank connector tests: test secrets, simulators, the IPN app served by uvicorn
in a thread over the real local Kafka, a stand-in for the payments processor (PaymentState
published to dvc.payments) and a reader of what reached dossier.events."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from connectors.bank import (
    BankConfig,
    BankSimulator,
    PaygovSimulator,
    VnpaySimulator,
    create_ipn_app,
)
from hub.events import payload_name_of
from hub.kafka import ensure_topics, make_producer, read_to_end
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, PAYMENTS

PAYGOV_SECRET = "test-paygov-secret-0001"
VNPAY_SECRET = "TESTVNPAYSECRET00000000000000002"


def make_config(**overrides: Any) -> BankConfig:
    values: dict[str, Any] = {
        "paygov_secret": PAYGOV_SECRET,
        "paygov_merchant_code": "DVCTEST",
        "vnpay_secret": VNPAY_SECRET,
        "vnpay_merchant_code": "DVCTEST1",
        "http_timeout_s": 2.0,
        "ack_timeout_s": 5.0,
        "start_timeout_s": 30.0,
        "paygov_max_callback_age_s": 600.0,
        "vnpay_max_callback_age_s": 600.0,
    }
    values.update(overrides)
    return BankConfig(**values)


@pytest.fixture
def bank_config() -> BankConfig:
    return make_config()


@dataclass
class RunningIpn:
    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread

    def ipn_url(self, provider: str) -> str:
        return f"{self.url}/v1/ipn/{provider}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0)

    def wait_known(self, count: int, timeout_s: float = 20.0) -> None:
        """Until the app has indexed ``count`` payment requests (its /ready says how many)."""
        deadline = time.monotonic() + timeout_s
        with self.client() as http:
            while http.get("/ready").json().get("payment_requests", 0) < count:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the IPN app did not index {count} requests")
                time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "uvicorn did not stop"


def start_ipn(
    settings: Settings, registry: RegistryClient, config: BankConfig, *, provision: bool = True
) -> RunningIpn:
    """The IPN app served on loopback; ``provision``: create ``dossier.events`` first (the
    provisioning's job: the app creates only the topics it follows)."""
    if provision:
        ensure_topics(settings, [DOSSIER_EVENTS])
    app = create_ipn_app(settings, config, registry=registry)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"ipn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the IPN app failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("the IPN app did not start in 60 s")
        time.sleep(0.02)
    return RunningIpn(f"http://127.0.0.1:{port}", app, server, thread)


@pytest.fixture
def ipn(
    settings: Settings, registry: RegistryClient, bank_config: BankConfig
) -> Iterator[RunningIpn]:
    running = start_ipn(settings, registry, bank_config)
    try:
        yield running
    finally:
        running.stop()


def new_reference() -> str:
    return f"HS{uuid.uuid4().hex[:10].upper()}-F1"


def payment_state(
    dossier_id: str,
    payments: list[tuple[str, int, str | None]],
    *,
    status: str = "REQUESTED",
) -> dict[str, Any]:
    """A PaymentState as the payments processor would fold it: (reference, amount, provider)."""
    now = datetime.now(UTC)
    return {
        "dossier_id": dossier_id,
        "agency_code": "SO-TP",
        "payments": [
            {
                "payment_reference": reference,
                "fee_request_event_id": str(uuid.uuid4()),
                "amount_vnd": amount,
                "fee_lines": [
                    {"code": "LP01", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": amount}
                ],
                "provider": provider,
                "status": status,
                "payment_url": None,
                "provider_transaction_id": None,
                "requested_at": now,
                "paid_at": None,
                "paid_amount_vnd": None,
                "paid_count": 0,
                "refund_reference": None,
                "refunded_at": None,
                "status_queries": 0,
                "next_query_at": None,
            }
            for reference, amount, provider in payments
        ],
        "dossier_status": "FEE_REQUESTED",
        "seen_events": b"",
        "version": 1,
        "updated_at": now,
    }


class PaymentsStandIn:
    """Publishes PaymentState records to dvc.payments, as hub/payments would."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self.settings = settings
        self.serde = serde_for(PAYMENTS, settings.topic_prefix, registry)
        self.topic = PAYMENTS.name(settings.topic_prefix)

    def publish(self, state: dict[str, Any]) -> None:
        producer = make_producer(self.settings)
        try:
            future = producer.send(
                self.topic, key=state["dossier_id"].encode(), value=self.serde.encode(state)
            )
            future.get(timeout=10)
        finally:
            producer.close()

    def request(
        self, dossier_id: str, reference: str, amount_vnd: int, provider: str | None = None
    ) -> None:
        self.publish(payment_state(dossier_id, [(reference, amount_vnd, provider)]))


@pytest.fixture
def payments(settings: Settings, registry: RegistryClient) -> PaymentsStandIn:
    return PaymentsStandIn(settings, registry)


def dossier_events(
    settings: Settings, registry: RegistryClient, payload_name: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(key, decoded event) of every record now on dossier.events, optionally of one type."""
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    found = []
    for record in read_to_end(settings, DOSSIER_EVENTS.name(settings.topic_prefix), timeout_s=30):
        event = serde.decode(record.value)
        if payload_name is None or payload_name_of(event) == payload_name:
            found.append((record.key.decode(), event))
    return found


SIMULATORS = {"paygov": PaygovSimulator, "vnpay": VnpaySimulator}


@pytest.fixture(params=["paygov", "vnpay"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sim(provider: str, bank_config: BankConfig, ipn: RunningIpn) -> Iterator[BankSimulator]:
    with SIMULATORS[provider](bank_config, ipn_url=ipn.ipn_url(provider)) as sim:
        sim.faults.callback_backoff_s = 0.05
        yield sim
