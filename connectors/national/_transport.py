"""The one place that talks HTTP to the national portal: login, session renewal, service calls.

Sessions: the first call logs in (lazily); a token is renewed ``renew_margin_s`` before it
expires (a quarter of its lifetime at most, for short-lived tokens), and once more when the
portal answers SESSION_EXPIRED anyway (it may restart and forget its tokens), after which the
call is retried once. If the renewed session is refused again, ``SessionRejected``.
Thread-safe: one lock guards the token, and a token found expired by several threads is
renewed by the first of them only (the others see the new token and use it).

Every httpx error and every reply that is not the documented JSON is translated here, and
only here, into the ``NationalPortalError`` hierarchy (``raise ... from exc``)::

    timeout, connection error, 5xx, 429, malformed JSON,
    a reply over ``max_reply_bytes``                         PortalUnavailable
    401 INVALID_CREDENTIALS at login                         SessionRejected
    SESSION_EXPIRED twice in a row                           SessionRejected
    other 4xx, or an error_code on a 2xx                     PortalRefused

The password and the token are never logged; neither are request bodies (personal data).
A reply is read while it streams in and refused (REPLY_TOO_LARGE) as soon as it passes
``max_reply_bytes``, or before reading if its declared length does: the portal's answer is
input like any other, and a JSON parser given deep nesting is refused as malformed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from connectors.common import IDEMPOTENCY_HEADER, JsonObject, JsonValue, loads
from connectors.national._config import NationalConfig
from connectors.national._errors import (
    NationalPortalError,
    PortalRefused,
    PortalUnavailable,
    SessionRejected,
)
from connectors.national._wire import (
    INTERNAL_ERROR,
    OK,
    SESSION_EXPIRED,
    LoginReply,
    ServiceReply,
)

log = logging.getLogger(__name__)

LOGIN_PATH = "/api/v1/login"
SERVICE_PATH = "/api/v1/service"
TOKEN_HEADER = "X-Session-Token"  # noqa: S105 (a header name)


class _Expired(Exception):
    """The portal said SESSION_EXPIRED (internal: renewal follows)."""


@dataclass(frozen=True)
class _Reply:
    """A reply read in full (within the size limit)."""

    status_code: int
    content: bytes


class PortalTransport:
    """Login and service calls over one pooled ``httpx.Client`` (blocking, thread-safe)."""

    def __init__(self, config: NationalConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        self._http = http or httpx.Client(
            base_url=config.url,
            timeout=config.timeout_s,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        #: Logins made (a test reads it to see renewals happen, and only once per expiry).
        self.logins = 0

    # -- the session ------------------------------------------------------------------------
    def session_token(self) -> str:
        """The current token, logging in first if there is none or it is about to expire."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._login_locked()
            assert self._token is not None
            return self._token

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token == token:  # another thread may have renewed it already
                self._token = None

    def _login_locked(self) -> None:
        body = {
            "username": self.config.username,
            "password": self.config.password.get_secret_value(),
        }
        started = time.monotonic()
        response = self._send(LOGIN_PATH, body, headers={})
        payload = _json_of(response)
        if response.status_code == 401 or payload.get("error_code") == "INVALID_CREDENTIALS":
            raise SessionRejected(str(payload.get("error_code", "HTTP_401")), "login refused")
        _raise_for_error(response, payload)
        try:
            reply = LoginReply.model_validate(payload)
        except ValidationError as exc:
            raise PortalUnavailable("MALFORMED_REPLY", "login reply is not the schema") from exc
        lifetime = max(float(reply.expires_in), 0.0)
        margin = min(self.config.renew_margin_s, lifetime / 4)
        self._token = reply.session_token
        self._renew_at = started + lifetime - margin
        self.logins += 1
        log.info("logged in to the national portal (session of %.0f s)", lifetime)

    # -- service calls ----------------------------------------------------------------------
    def call(
        self, service: str, data: Mapping[str, JsonValue], *, idempotency_key: str | None = None
    ) -> JsonObject:
        """Call ``service`` with ``data``; the reply's ``data`` object (``{}`` if none)."""
        token = self.session_token()
        try:
            return self._call_once(service, data, token, idempotency_key)
        except _Expired:
            self._forget(token)
        log.info("national portal session expired early; renewing once")
        token = self.session_token()
        try:
            return self._call_once(service, data, token, idempotency_key)
        except _Expired as exc:
            raise SessionRejected(SESSION_EXPIRED, "session expired again after renewal") from exc

    def _call_once(
        self, service: str, data: Mapping[str, JsonValue], token: str, key: str | None
    ) -> JsonObject:
        headers = {TOKEN_HEADER: token}
        if key is not None:
            headers[IDEMPOTENCY_HEADER] = key
        response = self._send(SERVICE_PATH, {"service": service, "data": dict(data)}, headers)
        payload = _json_of(response)
        if payload.get("error_code") == SESSION_EXPIRED:
            raise _Expired
        _raise_for_error(response, payload)
        try:
            reply = ServiceReply.model_validate(payload)
        except ValidationError as exc:
            raise PortalUnavailable(
                "MALFORMED_REPLY", f"{service} reply is not the schema"
            ) from exc
        return reply.data.model_dump() if reply.data is not None else {}

    def _send(self, path: str, body: Mapping[str, JsonValue], headers: dict[str, str]) -> _Reply:
        limit = self.config.max_reply_bytes
        try:
            with self._http.stream("POST", path, json=body, headers=headers) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise PortalUnavailable(
                        "REPLY_TOO_LARGE", f"{path}: a reply of {declared} bytes, over {limit}"
                    )
                chunks: list[bytes] = []
                received = 0
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > limit:  # a chunked or lying reply: the bytes are what count
                        raise PortalUnavailable(
                            "REPLY_TOO_LARGE", f"{path}: the reply exceeds {limit} bytes"
                        )
                    chunks.append(chunk)
                return _Reply(response.status_code, b"".join(chunks))
        except httpx.TimeoutException as exc:
            raise PortalUnavailable("TIMEOUT", f"{path}: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise PortalUnavailable("CONNECTION", f"{path}: {type(exc).__name__}") from exc

    def close(self) -> None:
        self._http.close()


def _json_of(response: _Reply) -> JsonObject:
    """The reply's JSON object; a 5xx may carry anything, any other status must be JSON."""
    try:
        payload = loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        if response.status_code >= 500:
            return {}
        raise PortalUnavailable(
            "MALFORMED_REPLY", f"HTTP {response.status_code} with a body that is not JSON"
        ) from exc
    if not isinstance(payload, dict):
        if response.status_code >= 500:
            return {}
        raise PortalUnavailable("MALFORMED_REPLY", "the reply is not a JSON object")
    return payload


def _raise_for_error(response: _Reply, payload: JsonObject) -> None:
    status = response.status_code
    code = str(payload.get("error_code", f"HTTP_{status}"))
    message = str(payload.get("message", ""))[:300]
    if status >= 500 or status == 429:
        raise PortalUnavailable(f"HTTP_{status}", message or "portal unavailable")
    if status >= 400:
        raise PortalRefused(code, message or f"HTTP {status}")
    if code == INTERNAL_ERROR:
        raise PortalUnavailable(code, message)
    if code != OK:
        raise PortalRefused(code, message or "refused")


__all__ = ["NationalPortalError", "PortalTransport"]
