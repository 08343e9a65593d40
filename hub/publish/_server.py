"""``dvchub publish serve DIR``: the published pages over HTTPS, read-only.

A plain static server (Starlette's ``StaticFiles`` under uvicorn, TLS from ``hub.http_tls`` as
every other server of the hub): GET and HEAD only (405 otherwise), content types from the file
name (UTF-8 for text), ``/`` and directories answered by their ``index.html`` or 404, never a
listing; paths are resolved against the current build and anything resolving outside it (``..``,
a symlink out) is 404. It serves ``DIR/current``, resolved per request, so a new build is served
as soon as the publisher swaps it in. Pages need no script: the policy forbids them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.http_tls import ServerTls
from hub.http_tls import serve as serve_http
from hub.publish._site import served

#: Sent with every answer: no script runs, nothing is sniffed, a rebuild is seen at once.
HEADERS: Final = (
    (b"content-security-policy",
     b"default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-cache"),
)  # fmt: skip


class _Headers:
    """Adds ``HEADERS`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def pages_app(root: Path) -> ASGIApp:
    """The ASGI app serving ``root``'s current build (``root`` as the publisher writes it)."""
    files = StaticFiles(directory=served(root), html=True, check_dir=False)
    return _Headers(Starlette(routes=[Mount("/", app=files)]))


def serve_pages(root: Path, *, host: str, port: int, tls: ServerTls | None) -> None:
    """Serve ``root``'s pages until interrupted (blocks)."""
    serve_http(pages_app(root), host=host, port=port, tls=tls, log_config=None)
