"""The VNPost callback endpoint (SOAP ``NotifyStatus``, WS-Security UsernameToken) attacked."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from connectors.vnpost import CALLBACK_PATH, new_waybill
from connectors.vnpost._soap import element, envelope
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.vnpost.conftest import (
    Outbox,
    RunningEndpoint,
    client_config,
    start_endpoint,
)
from tests.connectors.vnpost.test_callbacks import notify
from tests.security._attack import Attempt, Expect, InboundEndpointAttack, Probe, Target
from tests.security._http import HttpTarget

CONFIG = client_config("http://unused.invalid")
XML = {"Content-Type": "text/xml; charset=utf-8"}
#: Past the replay window (and the skew) by this much: stale beyond doubt, not by a hair.
MARGIN = timedelta(minutes=1)


def callback(body: bytes, content_type: str = XML["Content-Type"]) -> Probe:
    return Probe("POST", CALLBACK_PATH, {"Content-Type": content_type}, body)


def fault(status: int, code: str, *says: str) -> Expect:
    return Expect(status, (f"<faultcode>{code}</faultcode>", *says))


@pytest.fixture(scope="module")
def endpoint(module_settings: Settings, registry: RegistryClient) -> Iterator[RunningEndpoint]:
    running = start_endpoint(module_settings, registry, CONFIG)
    yield running
    running.stop()


@pytest.fixture
def target(endpoint: RunningEndpoint) -> Target:
    return HttpTarget(endpoint.base_url)


@pytest.fixture(scope="module")
def outbox(module_settings: Settings, registry: RegistryClient) -> Outbox:
    return Outbox(module_settings, registry)


class TestVnpostCallbacks(InboundEndpointAttack):
    ACCEPTED = Expect(200, ("<tns:Result>ACCEPTED</tns:Result>",))
    REPLAYED = fault(500, "wsse:FailedAuthentication", "nonce was already used")

    @pytest.fixture(autouse=True)
    def _orders(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def order(self) -> tuple[str, str]:
        """An order the hub created (its outcome on the topic): (waybill, order number)."""
        waybill = new_waybill(secrets.randbelow(10**8))
        number = f"HS-{secrets.token_hex(4)}"
        self.outbox.sent(waybill, number)
        return waybill, number

    def valid(self, target: Target) -> Probe:
        waybill, number = self.order()
        return callback(notify(waybill, order_number=number))

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        waybill, number = self.order()
        bare = envelope(etree.fromstring(notify(waybill, order_number=number))[1][0])
        return [Attempt("no wsse:Security header", callback(bare),
                        fault(500, "wsse:InvalidSecurity", "no wsse:Security header"))]  # fmt: skip

    def wrong_credentials(self, target: Target) -> Sequence[Attempt]:
        waybill, number = self.order()
        other_waybill, _ = self.order()
        forged = fault(500, "wsse:FailedAuthentication", "unknown user or wrong password")
        return [
            Attempt("a guessed password", callback(
                notify(waybill, order_number=number, password="guess")), forged),
            Attempt("an unknown user", callback(
                notify(waybill, order_number=number, user="mallory")), forged),
            # VNPost's own credentials are no licence to move a dossier the hub sent nothing for
            Attempt("a waybill of no order the hub created", callback(notify(
                new_waybill(secrets.randbelow(10**8)), order_number=number)),
                fault(500, "soap:Client", "UNKNOWN_ORDER")),
            Attempt("another dossier with a real waybill", callback(
                notify(other_waybill, order_number=number)),
                fault(500, "soap:Client", "ORDER_MISMATCH")),
        ]  # fmt: skip

    def stale(self, target: Target) -> Sequence[Attempt]:
        waybill, number = self.order()
        now = datetime.now(UTC)
        old = now - timedelta(seconds=CONFIG.replay_window_s) - MARGIN
        ahead = now + timedelta(seconds=CONFIG.clock_skew_s) + MARGIN
        return [
            Attempt("Created past the replay window", callback(
                notify(waybill, order_number=number, created=old)),
                fault(500, "wsse:MessageExpired", "older than the replay window")),
            Attempt("Created in the future", callback(
                notify(waybill, order_number=number, created=ahead)),
                fault(500, "wsse:InvalidSecurityToken", "in the future")),
        ]  # fmt: skip

    def oversized(self, target: Target) -> tuple[Attempt, int]:
        limit = CONFIG.max_body_bytes
        waybill, number = self.order()
        padding = b"<!--" + b"x" * limit + b"-->"
        body = notify(waybill, order_number=number).replace(
            b"</soap:Envelope>", padding + b"</soap:Envelope>"
        )
        return Attempt("a callback over the limit", callback(body),
                       fault(413, "soap:Client", "exceeds the limit")), limit  # fmt: skip

    def malformed(self, target: Target) -> Sequence[Attempt]:
        waybill, number = self.order()
        good = notify(waybill, order_number=number)
        deep = b"<a>" * 5_000 + b"</a>" * 5_000
        return [
            Attempt("not XML", callback(b"hello"), fault(400, "soap:Client", "not well-formed")),
            Attempt("a DOCTYPE", callback(good.replace(b"?>", b"?><!DOCTYPE x>", 1)),
                    fault(400, "soap:Client", "DOCTYPE is not allowed")),
            Attempt("nested past the parser's depth", callback(deep),
                    fault(400, "soap:Client")),
            Attempt("not the schema", callback(notify(waybill, "LOST", order_number=number)),
                    fault(500, "soap:Client", "INVALID_REQUEST")),
            Attempt("another operation", callback(envelope(
                element("TrackOrderRequest", element("WaybillNumber", text=waybill)),
                [etree.fromstring(good)[0][0]])),
                    fault(500, "soap:Client", "UNKNOWN_OPERATION")),
            Attempt("not SOAP's media type", callback(good, "application/json"),
                    fault(415, "soap:Client", "text/xml")),
        ]  # fmt: skip
