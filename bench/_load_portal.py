"""The portal connector as production runs it: ``dvchub portal serve`` in its own process, over
HTTPS with a server certificate of a CA made for this run (``hub.pki``), a one-off API key, and
its ``/ready`` and ``/metrics`` read over the same TLS."""

from __future__ import annotations

import os
import secrets
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from connectors.portal.client import PortalClient
from hub.http_tls import CERT_VARIABLE, KEY_VARIABLE
from hub.net import free_port
from hub.pki import CertificateAuthority, client_context
from hub.settings import REPO_ROOT, Settings


class PortalProcess:
    """``dvchub portal serve`` on a free loopback port; ``work`` holds its log and the run's CA."""

    def __init__(self, settings: Settings, work: Path) -> None:
        authority = CertificateAuthority.create(work / "tls", "load", "dvc-hub load bench CA")
        server = authority.issue_server("portal")
        self.tls: ssl.SSLContext = client_context(authority.ca_file)
        self.key = secrets.token_urlsafe(16)
        port = free_port()
        self.url = f"https://127.0.0.1:{port}"
        self.log_path = work / "portal.log"
        env = {
            **os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix,
            "DVC_PARTITIONS": str(settings.partitions), "DVC_LOG_LEVEL": "WARNING",
            "DVC_PORTAL_API_KEYS": f"PROVINCIAL_PORTAL:{self.key}",
            CERT_VARIABLE: str(server.cert_file), KEY_VARIABLE: str(server.key_file),
        }  # fmt: skip
        self._log = self.log_path.open("wb")
        dvchub = Path(sys.executable).with_name("dvchub")
        self.proc = subprocess.Popen(
            [str(dvchub), "portal", "serve", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._http = httpx.Client(base_url=self.url, verify=self.tls, timeout=5.0)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def client(self, timeout_s: float = 120.0) -> PortalClient:
        """A client of its own (one per load thread: each keeps its own TLS connection)."""
        return PortalClient(self.url, api_key=self.key, timeout_s=timeout_s, verify=self.tls)

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self._ready():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the portal connector did not become ready:\n{tail}")
            time.sleep(0.25)

    def _ready(self) -> bool:
        try:
            return self._http.get("/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def metric(self, name: str) -> float:
        """The sum of every sample of counter or gauge ``name`` on its ``/metrics``."""
        text = self._http.get("/metrics").text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name
        )

    def stop(self) -> None:
        self._http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()
