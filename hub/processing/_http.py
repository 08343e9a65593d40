"""``/ready`` (JSON, 503 when not ready), ``/metrics`` (Prometheus text) and ``/status`` of a
worker on the shared consume loop (``ConsumeLoop``): a thread, no framework."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class WebServer:
    """Serves in a daemon thread; ``status`` returns the ``/ready`` document, ``/metrics`` the
    samples of every registry in ``registries`` (their metric names must not clash)."""

    def __init__(
        self,
        host: str,
        port: int,
        status: Callable[[], Mapping[str, object]],
        registries: Sequence[CollectorRegistry],
    ) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path in ("/ready", "/status"):
                    doc = dict(status())
                    code = 200 if doc.get("ready") or self.path == "/status" else 503
                    self._send(code, "application/json", json.dumps(doc).encode())
                elif self.path == "/metrics":
                    body = b"".join(generate_latest(r) for r in registries)
                    self._send(200, CONTENT_TYPE_LATEST, body)
                else:
                    self._send(404, "text/plain", b"not found\n")

            def _send(self, code: int, content_type: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # scrapes every 2 s would drown the log

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
