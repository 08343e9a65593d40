"""The payment IPN endpoints attacked: paygov (JSON, SHA-256 checksum) and VNPAY (query string
or form, HMAC-SHA512). Both answer in their provider's codes, as the providers require: a
refusal is its precise code (paygov's ``code``, VNPAY's ``RspCode``) with the reason."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import urlencode

import httpx
import pytest

from connectors.bank import BankConfig, Callback, Status, dialect_for
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.bank.conftest import (
    PaymentsStandIn,
    RunningIpn,
    make_config,
    new_reference,
    start_ipn,
)
from tests.security._attack import (
    ANSWER_TIMEOUT_S,
    Attempt,
    Expect,
    InboundEndpointAttack,
    Probe,
    Target,
)
from tests.security._http import HttpTarget

CONFIG = make_config()
#: Signed with a secret that is not the hub's.
FORGER = make_config(paygov_secret="not-the-hubs-paygov-secret", vnpay_secret="N" * 32)
AMOUNT = 150_000
#: Past the allowed age (or skew) by this much: stale beyond doubt, not by a hair.
MARGIN = timedelta(minutes=5)


@dataclass
class Hub:
    """The running IPN app and the payment requests the hub stored for it."""

    ipn: RunningIpn
    payments: PaymentsStandIn
    requested: int = 0

    def request(self, provider: str) -> str:
        """A payment request of the hub, loaded by the app: its reference."""
        reference = new_reference()
        self.payments.request(f"HS-{secrets.token_hex(4)}", reference, AMOUNT, provider)
        self.requested += 1
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        with httpx.Client(base_url=self.ipn.url) as http:
            while http.get("/ready").json()["payment_requests"] < self.requested:
                assert time.monotonic() < deadline, "the IPN app did not load the request"
                time.sleep(0.05)
        return reference


@pytest.fixture(scope="module")
def hub(module_settings: Settings, registry: RegistryClient) -> Iterator[Hub]:
    running = start_ipn(module_settings, registry, CONFIG)
    yield Hub(running, PaymentsStandIn(module_settings, registry))
    running.stop()


@pytest.fixture
def target(hub: Hub) -> Target:
    return HttpTarget(hub.ipn.url)


class _IpnAttack(InboundEndpointAttack):
    """What both providers share; a subclass says how its wire is sent and what it answers."""

    PROVIDER: ClassVar[str]
    CODE: ClassVar[str]  # the reply's code field
    signature_field: ClassVar[str]
    max_age_s: ClassVar[float]

    @pytest.fixture(autouse=True)
    def _hub(self, hub: Hub) -> None:
        self.hub = hub

    @classmethod
    def code(cls, status: int, code: str, *says: str) -> Expect:
        return Expect(status, (f'"{cls.CODE}":"{code}"', *says))

    def wire(self, *, config: BankConfig = CONFIG, at: datetime | None = None,
             amount: int = AMOUNT) -> dict[str, str]:  # fmt: skip
        """A callback of a fresh request of the hub, signed with ``config``'s secret."""
        moment = at or datetime.now(UTC)
        transaction = str(secrets.randbelow(10**8))
        callback = Callback(self.hub.request(self.PROVIDER), None, transaction, amount,
                            Status.PAID, moment, moment)  # fmt: skip
        return dialect_for(config.provider(self.PROVIDER)).encode(callback)

    def send_wire(self, wire: dict[str, str]) -> Probe:
        raise NotImplementedError

    def valid(self, target: Target) -> Probe:
        return self.send_wire(self.wire())

    def wrong_credentials(self, target: Target) -> Sequence[Attempt]:
        dialect = dialect_for(CONFIG.provider(self.PROVIDER))
        amount = next(f.wire for f in dialect.specs[Callback] if f.kind == "amount")
        tampered = self.wire()
        tampered[amount] = dialect.amount_to_wire(AMOUNT // 10)  # the checksum is AMOUNT's
        invalid = self.code(200, "97")
        return [
            Attempt("signed with another secret", self.send_wire(self.wire(config=FORGER)),
                    invalid),
            Attempt("an amount changed after signing", self.send_wire(tampered), invalid),
        ]  # fmt: skip

    def stale(self, target: Target) -> Sequence[Attempt]:
        now = datetime.now(UTC)
        old = now - timedelta(seconds=self.max_age_s) - MARGIN
        ahead = now + timedelta(seconds=CONFIG.max_callback_future_s) + MARGIN
        return [
            Attempt("older than the allowed age", self.send_wire(self.wire(at=old)), self.STALE),
            Attempt("from the future", self.send_wire(self.wire(at=ahead)), self.STALE),
        ]

    STALE: ClassVar[Expect]


class TestPaygovIpn(_IpnAttack):
    PROVIDER, CODE, signature_field = "paygov", "code", "checksum"
    max_age_s = CONFIG.paygov_max_callback_age_s
    ACCEPTED = Expect(200, ('"code":"00"',))
    REPLAYED = Expect(200, ('"code":"02"', "already confirmed"))
    STALE = Expect(200, ('"code":"07"', "stale"))
    MALFORMED = Expect(400, ('"code":"98"', "Malformed"))

    def send_wire(self, wire: dict[str, str]) -> Probe:
        return self.post(json.dumps(wire).encode())

    def post(self, body: bytes) -> Probe:
        return Probe("POST", "/v1/ipn/paygov", {"Content-Type": "application/json"}, body)

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        wire = self.wire()
        del wire[self.signature_field]
        return [Attempt("no checksum", self.send_wire(wire), self.MALFORMED)]

    def oversized(self, target: Target) -> tuple[Attempt, int]:
        limit = CONFIG.max_body_bytes
        wire = {**self.wire(), "padding": "x" * limit}
        return Attempt("a callback over the limit", self.send_wire(wire),
                       Expect(413, ('"code":"98"',))), limit  # fmt: skip

    def malformed(self, target: Target) -> Sequence[Attempt]:
        depth = CONFIG.max_body_bytes // 3
        return [
            Attempt("not JSON", self.post(b"{nope"), self.MALFORMED),
            Attempt("nested past the parser's depth",
                    self.post(b"[" * depth + b"]" * depth), self.MALFORMED),
            Attempt("not an object", self.post(b"[]"), self.MALFORMED),
            Attempt("not strings", self.send_wire({**self.wire(), "amount": 1}),  # type: ignore[dict-item]
                    self.MALFORMED),
            Attempt("not UTF-8", self.post(b'{"\xff": "1"}'), self.MALFORMED),
        ]  # fmt: skip


class TestVnpayIpn(_IpnAttack):
    PROVIDER, CODE, signature_field = "vnpay", "RspCode", "vnp_SecureHash"
    max_age_s = CONFIG.vnpay_max_callback_age_s
    ACCEPTED = Expect(200, ('"RspCode":"00"',))
    REPLAYED = Expect(200, ('"RspCode":"02"', "already confirmed"))
    # VNPAY's protocol has no code of its own for these: 99 (which it retries), the reason said
    STALE = Expect(200, ('"RspCode":"99"', "stale"))
    MALFORMED = Expect(200, ('"RspCode":"99"', "Invalid request"))

    def send_wire(self, wire: dict[str, str]) -> Probe:
        return Probe("GET", f"/v1/ipn/vnpay?{urlencode(wire)}")

    def form(self, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> Probe:
        return Probe("POST", "/v1/ipn/vnpay", {"Content-Type": content_type}, body)

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        wire = self.wire()
        del wire[self.signature_field]
        return [Attempt("no vnp_SecureHash", self.send_wire(wire), self.MALFORMED)]

    def oversized(self, target: Target) -> tuple[Attempt, int]:
        limit = CONFIG.max_body_bytes
        body = urlencode({**self.wire(), "vnp_Padding": "x" * limit}).encode()
        return Attempt("a form over the limit", self.form(body),
                       Expect(413, ('"RspCode":"99"',))), limit  # fmt: skip

    def malformed(self, target: Target) -> Sequence[Attempt]:
        wire = self.wire()
        query = urlencode(wire)
        depth = CONFIG.max_body_bytes // 3
        return [
            Attempt("a repeated parameter", Probe(
                "GET", f"/v1/ipn/vnpay?{query}&vnp_TxnRef=HS1-F1"), self.MALFORMED),
            Attempt("JSON nested past the parser's depth",
                    self.form(b"[" * depth + b"]" * depth, "application/json"), self.MALFORMED),
            Attempt("a form that is not UTF-8", self.form(b"vnp_TxnRef=\xff"), self.MALFORMED),
            Attempt("a query over the limit", Probe(
                "GET", f"/v1/ipn/vnpay?{query}&vnp_Padding={'x' * CONFIG.max_body_bytes}"),
                    Expect(414, ('"RspCode":"99"',))),
        ]  # fmt: skip
