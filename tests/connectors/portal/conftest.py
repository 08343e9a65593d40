"""Fixtures of the portal connector tests: a real uvicorn server on a free loopback port, and
helpers that read back what reached the real Kafka broker."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from kafka import KafkaConsumer, TopicPartition

from connectors.portal import PortalConfig, create_app
from hub.kafka import make_consumer, security_config
from hub.processing import free_port
from hub.serde import AvroSerde, RegistryClient
from hub.settings import Settings

PORTAL_KEY = "test-portal-key-0001"
NATIONAL_KEY = "test-national-key-0002"
DESK_KEY = "test-desk-key-0003"
VNPOST_KEY = "test-vnpost-key-0004"
API_KEYS = (
    f"PROVINCIAL_PORTAL:{PORTAL_KEY},NATIONAL_PORTAL:{NATIONAL_KEY},"
    f"ONE_STOP_DESK:{DESK_KEY},VNPOST:{VNPOST_KEY}"
)


def make_config(**overrides: Any) -> PortalConfig:
    values: dict[str, Any] = {"api_keys": API_KEYS, "ack_timeout_s": 5.0, "retry_after_s": 2}
    values.update(overrides)
    return PortalConfig(**values)


@dataclass
class RunningPortal:
    """A connector served by uvicorn in a background thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, api_key: str | None = PORTAL_KEY) -> httpx.Client:
        headers = {"X-API-Key": api_key} if api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "uvicorn did not stop"


def start_portal(
    settings: Settings, registry: RegistryClient, config: PortalConfig, *, port: int | None = None
) -> RunningPortal:
    app = create_app(settings, config, registry=registry)
    port = free_port() if port is None else port
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"portal-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the portal connector failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("the portal connector did not start in 60 s")
        time.sleep(0.02)
    return RunningPortal(f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture
def portal_config() -> PortalConfig:
    return make_config()


@pytest.fixture
def portal(
    hub_topics: Settings, registry: RegistryClient, portal_config: PortalConfig
) -> Iterator[RunningPortal]:
    running = start_portal(hub_topics, registry, portal_config)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def http(portal: RunningPortal) -> Iterator[httpx.Client]:
    with portal.client() as client:
        yield client


def records_in(settings: Settings, topic: str) -> int:
    """How many records ``topic`` holds (end offsets; no consumer group needed)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=None, **security_config(settings)
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return sum(ends.values())
    finally:
        consumer.close()


def read_back(
    settings: Settings, topic: str, serde: AvroSerde, count: int
) -> list[tuple[bytes, dict[str, Any]]]:
    """The first ``count`` records of ``topic`` as (key, decoded value), via a fresh group."""
    consumer = make_consumer(
        settings, topic, group_id=f"test-portal-{uuid.uuid4().hex}", consumer_timeout_ms=500
    )
    found: list[tuple[bytes, dict[str, Any]]] = []
    deadline = time.monotonic() + 30
    try:
        while len(found) < count and time.monotonic() < deadline:
            for message in consumer:
                found.append((message.key, serde.decode(message.value)))
                if len(found) == count:
                    break
    finally:
        consumer.close()
    assert len(found) == count, f"read {len(found)} of {count} records from {topic}"
    return found
