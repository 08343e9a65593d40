"""A callback's parameters as the IPN endpoints read them, each refusal before any checksum.

paygov POSTs a JSON object; VNPAY sends a query string (GET) or a form or JSON body (POST), and
a repeated parameter is refused (which copy would the checksum cover?). The query and the body
are capped at ``limit`` (414 / 413 as ``RequestRefused``, the body while it streams in);
anything unreadable is ``MalformedMessage``, deep JSON nesting included (the parser's
RecursionError would otherwise escape as a 500).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request

from connectors.bank._errors import MalformedMessage
from connectors.common import JsonObject, JsonValue, RequestRefused, loads, read_capped


async def callback_params(provider: str, request: Request, limit: int) -> JsonObject:
    """The callback's fields (values not yet checked to be strings: the dialect does that)."""
    query = request.url.query
    if len(query) > limit:
        raise RequestRefused(414, "query string too long")
    body = await read_capped(request, limit) if request.method == "POST" else b""
    if provider == "paygov":
        return json_object(provider, body)
    pairs: list[tuple[str, JsonValue]] = list(parse_qsl(query, keep_blank_values=True))
    if body:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == "application/json":
            pairs += list(json_object(provider, body).items())
        else:
            try:
                pairs += parse_qsl(body.decode(), keep_blank_values=True)
            except UnicodeDecodeError as exc:
                raise MalformedMessage(f"{provider}: the body is not UTF-8") from exc
    params: JsonObject = {}
    for key, value in pairs:
        if key in params:
            raise MalformedMessage(f"{provider}: a parameter is repeated")
        params[key] = value
    return params


def json_object(provider: str, body: bytes) -> JsonObject:
    """The body as a JSON object; ``MalformedMessage`` for anything else."""
    try:
        document = loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedMessage(f"{provider}: the body is not JSON") from exc
    except RecursionError as exc:
        raise MalformedMessage(f"{provider}: the body is nested too deeply") from exc
    if not isinstance(document, dict):
        raise MalformedMessage(f"{provider}: the body is not an object")
    return document
