"""The callback endpoint over the real Kafka and registry, driven by the simulator's signed
callbacks and by hand-made hostile ones. "Nothing produced" is read back from the topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import zeep
from zeep.wsse.username import UsernameToken

from connectors.vnpost import (
    EVENT_ID_NAMESPACE,
    VnpostClient,
    VnpostSimulator,
    new_waybill,
    read_fault,
    security_header,
)
from connectors.vnpost._soap import element, envelope, optional
from hub.events import payload_name_of
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.vnpost import samples
from tests.connectors.vnpost.conftest import (
    CALLBACK_PASSWORD,
    CALLBACK_USER,
    Outbox,
    RunningEndpoint,
    client_config,
    dossier_events,
    start_endpoint,
)

#: Other outcomes produced just before an order's: the endpoint's view is behind by as many.
BACKLOG = 5_000
#: An orders-view wait no follower can meet (it polls the broker between catch-ups).
TOO_SHORT_S = 1e-6


def notify(
    waybill: str = "EE123456785VN",
    status: str = "COLLECTED",
    *,
    order_number: str = "000.00.01.H29-260302-0001",
    service_type: str = "DELIVERY",
    event_time: str = "2026-03-02T09:15:00+07:00",
    callback_id: str | None = None,
    user: str = CALLBACK_USER,
    password: str = CALLBACK_PASSWORD,
    created: datetime | None = None,
    location: str | None = "Bưu cục Bến Thành",
) -> bytes:
    payload = element(
        "NotifyStatusRequest",
        element("CallbackId", text=callback_id or str(uuid.uuid4())),
        element("WaybillNumber", text=waybill),
        element("OrderNumber", text=order_number),
        element("ServiceType", text=service_type),
        element("Status", text=status),
        element("EventTime", text=event_time),
        optional("Location", location),
    )
    return envelope(payload, [security_header(user, password, created=created)])


def fault_of(answer: httpx.Response) -> tuple[int, str, str]:
    fault = read_fault(answer.content)
    assert fault is not None, answer.text
    return answer.status_code, fault.code, fault.message


def metric(endpoint: RunningEndpoint, outcome: str) -> float:
    text = httpx.get(f"{endpoint.base_url}/metrics").text
    line = f'dvchub_vnpost_callbacks_total{{outcome="{outcome}"}} '
    return float(next(row for row in text.splitlines() if row.startswith(line)).split()[-1])


# -- valid callbacks ---------------------------------------------------------------------------


def client_fault_of(answer: Any, name: str, error_code: str, message: str) -> Any:
    """The SOAP Client fault ``answer`` carries, checked: HTTP 500, the code and the reason."""
    fault = read_fault(answer.content)
    assert fault is not None, name
    assert (answer.status_code, fault.code, fault.error_code) == (500, "soap:Client", error_code), (
        name
    )
    assert message in fault.message, name
    return fault


def test_a_callback_becomes_one_postal_status_changed(
    hub_sim: VnpostSimulator,
    endpoint: RunningEndpoint,
    event_topic: Settings,
    registry: RegistryClient,
    outbox: Outbox,
) -> None:
    waybill, order_number = outbox.order(hub_sim)
    at = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
    result = hub_sim.deliver(waybill, "COLLECTED", event_time=at, callback_id="cb-0001")
    assert (result.http_status, result.result) == (200, "ACCEPTED")
    [event] = dossier_events(event_topic, registry)
    assert payload_name_of(event) == "PostalStatusChanged"
    assert event["dossier_id"] == order_number
    assert event["source"] == "VNPOST"
    assert event["source_event_id"] == "cb-0001"
    assert event["occurred_at"] == at
    assert str(event["event_id"]) == str(
        uuid.uuid5(EVENT_ID_NAMESPACE, f"{waybill}|COLLECTED|cb-0001")
    )
    assert event["payload"][1] == {
        "direction": "RESULT_DELIVERY",
        "waybill_number": waybill,
        "status": "COLLECTED",
        "location": "Bưu cục trung tâm",
        "note": None,
    }
    assert metric(endpoint, "accepted") == 1


def test_a_duplicate_callback_is_acknowledged_and_not_produced_again(
    hub_sim: VnpostSimulator,
    endpoint: RunningEndpoint,
    event_topic: Settings,
    registry: RegistryClient,
    outbox: Outbox,
) -> None:
    waybill, number = outbox.order(hub_sim)
    hub_sim.duplicate_callbacks = True  # every callback is sent twice, re-signed
    assert hub_sim.deliver(waybill, "COLLECTED").result == "ACCEPTED"
    sent = hub_sim.callbacks[-1]
    assert sent.result.result == "DUPLICATE"
    assert hub_sim.resend(sent).result == "DUPLICATE"
    assert len(dossier_events(event_topic, registry)) == 1
    assert metric(endpoint, "duplicate") == 2
    # The same callback id with other content is a partner bug, refused.
    answer = endpoint.post(
        notify(waybill, "IN_TRANSIT", order_number=number, callback_id=sent.callback_id)
    )
    assert fault_of(answer)[:2] == (500, "soap:Client")
    assert "used before with other content" in fault_of(answer)[2]
    assert len(dossier_events(event_topic, registry)) == 1


def test_a_duplicate_after_a_restart_is_still_a_duplicate(
    hub_sim: VnpostSimulator,
    endpoint: RunningEndpoint,
    event_topic: Settings,
    registry: RegistryClient,
    outbox: Outbox,
) -> None:
    waybill, _ = outbox.order(hub_sim)
    hub_sim.deliver(waybill, "COLLECTED")
    endpoint.stop()
    restarted = start_endpoint(event_topic, registry, client_config("http://unused.invalid"))
    try:
        hub_sim.callback_url = restarted.url
        assert hub_sim.resend(hub_sim.callbacks[-1]).result == "DUPLICATE"
    finally:
        restarted.stop()
    assert len(dossier_events(event_topic, registry)) == 1


def test_out_of_order_callbacks_are_each_recorded_at_their_own_time(
    hub_sim: VnpostSimulator, event_topic: Settings, registry: RegistryClient, outbox: Outbox
) -> None:
    waybill, _ = outbox.order(hub_sim, "INTAKE_PICKUP")
    start = hub_sim.order(waybill).created_at + timedelta(seconds=1)
    results = hub_sim.out_of_order(waybill, ["COLLECTING", "COLLECTED", "IN_TRANSIT"])
    assert [r.result for r in results] == ["ACCEPTED"] * 3
    events = dossier_events(event_topic, registry)
    assert [e["payload"][1]["status"] for e in events] == ["IN_TRANSIT", "COLLECTED", "COLLECTING"]
    assert [e["occurred_at"] for e in events] == [start + timedelta(minutes=m) for m in (2, 1, 0)]
    assert {e["payload"][1]["direction"] for e in events} == {"INTAKE_PICKUP"}
    assert hub_sim.order(waybill).status == "IN_TRANSIT"  # the simulator's view: the newest


def test_delivery_to_the_citizen_also_returns_the_result(
    hub_sim: VnpostSimulator, event_topic: Settings, registry: RegistryClient, outbox: Outbox
) -> None:
    waybill, order_number = outbox.order(hub_sim, "RESULT_DELIVERY")
    results = hub_sim.advance_all(until_final=True)
    assert [r.result for r in results] == ["ACCEPTED"] * 3
    events = dossier_events(event_topic, registry)
    names = [(payload_name_of(e), e["payload"][1].get("status")) for e in events]
    assert names == [
        ("PostalStatusChanged", "COLLECTED"),
        ("PostalStatusChanged", "IN_TRANSIT"),
        ("PostalStatusChanged", "DELIVERED"),
        ("ResultReturned", None),
    ]
    returned = events[-1]
    assert returned["payload"][1] == {"return_channel": "POSTAL", "waybill_number": waybill}
    assert returned["dossier_id"] == order_number
    assert returned["occurred_at"] == events[-2]["occurred_at"]
    assert hub_sim.order(waybill).status == "DELIVERED_TO_CITIZEN"


def test_a_pickup_ends_delivered_to_the_agency_without_a_result(
    hub_sim: VnpostSimulator, event_topic: Settings, registry: RegistryClient, outbox: Outbox
) -> None:
    waybill, _ = outbox.order(hub_sim, "INTAKE_PICKUP")
    hub_sim.advance_all(until_final=True)
    events = dossier_events(event_topic, registry)
    assert [e["payload"][1]["status"] for e in events] == [
        "COLLECTING", "COLLECTED", "IN_TRANSIT", "DELIVERED",
    ]  # fmt: skip
    assert {payload_name_of(e) for e in events} == {"PostalStatusChanged"}
    hub_sim.deliver(waybill, "RETURNED")
    hub_sim.deliver(waybill, "FAILED")
    statuses = [e["payload"][1]["status"] for e in dossier_events(event_topic, registry)]
    assert statuses[-2:] == ["RETURNED", "DELIVERY_FAILED"]


def test_zeep_can_call_the_endpoint_from_the_wsdl_it_serves(
    endpoint: RunningEndpoint, event_topic: Settings, registry: RegistryClient, outbox: Outbox
) -> None:
    outbox.sent(new_waybill(42), "DOSSIER-1")
    wsdl = httpx.get(f"{endpoint.url}?wsdl")
    assert wsdl.status_code == 200
    assert f'location="{endpoint.url}"' in wsdl.text
    token = UsernameToken(  # type: ignore[no-untyped-call]
        CALLBACK_USER, CALLBACK_PASSWORD, use_digest=True, zulu_timestamp=True
    )
    caller = zeep.Client(f"{endpoint.url}?wsdl", wsse=token)  # type: ignore[no-untyped-call]
    service = caller.bind("PostalCallbackService", "PostalCallbackPort")
    reply = service.NotifyStatus(
        CallbackId="zeep-1", WaybillNumber=new_waybill(42), OrderNumber="DOSSIER-1",
        ServiceType="DELIVERY", Status="IN_TRANSIT",
        EventTime=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    assert (reply.CallbackId, reply.Result) == ("zeep-1", "ACCEPTED")
    [event] = dossier_events(event_topic, registry)
    assert event["dossier_id"] == "DOSSIER-1"


def test_the_wsdl_address_is_configured_not_taken_from_the_host_header(
    endpoint: RunningEndpoint,
) -> None:
    wsdl = httpx.get(f"{endpoint.url}?wsdl", headers={"Host": "attacker.example:80"})
    assert wsdl.status_code == 200
    assert f'location="{endpoint.url}"' in wsdl.text
    assert "attacker.example" not in wsdl.text


def test_ready_and_metrics(endpoint: RunningEndpoint) -> None:
    ready = httpx.get(f"{endpoint.base_url}/ready")
    assert ready.status_code == 200
    assert ready.json()["broker_reachable"] is True
    metrics = httpx.get(f"{endpoint.base_url}/metrics").text
    assert 'dvchub_vnpost_callbacks_total{outcome="accepted"} 0.0' in metrics


# -- refusals: a fault, and nothing on the topic -----------------------------------------------
def test_a_callback_is_accepted_only_for_an_order_the_hub_created_with_that_order_number(
    hub_sim: VnpostSimulator,
    endpoint: RunningEndpoint,
    event_topic: Settings,
    registry: RegistryClient,
    outbox: Outbox,
) -> None:
    mine, my_dossier = outbox.order(hub_sim)
    other, other_dossier = outbox.order(hub_sim)
    # An order made at VNPost with the hub's credentials but not by the outbox: no outcome.
    stray = VnpostClient(client_config(hub_sim.url))
    try:
        foreign = stray.create_order(samples.order(), f"cmd-{uuid.uuid4()}")
    finally:
        stray.close()
    never_issued = new_waybill(99_999_999)
    cases: list[tuple[str, bytes, str, str]] = [
        ("waybill of no order of the hub", notify(foreign.waybill_number,
         order_number=foreign.order_number), "UNKNOWN_ORDER", "no order the hub created"),
        ("waybill never issued", notify(never_issued, order_number=my_dossier),
         "UNKNOWN_ORDER", "no order the hub created"),
        # VNPost credentials and a real waybill moving another dossier: the attack itself.
        ("another dossier's number", notify(mine, order_number=other_dossier),
         "ORDER_MISMATCH", f"OrderNumber {other_dossier} is not the order"),
        ("a made-up number", notify(other, order_number="DOSSIER-OF-SOMEONE"),
         "ORDER_MISMATCH", "is not the order the hub created"),
    ]  # fmt: skip
    for name, body, error_code, message in cases:
        fault = client_fault_of(endpoint.post(body), name, error_code, message)
        assert my_dossier not in fault.message, name  # the real dossier is not told
    assert dossier_events(event_topic, registry) == []
    assert metric(endpoint, "unknown_order") == 2
    assert metric(endpoint, "order_mismatch") == 2
    # The genuine callbacks still go through.
    assert hub_sim.deliver(mine, "IN_TRANSIT").result == "ACCEPTED"
    assert endpoint.post(notify(other, order_number=other_dossier)).status_code == 200
    assert {e["dossier_id"] for e in dossier_events(event_topic, registry)} == {
        my_dossier,
        other_dossier,
    }


def test_an_order_created_a_moment_ago_is_not_refused(
    endpoint: RunningEndpoint,
    event_topic: Settings,
    registry: RegistryClient,
    outbox: Outbox,
) -> None:
    """The callback right after its order's outcome was acknowledged, behind a burst of other
    outcomes the endpoint's view has yet to read: the endpoint waits for its view to reach the
    topic's end rather than refusing the order as unknown."""
    waybill = new_waybill(31_415_926)
    outbox.sent(waybill, "DOSSIER-NEW", behind=BACKLOG)
    answer = endpoint.post(notify(waybill, order_number="DOSSIER-NEW"))
    assert answer.status_code == 200, answer.text
    assert [e["dossier_id"] for e in dossier_events(event_topic, registry)] == ["DOSSIER-NEW"]
    assert metric(endpoint, "unknown_order") == 0


def test_a_view_that_cannot_catch_up_in_time_answers_a_server_fault(
    event_topic: Settings, registry: RegistryClient
) -> None:
    """An unknown waybill cannot be told from a lagging view: "send it again", not refused."""
    config = client_config("http://unused.invalid", order_wait_s=TOO_SHORT_S)
    running = start_endpoint(event_topic, registry, config)
    try:
        unknown = new_waybill(77_777_777)
        answer = running.post(notify(unknown, order_number="DOSSIER-1"))
        assert fault_of(answer)[:2] == (500, "soap:Server")
        assert "send the notification again" in fault_of(answer)[2]
        assert metric(running, "orders_lagging") == 1
        assert httpx.get(f"{running.base_url}/ready").json()["orders"] == 0
    finally:
        running.stop()
    assert dossier_events(event_topic, registry) == []
