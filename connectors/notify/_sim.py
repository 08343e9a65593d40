"""``NotifySimulator``: the three gateways for tests, the bench and the demo, each speaking its
protocol for real: the SMS gateway and ZNS on one HTTP server (their paths differ, as in
``_wire``), the e-mail relay an SMTP server on a port of its own (``_sim_smtp``).

What each checks: the SMS gateway its API key, the brandname, the number, that ``unicode`` is
set for a text that is not GSM-7, and the segments (at most ``sms_max_segments``); ZNS its
access token, the template id (``templates``, by default the development ids of each step) and
that ``template_data`` has exactly the template's parameters, and that the number has a Zalo
account (numbers starting ``not_on_zalo`` have none: -118). Every channel dedupes by the
client's id, records what it delivered (``ledger``), has an outage switch (``ledger.down``)
and its own rate limit (``rates``: over it, 429 / ZNS -32 / SMTP 451). ``faults`` are the
shared switches of ``connectors.common`` (a fault hits the next call of any channel).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from connectors.common import (
    FaultKind,
    FaultSwitches,
    RequestRefused,
    SimulatorServer,
    read_capped,
    require_json,
)
from connectors.notify._config import DEV_SMS_API_KEY, DEV_ZNS_ACCESS_TOKEN, DEV_ZNS_TEMPLATES
from connectors.notify._ledger import Ledger
from connectors.notify._notification import Channel
from connectors.notify._sim_smtp import SmtpHandler, SmtpServer
from connectors.notify._sms import encoding_of, segments
from connectors.notify._templates import ZNS_PARAMS
from connectors.notify._wire import (
    SMS_BRANDNAME,
    SMS_ENCODING,
    SMS_INTERNAL,
    SMS_INVALID_PHONE,
    SMS_OK,
    SMS_PATH,
    SMS_RATE_LIMITED,
    SMS_TOO_LONG,
    SMS_UNAUTHORIZED,
    SMS_VALIDATION,
    ZNS_INTERNAL,
    ZNS_INVALID_PHONE,
    ZNS_INVALID_TOKEN,
    ZNS_NAME_MAX,
    ZNS_NOT_ZALO_USER,
    ZNS_OK,
    ZNS_PATH,
    ZNS_RATE_LIMITED,
    ZNS_TEMPLATE_DATA,
    ZNS_TEMPLATE_INVALID,
    SmsRequest,
    ZnsRequest,
    msisdn,
)
from hub.net import free_port

M = TypeVar("M", bound=BaseModel)
MAX_BODY = 64 * 1024
#: Numbers starting so have no Zalo account (the bench's and the tests' way to force SMS).
NOT_ON_ZALO = "8490999"


class NotifySimulator(SimulatorServer):
    """``with NotifySimulator() as sim``: ``sim.base_url`` serves SMS and ZNS, ``sim.smtp_port``
    the SMTP relay; ``sim.url`` names both (``"<base_url>;smtp://<host>:<port>"``), which the
    spec's workload turns into the client's variables."""

    def __init__(
        self,
        *,
        sms_api_key: str = DEV_SMS_API_KEY,
        zns_access_token: str = DEV_ZNS_ACCESS_TOKEN,
        brandnames: frozenset[str] = frozenset({"UBND-TINH"}),
        templates: Mapping[str, tuple[str, ...]] | None = None,
        not_on_zalo: str = NOT_ON_ZALO,
        sms_max_segments: int = 5,
        rates: dict[Channel, float] | None = None,
        port: int = 0,
        smtp_port: int = 0,
    ) -> None:
        self.sms_api_key = sms_api_key
        self.zns_access_token = zns_access_token
        self.brandnames = brandnames
        self.templates = dict(templates) if templates is not None else {
            template_id: ZNS_PARAMS[step] for step, template_id in DEV_ZNS_TEMPLATES.items()
        }  # fmt: skip
        self.not_on_zalo = not_on_zalo
        self.sms_max_segments = sms_max_segments
        self.faults = FaultSwitches()
        self.ledger = Ledger(rates)
        self.smtp = SmtpServer(
            SmtpHandler(self.ledger, self.faults), "127.0.0.1", smtp_port or free_port()
        )
        self.app = self._build_app()
        self._serve(self.app, name="notify-sim", host="127.0.0.1", port=port)

    @property
    def smtp_port(self) -> int:
        return self.smtp.port

    @property
    def url(self) -> str:
        return f"{self.base_url};smtp://{self.smtp.host}:{self.smtp.port}"

    def start(self, timeout_s: float = 30.0) -> NotifySimulator:
        super().start(timeout_s)
        self.smtp.start()
        return self

    def _closed(self) -> None:
        self.smtp.stop()

    # -- the HTTP gateways ---------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="SMS and ZNS gateway simulator", docs_url=None, redoc_url=None)

        @app.post(SMS_PATH)
        async def sms(request: Request) -> Response:
            scheme, _, key = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(key, self.sms_api_key):
                return _sms_answer(401, SMS_UNAUTHORIZED)
            early, fault = await self._early(
                "SMS", _sms_answer(503, SMS_INTERNAL), _sms_answer(429, SMS_RATE_LIMITED)
            )
            if early is not None:
                return early
            parsed = await _parse(request, SmsRequest)
            if isinstance(parsed, str):
                code = SMS_INVALID_PHONE if parsed.startswith("phone") else SMS_VALIDATION
                return _sms_answer(400, code, parsed)
            return self._sms(parsed, lost=fault == "lost_replies")

        @app.post(ZNS_PATH)
        async def zns(request: Request) -> Response:
            token = request.headers.get("access_token", "")
            if not secrets.compare_digest(token, self.zns_access_token):
                return _zns_answer(ZNS_INVALID_TOKEN, status=401)
            early, fault = await self._early(
                "ZNS",
                _zns_answer(ZNS_INTERNAL, status=503),
                _zns_answer(ZNS_RATE_LIMITED, status=429),
            )
            if early is not None:
                return early
            parsed = await _parse(request, ZnsRequest)
            if isinstance(parsed, str):
                return _zns_answer(ZNS_TEMPLATE_DATA, parsed)
            return self._zns(parsed, lost=fault == "lost_replies")

        return app

    async def _early(
        self, channel: Channel, down: Response, limited: Response
    ) -> tuple[Response | None, FaultKind | None]:
        """The answer before the request is read (an outage, the rate limit, a fault), and the
        fault this call takes (a lost reply is answered after the message is recorded)."""
        if channel in self.ledger.down:
            return down, None
        if self.ledger.over_rate(channel):
            return limited, None
        if self.faults.latency_s > 0:
            await asyncio.sleep(self.faults.latency_s)
        fault = self.faults.take()
        if fault == "error_5xx":
            return down, fault
        if fault == "timeouts":
            await asyncio.sleep(self.faults.hang_s)
            return down, fault
        if fault == "malformed":
            return Response(b"<html>502 Bad Gateway", media_type="application/json"), fault
        return None, fault

    def _sms(self, request: SmsRequest, *, lost: bool) -> Response:
        refusal = self._sms_refusal(request)
        if refusal is not None:
            self.ledger.refuse("SMS", refusal)
            return _sms_answer(400, refusal)
        cost = segments(request.message)
        delivered = self.ledger.deliver(
            "SMS", request.request_id, request.phone, request.message,
            segments=cost.count, encoding=cost.encoding,
        )  # fmt: skip
        if lost:
            return _sms_answer(503, SMS_INTERNAL)
        data = {"message_id": delivered.gateway_id, "segments": delivered.segments,
                "encoding": delivered.encoding}  # fmt: skip
        return JSONResponse({"code": SMS_OK, "message": "OK", "data": data})

    def _sms_refusal(self, request: SmsRequest) -> str | None:
        if request.brandname not in self.brandnames:
            return SMS_BRANDNAME
        if not request.unicode and encoding_of(request.message) != "GSM7":
            return SMS_ENCODING
        if segments(request.message).count > self.sms_max_segments:
            return SMS_TOO_LONG
        return None

    def _zns(self, request: ZnsRequest, *, lost: bool) -> Response:
        refusal = self._zns_refusal(request)
        if refusal is not None:
            self.ledger.refuse("ZNS", str(refusal))
            return _zns_answer(refusal)
        text = "\n".join(f"{k}={v}" for k, v in sorted(request.template_data.items()))
        delivered = self.ledger.deliver(
            "ZNS", request.tracking_id, request.phone, text, template_id=request.template_id
        )
        if lost:
            return _zns_answer(ZNS_INTERNAL, status=503)
        sent = {"msg_id": delivered.gateway_id,
                "sent_time": str(int(delivered.received_at.timestamp() * 1000))}  # fmt: skip
        return JSONResponse({"error": ZNS_OK, "message": "Success", "data": sent})

    def _zns_refusal(self, request: ZnsRequest) -> int | None:
        if msisdn(request.phone) != request.phone:
            return ZNS_INVALID_PHONE
        params = self.templates.get(request.template_id)
        if params is None:
            return ZNS_TEMPLATE_INVALID
        data = request.template_data
        if set(data) != set(params) or len(data.get("customer_name", "")) > ZNS_NAME_MAX:
            return ZNS_TEMPLATE_DATA
        if request.phone.startswith(self.not_on_zalo):
            return ZNS_NOT_ZALO_USER
        return None


async def _parse(request: Request, model: type[M]) -> M | str:
    """The request as ``model``, or where it is wrong (a field name and an error type only)."""
    try:
        require_json(request)
        return model.model_validate_json(await read_capped(request, MAX_BODY))
    except RequestRefused as exc:
        return exc.detail
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}"
                         for e in exc.errors()[:10])  # fmt: skip


def _sms_answer(status: int, code: str, message: str = "") -> JSONResponse:
    body = {"code": code, "message": message or code, "data": None}
    return JSONResponse(body, status_code=status)


def _zns_answer(error: int, message: str = "", *, status: int = 200) -> JSONResponse:
    body = {"error": error, "message": message or f"error {error}", "data": None}
    return JSONResponse(body, status_code=status)
