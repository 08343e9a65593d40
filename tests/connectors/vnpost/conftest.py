"""Fixtures: the VNPost simulator on a free port, the zeep client bound to it, the hub's
callback endpoint served by uvicorn in a thread over the real Kafka and registry, and the
outbox's side: orders created at the simulator as the outbox creates them, their outcomes on the
real partner.outcomes topic (the orders the callback endpoint accepts callbacks for)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn

from connectors.outbox import Command
from connectors.outbox._outcomes import ACCEPTED, Finished
from connectors.vnpost import (
    CALLBACK_PATH,
    PARTNER,
    POSTAL_ORDER,
    VnpostClient,
    VnpostConfig,
    VnpostSimulator,
    create_callback_app,
)
from hub.kafka import ensure_topics, make_producer, read_to_end
from hub.processing import free_port
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, PARTNER_OUTCOMES
from tests.connectors.vnpost import samples

HUB_USER, HUB_PASSWORD = "dvchub-test", "hub-secret-for-vnpost-1"
CALLBACK_USER, CALLBACK_PASSWORD = "vnpost-test", "vnpost-secret-for-hub-1"
#: The client gives up after this; the simulator's "timeout" sleeps longer.
CLIENT_TIMEOUT_S = 1.0


def client_config(url: str, **overrides: Any) -> VnpostConfig:
    values: dict[str, Any] = {
        "url": url,
        "username": HUB_USER,
        "password": HUB_PASSWORD,
        "operation_timeout_s": CLIENT_TIMEOUT_S,
        "callback_users": f"{CALLBACK_USER}:{CALLBACK_PASSWORD}",
        "ack_timeout_s": 5.0,
    }
    values.update(overrides)
    return VnpostConfig(**values)


@pytest.fixture
def sim() -> Iterator[VnpostSimulator]:
    simulator = VnpostSimulator(
        username=HUB_USER,
        password=HUB_PASSWORD,
        callback_username=CALLBACK_USER,
        callback_password=CALLBACK_PASSWORD,
        timeout_sleep_s=CLIENT_TIMEOUT_S + 1.5,
    )
    with simulator:
        yield simulator


@pytest.fixture
def client(sim: VnpostSimulator) -> Iterator[VnpostClient]:
    vnpost = VnpostClient(client_config(sim.url))
    yield vnpost
    vnpost.close()


@dataclass
class RunningEndpoint:
    """The callback app served by uvicorn in a background thread."""

    base_url: str
    server: uvicorn.Server
    thread: threading.Thread
    app: Any

    @property
    def url(self) -> str:
        return f"{self.base_url}{CALLBACK_PATH}"

    def post(self, body: bytes, content_type: str = "text/xml; charset=utf-8") -> httpx.Response:
        return httpx.post(self.url, content=body, headers={"Content-Type": content_type},
                          timeout=30.0)  # fmt: skip

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "uvicorn did not stop"


def start_endpoint(
    settings: Settings, registry: RegistryClient, config: VnpostConfig, *, port: int | None = None
) -> RunningEndpoint:
    port = free_port() if port is None else port
    if config.public_url is None:  # the address the served WSDL publishes
        config = config.model_copy(update={"public_url": f"http://127.0.0.1:{port}{CALLBACK_PATH}"})
    app = create_callback_app(settings, config, registry=registry)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"vnpost-callbacks-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the callback endpoint failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("the callback endpoint did not start in 60 s")
        time.sleep(0.02)
    return RunningEndpoint(f"http://127.0.0.1:{port}", server, thread, app)


@pytest.fixture
def event_topic(settings: Settings) -> Settings:
    """``settings`` after creating this test's dossier.events (the only topic produced to)."""
    ensure_topics(settings, [DOSSIER_EVENTS])
    return settings


@pytest.fixture
def endpoint(event_topic: Settings, registry: RegistryClient) -> Iterator[RunningEndpoint]:
    running = start_endpoint(event_topic, registry, client_config("http://unused.invalid"))
    yield running
    running.stop()


@pytest.fixture
def hub_sim(sim: VnpostSimulator, endpoint: RunningEndpoint) -> VnpostSimulator:
    """The simulator, sending its callbacks to the running endpoint."""
    sim.callback_url = endpoint.url
    return sim


def dossier_events(settings: Settings, registry: RegistryClient) -> list[dict[str, Any]]:
    """Every record on this test's dossier.events, decoded, in offset order per partition."""
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    return [serde.decode(r.value) for r in read_to_end(settings, topic, timeout_s=30)]


class Outbox:
    """The outbox's part, by its own pieces: a PostalOrder command called through the
    ``VnpostClient`` (the order is real, at the simulator), then the command's PartnerOutcome
    (``Finished.outcome_record``) produced to this test's partner.outcomes and acknowledged."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self.settings = settings
        self.serde = serde_for(PARTNER_OUTCOMES, settings.topic_prefix, registry)
        self.topic = PARTNER_OUTCOMES.name(settings.topic_prefix)

    def order(self, sim: VnpostSimulator, direction: str = "RESULT_DELIVERY") -> tuple[str, str]:
        """A real order at ``sim`` and its outcome on the topic: (waybill, order number)."""
        command = samples.command(POSTAL_ORDER, "PostalOrder", samples.order_payload(direction))
        client = VnpostClient(client_config(sim.url))
        try:
            accepted = client.call(command, 1)
        finally:
            client.close()
        assert accepted.reference is not None
        self.record(command, accepted.reference)
        return accepted.reference, command.dossier_id

    def record(self, command: Command, waybill: str, *, partner: str = PARTNER) -> None:
        """The ACCEPTED outcome of ``command`` with ``waybill``, as the outbox writes it."""
        self._produce([(command, waybill, partner)])

    def _produce(self, outcomes: list[tuple[Command, str, str]]) -> None:
        now = datetime.now(UTC)
        producer = make_producer(self.settings)
        try:
            sent = [
                producer.send(
                    self.topic,
                    key=command.dossier_id.encode(),
                    value=self.serde.encode(
                        Finished(
                            command, partner, ACCEPTED, 1, now, now, reference=reference
                        ).outcome_record()
                    ),
                )
                for command, reference, partner in outcomes
            ]
            for future in sent:
                future.get(30)
        finally:
            producer.close()

    def sent(self, waybill: str, dossier_id: str, *, behind: int = 0) -> None:
        """An order the hub created for ``dossier_id`` with ``waybill`` (no simulator call);
        ``behind``: after as many outcomes of another partner's commands, in the same burst,
        which a view of the topic must read (and skip) before it reaches the order."""
        other = samples.order_payload()
        burst = [(samples.command("NATIONAL_DOSSIER_SYNC", "DossierSync", other), "R", "national")
                 for _ in range(behind)]  # fmt: skip
        payload = samples.order_payload(order_number=dossier_id)
        burst.append((samples.command(POSTAL_ORDER, "PostalOrder", payload), waybill, PARTNER))
        self._produce(burst)


@pytest.fixture
def outbox(event_topic: Settings, registry: RegistryClient) -> Outbox:
    ensure_topics(event_topic, [PARTNER_OUTCOMES])
    return Outbox(event_topic, registry)
