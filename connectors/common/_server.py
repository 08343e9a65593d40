"""Serving an ASGI app with uvicorn in a daemon thread, on a loopback port: the simulators.

``ServerThread`` is the thread; ``SimulatorServer`` is the base of the partner simulators
(national portal, EMC, VNPost, the banks), which build ``app`` and get ``start``/``stop``,
``with`` and ``serve_forever`` from it.
"""

from __future__ import annotations

import threading
import time
from typing import Literal, Self

import uvicorn
from starlette.types import ASGIApp

from hub.http_tls import ServerTls, uvicorn_options
from hub.net import free_port

#: uvicorn's lifespan modes (``off`` for an app without startup/shutdown handlers).
Lifespan = Literal["auto", "on", "off"]


class ServerThread:
    """``start()`` returns once uvicorn listens; ``url`` is then its base URL.

    ``tls`` serves HTTPS (and, with client CAs, mutual TLS) exactly as the hub's own servers do
    (``hub.http_tls``). ``lifespan`` and ``timeout_graceful_shutdown`` go to ``uvicorn.Config``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ServerTls | None = None,
        lifespan: Lifespan = "auto",
        timeout_graceful_shutdown: int | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port()
        self.name = name
        self.tls = tls
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", access_log=False,
            lifespan=lifespan, timeout_graceful_shutdown=timeout_graceful_shutdown,
            **uvicorn_options(tls),
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "http" if self.tls is None else "https"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def stopping(self) -> bool:
        """True once asked to stop: a long handler (a simulated timeout) should end early."""
        return bool(self._server.should_exit)

    def start(self, timeout_s: float = 30.0) -> ServerThread:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._server.run, name=f"{self.name}-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} failed to start on port {self.port}")
            if time.monotonic() > deadline:
                self._server.should_exit = True
                raise TimeoutError(f"{self.name} did not start in {timeout_s} s")
            time.sleep(0.02)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=timeout_s)
        self._thread = None

    def serve_forever(self) -> None:
        """Run in the calling thread until SIGINT/SIGTERM (``python -m ... simulator``)."""
        self._server.run()


class SimulatorServer:
    """A simulator served by a ``ServerThread``: subclasses call ``_serve`` in ``__init__``
    once ``app`` is built, and release their own resources in ``_closed``."""

    _server: ServerThread

    @classmethod
    def of(cls, sim: SimulatorServer) -> Self:
        """``sim`` as this kind of simulator, for a partner's workload: its spec hands it its own
        simulator, so anything else is a wiring error (``TypeError``)."""
        if not isinstance(sim, cls):
            raise TypeError(f"expected a {cls.__name__}, got a {type(sim).__name__}")
        return sim

    def _serve(
        self,
        app: ASGIApp,
        *,
        name: str,
        host: str,
        port: int,
        tls: ServerTls | None = None,
        lifespan: Lifespan = "auto",
        timeout_graceful_shutdown: int | None = None,
    ) -> None:
        self._server = ServerThread(
            app, name=name, host=host, port=port, tls=tls, lifespan=lifespan,
            timeout_graceful_shutdown=timeout_graceful_shutdown,
        )  # fmt: skip

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def base_url(self) -> str:
        return self._server.url

    @property
    def url(self) -> str:
        """Where the partner's client is pointed (the base URL unless a subclass says more)."""
        return self.base_url

    @property
    def stopping(self) -> bool:
        return self._server.stopping

    def start(self, timeout_s: float = 30.0) -> Self:
        self._server.start(timeout_s)
        return self

    def stop(self) -> None:
        self._server.stop()
        self._closed()

    def _closed(self) -> None:
        """After the server stopped: close clients, pools, sockets (nothing by default)."""

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
