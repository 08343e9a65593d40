"""The simulator sends a callback again while the hub cannot take it, as VNPost does: nobody
listening (the endpoint restarting) or a Server fault ("send it again"), each send re-signed;
a Client fault is final, and with no retry window a callback nobody takes raises."""

from __future__ import annotations

import threading

import httpx
import pytest

from connectors.vnpost import CALLBACK_PATH, VnpostSimulator
from hub.processing import free_port
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.vnpost.conftest import (
    Outbox,
    RunningEndpoint,
    client_config,
    dossier_events,
    start_endpoint,
)

#: The endpoint comes up this long after the first send.
DOWN_S = 2.0


def test_a_callback_nobody_takes_is_sent_again_until_the_endpoint_is_back(
    sim: VnpostSimulator, event_topic: Settings, registry: RegistryClient, outbox: Outbox
) -> None:
    waybill, dossier = outbox.order(sim)
    port = free_port()
    sim.callback_url = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    started: list[RunningEndpoint] = []

    def come_back() -> None:
        config = client_config("http://unused.invalid")
        started.append(start_endpoint(event_topic, registry, config, port=port))

    later = threading.Timer(DOWN_S, come_back)
    later.start()
    try:
        result = sim.deliver(waybill, "COLLECTED")
    finally:
        later.join()
        for endpoint in started:
            endpoint.stop()
    assert result.result == "ACCEPTED"
    sent = sim.callbacks[-1]
    assert sent.attempts > 1
    # one event however many sends: only the last reached the hub
    assert [e["dossier_id"] for e in dossier_events(event_topic, registry)] == [dossier]


def test_a_refused_callback_is_sent_once(
    hub_sim: VnpostSimulator, event_topic: Settings, registry: RegistryClient, outbox: Outbox
) -> None:
    waybill, _ = outbox.order(hub_sim)
    result = hub_sim.deliver(waybill, "COLLECTED", order_number="DOSSIER-OF-SOMEONE")
    assert result.fault is not None
    assert (result.fault.code, result.fault.error_code) == ("soap:Client", "ORDER_MISMATCH")
    assert hub_sim.callbacks[-1].attempts == 1
    assert dossier_events(event_topic, registry) == []


def test_without_a_retry_window_a_callback_nobody_takes_raises(
    sim: VnpostSimulator, event_topic: Settings, outbox: Outbox
) -> None:
    waybill, _ = outbox.order(sim)
    sim.callback_url = f"http://127.0.0.1:{free_port()}{CALLBACK_PATH}"
    sim.callback_retry_for_s = 0.0
    with pytest.raises(httpx.ConnectError):
        sim.deliver(waybill, "COLLECTED")
    assert sim.callbacks == []
