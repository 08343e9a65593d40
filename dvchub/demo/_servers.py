"""The demo's moving parts: HTTP apps on loopback threads, processor workers as processes.

The demo's servers speak HTTPS as in production: ``demo_pki()`` makes, for each run, a CA of the
demo's own (the hub's) and the servers' certificate; ``partner_pki(name)`` a CA and a client
certificate for each partner whose simulator calls the hub (mutual TLS, as its spec's demo part
says: VNPost's callbacks, the payment provider's IPN); every client verifies the hub's CA.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from hub.http_tls import HttpTlsSettings, ServerTls, server_tls, uvicorn_options
from hub.pki import CertificateAuthority, IssuedCertificate, client_context
from hub.processing import WorkerProcess, free_port
from hub.settings import REPO_ROOT, Settings

PKI_DIR = REPO_ROOT / ".cache" / "demo" / "tls"


@dataclass(frozen=True)
class PartnerPki:
    """A partner's own CA, and the client certificate its simulator presents."""

    ca: CertificateAuthority
    client: IssuedCertificate


@dataclass(frozen=True)
class DemoPki:
    hub: CertificateAuthority
    server: IssuedCertificate

    def tls(self, client_ca: CertificateAuthority | None = None) -> ServerTls:
        """The servers' TLS; with ``client_ca``, mutual TLS for that partner's clients."""
        settings = HttpTlsSettings(
            cert_file=self.server.cert_file,
            key_file=self.server.key_file,
            client_ca_file=None if client_ca is None else client_ca.ca_file,
        )
        tls = server_tls("a demo server", settings=settings, env={})
        if tls is None:  # cannot be: a certificate is set
            raise RuntimeError("the demo's servers have no certificate")
        return tls

    def client(self, certificate: IssuedCertificate | None = None) -> ssl.SSLContext:
        """A client trusting the hub's CA only, presenting ``certificate`` if given."""
        return client_context(self.hub.ca_file, certificate)


@cache
def demo_pki() -> DemoPki:
    """The run's PKI under ``.cache/demo/tls`` (made afresh by each run)."""
    hub = CertificateAuthority.create(PKI_DIR, "hub", "dvc-hub demo CA")
    return DemoPki(hub, hub.issue_server("hub-server"))


@cache
def partner_pki(partner: str) -> PartnerPki:
    """Partner ``partner``'s CA and client certificate for this run (under ``.cache/demo/tls``)."""
    ca = CertificateAuthority.create(PKI_DIR, partner, f"{partner} demo CA")
    return PartnerPki(ca, ca.issue_client(f"{partner}-client"))


@contextmanager
def serving(app: FastAPI, name: str, tls: ServerTls | None = None) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread, over ``tls`` if given; yields its
    base URL."""
    port = free_port()
    # log_config=None: uvicorn's records go to the process's hub.logs handler, redacted.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level=None,
                            **uvicorn_options(tls))  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.05)
    try:
        yield f"{'http' if tls is None else 'https'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


#: The Kafka principal each processor of the registry (``dvchub worker --list``) runs as
#: (hub.stack's ACL table): the demo's workers show that every service works with exactly its
#: grants. The KPI folds share one principal.
PRINCIPAL_OF = {
    "lifecycle": "lifecycle",
    "sla": "sla",
    "kpi-dossiers": "kpi",
    "kpi": "kpi",
    "kpi-procedures": "kpi",
    "routing": "routing",
    "payments": "payments",
}
#: The outbox workers' principal, one for every partner.
OUTBOX_PRINCIPAL = "outbox"


def worker_process(
    name: str,
    settings: Settings,
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
) -> WorkerProcess:
    """``python -m hub.processing worker NAME``, logged in to Kafka as its own service."""
    return WorkerProcess(name, settings, log_path, env=env, principal=PRINCIPAL_OF[name])


def outbox_process(
    partner: str, settings: Settings, log_path: Path, *, env: Mapping[str, str] | None = None
) -> WorkerProcess:
    """``python -m dvchub.outbox worker --partner PARTNER``, logged in as the outbox."""
    return WorkerProcess(
        None, settings, log_path, args=("--partner", partner), env=env,
        principal=OUTBOX_PRINCIPAL, module="dvchub.outbox",
    )  # fmt: skip


@contextmanager
def worker(
    name: str, settings: Settings, log_path: Path, *, env: Mapping[str, str] | None = None
) -> Iterator[WorkerProcess]:
    """``python -m hub.processing worker NAME`` as a separate OS process, ready; stopped at
    the end."""
    process = worker_process(name, settings, log_path, env=env)
    try:
        process.wait_ready(120)
        yield process
    finally:
        process.stop()


@contextmanager
def lifecycle_worker(settings: Settings, log_path: Path) -> Iterator[int]:
    """``python -m hub.processing worker lifecycle``; yields its web port."""
    with worker("lifecycle", settings, log_path) as process:
        yield process.port
