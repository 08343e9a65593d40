"""VNPost callbacks refused for their credentials or their content: a SOAP fault and nothing
produced (split from test_callbacks.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from connectors.vnpost import (
    VnpostSimulator,
    new_waybill,
    security_header,
)
from connectors.vnpost._soap import element, envelope
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.vnpost.conftest import (
    CALLBACK_PASSWORD,
    CALLBACK_USER,
    Outbox,
    RunningEndpoint,
    dossier_events,
)
from tests.connectors.vnpost.test_callbacks import (
    client_fault_of,
    fault_of,
    metric,
    notify,
)


def test_forged_expired_replayed_and_unknown_are_refused(
    hub_sim: VnpostSimulator,
    endpoint: RunningEndpoint,
    event_topic: Settings,
    registry: RegistryClient,
    outbox: Outbox,
) -> None:
    waybill, number = outbox.order(hub_sim)
    valid_once = notify(waybill, order_number=number)
    assert endpoint.post(valid_once).status_code == 200
    before = len(dossier_events(event_topic, registry))
    stale = datetime.now(UTC) - timedelta(minutes=6)
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    cases: list[tuple[str, bytes, str, str]] = [
        ("forged digest", notify(waybill, order_number=number, password="guess"),
         "wsse:FailedAuthentication", "unknown user or wrong password digest"),
        ("unknown user", notify(waybill, order_number=number, user="mallory"),
         "wsse:FailedAuthentication", "unknown user or wrong password digest"),
        ("expired Created", notify(waybill, order_number=number, created=stale),
         "wsse:MessageExpired", "older than the replay window"),
        ("Created ahead", notify(waybill, order_number=number, created=ahead),
         "wsse:InvalidSecurityToken", "in the future"),
        ("replayed nonce", valid_once, "wsse:FailedAuthentication", "nonce was already used"),
        ("no header", envelope(etree.fromstring(valid_once)[1][0]),
         "wsse:InvalidSecurity", "no wsse:Security header"),
    ]  # fmt: skip
    for name, body, code, message in cases:
        status, got_code, got_message = fault_of(endpoint.post(body))
        assert (status, got_code) == (500, code), name
        assert message in got_message, name
    # The simulator's own knobs: a wrong password and a slow clock.
    hub_sim.callback_password = "not-it"
    assert hub_sim.deliver(waybill, "IN_TRANSIT").fault.code == "wsse:FailedAuthentication"  # type: ignore[union-attr]
    hub_sim.callback_password, hub_sim.callback_clock_offset_s = CALLBACK_PASSWORD, -600
    assert hub_sim.deliver(waybill, "IN_TRANSIT").fault.code == "wsse:MessageExpired"  # type: ignore[union-attr]
    hub_sim.callback_clock_offset_s = 0
    assert hub_sim.deliver(waybill, "IN_TRANSIT").result == "ACCEPTED"
    replayed = hub_sim.resend(hub_sim.callbacks[-1], replay=True)  # the same bytes, nonce and all
    assert replayed.fault is not None
    assert replayed.fault.code == "wsse:FailedAuthentication"
    assert len(dossier_events(event_topic, registry)) == before + 1
    assert metric(endpoint, "unauthenticated") == 4
    assert metric(endpoint, "expired") == 3
    assert metric(endpoint, "replayed") == 2


XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<NotifyStatusRequest xmlns="urn:vn:vnpost:dvc:postal:v1"><CallbackId>&xxe;</CallbackId>'
    "</NotifyStatusRequest></soap:Body></soap:Envelope>"
)
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + ']>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soap:Body><x>&lol9;</x></soap:Body></soap:Envelope>"
)


def test_hostile_and_broken_xml_is_refused(
    endpoint: RunningEndpoint, event_topic: Settings, registry: RegistryClient
) -> None:
    signed = notify()
    doctype = signed.replace(b"?>", b"?><!DOCTYPE soap:Envelope>", 1)
    huge = signed.replace(b"</soap:Envelope>", b"<!--" + b"x" * 70_000 + b"--></soap:Envelope>")
    soap12 = b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>'
    cases: list[tuple[str, bytes, str, int, str]] = [
        ("xxe", XXE.encode(), "text/xml", 400, "DOCTYPE is not allowed"),
        ("billion laughs", LAUGHS.encode(), "text/xml", 400, "DOCTYPE is not allowed"),
        ("doctype", doctype, "text/xml", 400, "DOCTYPE is not allowed"),
        ("oversize", huge, "text/xml", 413, "exceeds the limit of 65536 bytes"),
        ("not xml", b"hello", "text/xml", 400, "not well-formed XML"),
        ("json", b"{}", "application/json", 415, "SOAP 1.1 is sent as text/xml"),
        ("soap 1.2", soap12, "text/xml", 500, "SOAP 1.2 envelope"),
    ]
    for name, body, content_type, status, message in cases:
        answer = endpoint.post(body, content_type)
        got_status, code, got_message = fault_of(answer)
        assert (got_status, code.startswith("soap:")) == (status, True), name
        assert message in got_message, name
        assert "root:" not in answer.text, name  # /etc/passwd was never read
    assert dossier_events(event_topic, registry) == []
    assert metric(endpoint, "unsafe_xml") == 3
    assert metric(endpoint, "too_large") == 1


def test_invalid_notices_are_refused(
    endpoint: RunningEndpoint, event_topic: Settings, registry: RegistryClient
) -> None:
    good = new_waybill(12345678)
    bad = f"{good[:10]}{(int(good[10]) + 1) % 10}VN"
    wrong_operation = envelope(
        element("TrackOrderRequest", element("WaybillNumber", text=good)),
        [security_header(CALLBACK_USER, CALLBACK_PASSWORD)],
    )
    cases: list[tuple[str, bytes, str, str]] = [
        ("bad check digit", notify(bad), "INVALID_WAYBILL", "wrong S10 check digit"),
        ("not s10", notify("EE1234VN"), "INVALID_REQUEST", "WaybillNumber"),
        ("unknown status", notify(good, "LOST"), "INVALID_REQUEST", "Status"),
        ("naive time", notify(good, event_time="2026-03-02T09:15:00"), "INVALID_REQUEST",
         "time-zone offset"),
        ("pickup at citizen", notify(good, "DELIVERED_TO_CITIZEN", service_type="PICKUP"),
         "INCOHERENT_STATUS", "cannot happen to a PICKUP order"),
        ("other operation", wrong_operation, "UNKNOWN_OPERATION", "serves NotifyStatus"),
    ]  # fmt: skip
    for name, body, error_code, message in cases:
        client_fault_of(endpoint.post(body), name, error_code, message)
    assert dossier_events(event_topic, registry) == []
    assert metric(endpoint, "bad_waybill") == 1
