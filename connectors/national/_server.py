"""An ASGI app served by uvicorn in a daemon thread on a free loopback port (the simulators)."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from hub.processing import free_port


class ServerThread:
    """``start()`` returns once uvicorn listens; ``url`` is then its base URL."""

    def __init__(self, app: Any, *, name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port()
        self.name = name
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

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
