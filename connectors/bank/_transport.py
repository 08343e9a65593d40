"""One request/reply exchange with a provider's API, and the one place httpx and protocol
errors become the outbox's ``Transient`` / ``Permanent``:

    timeout, connection error, 5xx, 429, a reply that is not JSON, is malformed or does not
    verify                                   -> Transient (the same request id may be resent)
    any other 4xx, or a refusal of our checksum -> Permanent
"""

from __future__ import annotations

import json
from typing import TypeVar

import httpx

from connectors.bank._dialect import Dialect
from connectors.bank._errors import BadSignature, InvalidMessage
from connectors.bank._messages import Message, Result
from connectors.common import JsonValue
from connectors.outbox import Permanent, Transient

R = TypeVar("R", bound=Message)


class ProviderTransport:
    """A provider's API over one pooled httpx client (thread-safe, blocking)."""

    def __init__(
        self,
        dialect: Dialect,
        *,
        timeout_s: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.dialect = dialect
        self._http = httpx.Client(
            base_url=dialect.settings.base_url, timeout=timeout_s, transport=transport
        )

    def exchange(self, request: Message, reply_type: type[R]) -> R:
        """Send ``request`` signed, return the verified reply; raise Transient / Permanent."""
        name = self.dialect.name
        wire = self.dialect.encode(request)
        try:
            response = self._http.post(self.dialect.api_path(type(request)), json=wire)
        except httpx.TimeoutException as exc:
            raise Transient("TIMEOUT", f"{name}: no answer in time") from exc
        except httpx.TransportError as exc:
            raise Transient("CONNECTION", f"{name}: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise Transient("HTTP_ERROR", f"{name}: {type(exc).__name__}") from exc
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise Transient(f"HTTP_{status}", f"{name}: {_detail(response)}")
        if status >= 400:
            raise Permanent(f"HTTP_{status}", f"{name}: {_detail(response)}")
        try:
            body: JsonValue = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Transient("MALFORMED_REPLY", f"{name}: the reply is not JSON") from exc
        try:
            return self.dialect.decode(reply_type, body)
        except BadSignature as exc:
            if self.dialect.unverified_result(reply_type, body) is Result.BAD_SIGNATURE:
                # It refuses our checksum and we cannot verify its: the secrets differ.
                raise Permanent("BAD_SIGNATURE", f"{name}: checksums disagree (secret?)") from exc
            raise Transient("BAD_REPLY_SIGNATURE", str(exc)) from exc
        except InvalidMessage as exc:
            raise Transient("MALFORMED_REPLY", str(exc)) from exc

    def close(self) -> None:
        self._http.close()


def _detail(response: httpx.Response) -> str:
    """The provider's code and message if the body carries them (short; no field values)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    code = body.get("code") or body.get("vnp_ResponseCode") or body.get("RspCode")
    message = body.get("message") or body.get("vnp_Message") or body.get("Message")
    return f"HTTP {response.status_code} code={str(code)[:8]} {str(message)[:120]}"
