"""The inbound shell's contract (``_contract.InboundContract``) run against the portal, the
VNPost callback endpoint, the payment IPN (paygov) and the national intake, each on the real
broker and registry."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.bank import Callback, Status, dialect_for
from connectors.national import NationalConfig, NationalIntake
from connectors.vnpost import CALLBACK_PATH, new_waybill
from hub.kafka import ensure_topics
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import PARTNER_OUTCOMES
from tests.connectors.bank.conftest import PaymentsStandIn, new_reference, start_ipn
from tests.connectors.bank.conftest import make_config as bank_config
from tests.connectors.common._contract import InboundContract, ready_body
from tests.connectors.national._held import HeldIntake, IntakeTarget
from tests.connectors.portal.conftest import PORTAL_KEY, start_portal
from tests.connectors.portal.conftest import make_config as portal_config
from tests.connectors.portal.samples import item
from tests.connectors.vnpost.conftest import Outbox, client_config, start_endpoint
from tests.connectors.vnpost.test_callbacks import notify
from tests.security._attack import Expect, Probe, Target
from tests.security._hostile_portal import HostilePortal
from tests.security._http import HttpTarget
from tests.security.test_national_intake import filed, listing

#: Long enough for a healthy broker, short enough for a test of one that cannot acknowledge.
ACK_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Served:
    base: str
    stopping: object

    def target(self) -> HttpTarget:
        return HttpTarget(self.base)

    def stop(self) -> None:
        self.stopping.stop()  # type: ignore[attr-defined]


class TestPortal(InboundContract):
    CONFIG = portal_config(ack_timeout_s=ACK_TIMEOUT_S)
    ACCEPTED = Expect(202, ('"status":"accepted"',))
    DUPLICATE = Expect(202, ('"status":"duplicate"',))
    UNAVAILABLE = Expect(503, ("resend the same request",), {"Retry-After": "2"})
    TOO_LARGE = Expect(413, ("exceeds the limit",))
    BODY_LIMIT = CONFIG.max_body_bytes
    VIEWS = frozenset({"portal.accepted-ids"})

    def start(self, settings: Settings, registry: RegistryClient) -> Served:
        running = start_portal(settings, registry, self.CONFIG)
        return Served(running.url, running)

    def valid(self, target: Target) -> Probe:
        body = json.dumps({"events": [item("DossierSubmitted")]}).encode()
        headers = {"X-API-Key": PORTAL_KEY, "Content-Type": "application/json"}
        return Probe("POST", "/v1/events", headers, body)


class TestVnpostCallbacks(InboundContract):
    CONFIG = client_config("http://unused.invalid", ack_timeout_s=ACK_TIMEOUT_S)
    ACCEPTED = Expect(200, ("<tns:Result>ACCEPTED</tns:Result>",))
    DUPLICATE = Expect(200, ("<tns:Result>DUPLICATE</tns:Result>",))
    UNAVAILABLE = Expect(500, ("<faultcode>soap:Server</faultcode>", "send it again"))
    TOO_LARGE = Expect(413, ("<faultcode>soap:Client</faultcode>",))
    BODY_LIMIT = CONFIG.max_body_bytes
    VIEWS = frozenset({"vnpost.callback-ids", "partner.outcomes"})

    def prepare(self, settings: Settings, registry: RegistryClient) -> None:
        ensure_topics(settings, [PARTNER_OUTCOMES])
        self.outbox = Outbox(settings, registry)
        self.sent: dict[bytes, dict[str, str]] = {}

    def start(self, settings: Settings, registry: RegistryClient) -> Served:
        running = start_endpoint(settings, registry, self.CONFIG)
        return Served(running.base_url, running)

    def valid(self, target: Target) -> Probe:
        waybill, number = new_waybill(secrets.randbelow(10**8)), f"HS-{secrets.token_hex(4)}"
        self.outbox.sent(waybill, number)
        args = {"waybill": waybill, "order_number": number, "callback_id": secrets.token_hex(8)}
        return self._callback(args)

    def again(self, probe: Probe) -> Probe:
        # The same notification, with a fresh nonce: a byte-for-byte copy is a replay.
        return self._callback(self.sent[probe.body])

    def _callback(self, args: dict[str, str]) -> Probe:
        body = notify(args["waybill"], order_number=args["order_number"],
                      callback_id=args["callback_id"])  # fmt: skip
        self.sent[body] = args
        return Probe("POST", CALLBACK_PATH, {"Content-Type": "text/xml; charset=utf-8"}, body)


class TestPaygovIpn(InboundContract):
    CONFIG = bank_config(ack_timeout_s=ACK_TIMEOUT_S)
    AMOUNT = 150_000
    ACCEPTED = Expect(200, ('"code":"00"',))
    DUPLICATE = Expect(200, ('"code":"02"',))
    UNAVAILABLE = Expect(503, ('"code":"99"',))
    TOO_LARGE = Expect(413, ('"code":"98"',))
    BODY_LIMIT = CONFIG.max_body_bytes
    VIEWS = frozenset({"payments", "bank.settled"})

    def prepare(self, settings: Settings, registry: RegistryClient) -> None:
        self.payments = PaymentsStandIn(settings, registry)
        self.requested = 0

    def start(self, settings: Settings, registry: RegistryClient) -> Served:
        running = start_ipn(settings, registry, self.CONFIG, provision=False)
        return Served(running.url, running)

    def valid(self, target: Target) -> Probe:
        reference = new_reference()
        self.payments.request(f"HS-{secrets.token_hex(4)}", reference, self.AMOUNT, "paygov")
        self.requested += 1
        deadline = time.monotonic() + 20
        while int(str(ready_body(target)["payment_requests"])) < self.requested:
            assert time.monotonic() < deadline, "the IPN app did not load the payment request"
            time.sleep(0.05)
        now = datetime.now(UTC)
        transaction = str(secrets.randbelow(10**8))
        callback = Callback(reference, None, transaction, self.AMOUNT, Status.PAID, now, now)
        wire = dialect_for(self.CONFIG.provider("paygov")).encode(callback)
        body = json.dumps(wire).encode()
        return Probe("POST", "/v1/ipn/paygov", {"Content-Type": "application/json"}, body)


@dataclass(frozen=True)
class PollerHeld:
    portal: HostilePortal
    held: HeldIntake

    def target(self) -> IntakeTarget:
        return IntakeTarget(self.portal, self.held)

    def stop(self) -> None:
        try:
            self.held.__exit__()
        finally:
            self.portal.close()


class TestNationalIntake(InboundContract):
    """The intake polls: a request is the portal's listing of one new dossier, its answer what
    the round reported, its body limit the reply's; ``/ready`` as the shell says it."""

    CONFIG = NationalConfig(timeout_s=ACK_TIMEOUT_S, ack_timeout_s=ACK_TIMEOUT_S,
                            max_reply_bytes=64 * 1024)  # fmt: skip
    RECORDS = 2  # a dossier listed as "new": submitted and accepted
    ACCEPTED = Expect(None, ("imported=1", "events=2"))
    DUPLICATE = Expect(None, ("imported=0", "duplicates=1", "events=0"))
    UNAVAILABLE = Expect(None, ("NotAcknowledged",))
    TOO_LARGE = Expect(None, ("PortalUnavailable", "REPLY_TOO_LARGE"))
    BODY_LIMIT = CONFIG.max_reply_bytes
    VIEWS = frozenset({"national.intake"})

    def start(self, settings: Settings, registry: RegistryClient) -> PollerHeld:
        portal = HostilePortal()
        config = self.CONFIG.model_copy(update={"url": portal.url})
        try:
            held = HeldIntake(NationalIntake(settings, registry, config, poll=False)).__enter__()
        except BaseException:
            portal.close()
            raise
        return PollerHeld(portal, held)

    def valid(self, target: Target) -> Probe:
        return Probe(body=listing(filed()))
