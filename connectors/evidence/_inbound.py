"""The inbound side: every request a partner makes to an endpoint, with the hub's answer.

``connectors.common.InboundShell`` installs ``EvidenceMiddleware`` once its runtime is up
(``install``), around the app it serves, so every endpoint on the shell is recorded without a
line of its own. The middleware holds the answer back until the exchange is acknowledged by the
broker: a partner never has an answer the evidence lacks (a failure to record answers 503, and
the partner's retry is recorded).

The call id is what the shell learns while the endpoint handles the request: the id its dedupe
claimed (``note_call``: VNPost's CallbackId, the portal's request id), so the partner's resend
of the same message is a redelivery the chain drops. A request that produced nothing under an
id (refused, or answered from a view) is identified by the digest of the request and answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.evidence._entry import Direction, Exchange, canonical, sha256_hex
from connectors.evidence._errors import NotRecorded
from connectors.evidence._recorder import Recorder
from connectors.partners import INBOUND

log = logging.getLogger("connectors.evidence")

#: What ops and tooling ask an endpoint: not partner messages.
OPERATIONAL_PATHS = frozenset({"/ready", "/metrics", "/health", "/docs", "/openapi.json"})
_RETRY = b"the hub could not record this message; send it again"


@dataclass
class _Capture:
    call_id: str | None = None
    dossier_id: str = ""


_current: ContextVar[_Capture | None] = ContextVar("dvchub_evidence_capture", default=None)


def note_call(ids: Sequence[str], dossier_id: str) -> None:
    """The ids the request's message carries (the first noted wins; a batch's ids as one
    digest); no-op outside a request."""
    capture = _current.get()
    if capture is None or capture.call_id is not None or not ids:
        return
    call_id = ids[0] if len(ids) == 1 else f"ids:{sha256_hex(canonical(sorted(ids)))}"
    capture.call_id, capture.dossier_id = call_id, dossier_id


def note_dossier(dossier_id: str) -> None:
    """The dossier the request produced records of, if no id named it before."""
    capture = _current.get()
    if capture is not None and not capture.dossier_id:
        capture.dossier_id = dossier_id


def is_partner_message(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    query = bytes(scope.get("query_string", b"")).lower()
    wsdl = scope.get("method") == "GET" and (query == b"wsdl" or path.endswith(".wsdl"))
    return path not in OPERATIONAL_PATHS and not wsdl


def _request_bytes(scope: Scope, body: bytes) -> bytes:
    query = bytes(scope.get("query_string", b""))
    line = f"{scope.get('method', '')} {scope.get('path', '')}".encode()
    return line + (b"?" + query if query else b"") + b"\n" + body


class EvidenceMiddleware:
    """Records each partner request and the answer, before the answer leaves."""

    def __init__(self, app: ASGIApp, recorder: Recorder, partner: str) -> None:
        self.app = app
        self.recorder = recorder
        self.partner = partner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.recorder.enabled or not is_partner_message(scope):
            await self.app(scope, receive, send)
            return
        capture = _Capture()
        request = bytearray()
        response = bytearray()
        held: list[Message] = []

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                held.append(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            held.append(message)
            response.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            status = int(held[0]["status"]) if held else 0
            answer = f"{status}\n".encode() + bytes(response)
            for out in await self._recorded(scope, bytes(request), answer, capture, held):
                await send(out)

        token = _current.set(capture)
        try:
            await self.app(scope, receiving, sending)
        finally:
            _current.reset(token)

    async def _recorded(
        self, scope: Scope, request: bytes, answer: bytes, capture: _Capture,
        held: list[Message],
    ) -> list[Message]:  # fmt: skip
        raw = _request_bytes(scope, request)
        digest = sha256_hex(raw + b"\n" + answer)
        call_id = capture.call_id or f"sha256:{digest}"
        exchange = Exchange.of(
            self.partner, Direction.IN, call_id, capture.dossier_id, raw, answer,
            datetime.now(UTC),
        )  # fmt: skip
        try:
            await asyncio.to_thread(self.recorder.record, exchange)
        except NotRecorded as exc:
            log.warning("%s: %s; answering 503", self.partner, exc)
            return [
                {"type": "http.response.start", "status": 503,
                 "headers": [(b"content-type", b"text/plain"), (b"retry-after", b"5")]},
                {"type": "http.response.body", "body": _RETRY},
            ]  # fmt: skip
        return held


def install(app: object, recorder: Recorder, endpoint: str) -> None:
    """Wrap ``app``'s middleware stack (built by the time its lifespan runs) in the recorder of
    ``endpoint``'s partner; a no-op when evidence is off or ``app`` is not a Starlette app."""
    if not recorder.enabled or not isinstance(app, Starlette):
        return
    stack = app.middleware_stack
    if isinstance(stack, EvidenceMiddleware):  # a second lifespan of the same app
        stack.recorder = recorder
    elif stack is not None:
        app.middleware_stack = EvidenceMiddleware(stack, recorder, INBOUND.get(endpoint, endpoint))
