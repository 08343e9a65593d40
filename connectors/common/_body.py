"""Reading a request body safely: content type first, then a size cap enforced while streaming."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request


class RequestRefused(Exception):
    """A request refused before or instead of validation, with its HTTP status."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


def require_json(request: Request) -> None:
    """415 unless the body is declared as ``application/json`` (UTF-8, the only JSON charset)."""
    declared = request.headers.get("content-type")
    if declared is None:
        raise RequestRefused(415, "missing Content-Type; send application/json")
    media_type, *params = (part.strip().lower() for part in declared.split(";"))
    if media_type != "application/json":
        raise RequestRefused(415, f"unsupported Content-Type {media_type!r}; send application/json")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise RequestRefused(415, "unsupported charset; JSON bodies are UTF-8")


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it exceeds ``limit`` bytes.

    A declared Content-Length over the limit is refused before reading anything; the cap is
    also enforced on the bytes actually received, since a chunked body declares no length and
    a declared length is only a claim.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestRefused(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise RequestRefused(
                413, f"body of {declared} bytes exceeds the limit of {limit} bytes"
            )
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise RequestRefused(413, f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
