"""The chain's HTTP endpoints as processes of their own, as a province runs them: the portal
connector (``dvchub portal serve``), the partners' callback endpoints (``dvchub
vnpost-callbacks``, ``dvchub bank-ipn``) and the national portal's intake (``dvchub
national-intake``), each logged in to Kafka as its service, over HTTPS with the demo's
certificate (mutual TLS with the partner's own CA where its spec says so).

An ``EndpointProcess`` is a ``WorkerProcess`` (the fault suite kills and restarts it like any
worker) on a port fixed for its life, so a partner's simulator keeps calling the same address
across restarts; it is ready when ``/ready`` answers 200 over TLS.
"""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

import httpx

from connectors.common import CallsHub
from connectors.portal.client import PortalClient
from dvchub.demo._lifecycle import RunningPortal
from dvchub.demo._servers import PartnerPki, demo_pki
from hub.processing import WorkerProcess, free_port
from hub.settings import Settings

#: The interface the endpoints bind to: the simulators and the runner reach them on loopback.
HOST = "127.0.0.1"
#: How long the portal's client sends a request again while the connector does not answer.
RETRY_FOR_S = 180.0


class EndpointProcess(WorkerProcess):
    """``python -m dvchub <command>`` serving HTTPS on ``port`` (its ``env`` says so), logged
    in as ``principal``; ``probe`` is how this side reaches its ``/ready`` (the hub's CA, and
    the partner's client certificate under mutual TLS)."""

    def __init__(self, name: str, command: Sequence[str], settings: Settings, log_path: Path, *,
                 env: Mapping[str, str], principal: str, probe: ssl.SSLContext,
                 port: int) -> None:  # fmt: skip
        self._probe = probe
        super().__init__(name, settings, log_path, env=env, principal=principal, port=port,
                         command=("-m", "dvchub", *command))  # fmt: skip

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"

    def _answer(self, path: str, timeout_s: float) -> httpx.Response:
        """Its answer to ``GET path``; ``OSError`` while it does not answer (refused, a
        handshake while it starts)."""
        try:
            return httpx.get(self.url + path, timeout=timeout_s, verify=self._probe)
        except httpx.TransportError as exc:
            raise OSError(str(exc)) from exc

    def _get(self, path: str, timeout_s: float) -> bytes:
        return self._answer(path, timeout_s).content  # /ready's 503 says what it waits for

    def ready(self) -> bool:
        try:
            return self._answer("/ready", 2.0).status_code == 200
        except OSError:
            return False


def _tls_env(client_ca: tuple[str, Path] | None = None) -> dict[str, str]:
    """The demo's server certificate; ``client_ca``: (its variable, a partner's CA file)."""
    pki = demo_pki()
    env = {"DVC_HTTP_TLS_CERT_FILE": str(pki.server.cert_file),
           "DVC_HTTP_TLS_KEY_FILE": str(pki.server.key_file)}  # fmt: skip
    if client_ca is not None:
        env[client_ca[0]] = str(client_ca[1])
    return env


def callbacks_process(calls: CallsHub, own: PartnerPki, settings: Settings,
                      log_dir: Path) -> EndpointProcess:  # fmt: skip
    """``dvchub <calls.inbound>``: the endpoint a partner's simulator calls, mutual TLS with
    the partner's CA ``own``."""
    port = free_port()
    env = {calls.host_variable: HOST, calls.port_variable: str(port),
           **_tls_env((calls.client_ca_variable, own.ca.ca_file))}  # fmt: skip
    return EndpointProcess(calls.inbound, (calls.inbound,), settings,
                           log_dir / f"{calls.inbound}.log", env=env, principal=calls.inbound,
                           probe=demo_pki().client(own.client), port=port)  # fmt: skip


def endpoint_process(name: str, command: Sequence[str], settings: Settings, log_dir: Path,
                     env: Mapping[str, str], *, port: int) -> EndpointProcess:  # fmt: skip
    """``dvchub <command>`` logged in as service ``name``, over the demo's TLS; ``env`` binds it
    to ``port``."""
    return EndpointProcess(name, command, settings, log_dir / f"{name}.log",
                           env={**env, **_tls_env()}, principal=name,
                           probe=demo_pki().client(), port=port)  # fmt: skip


def portal_process(stack: ExitStack, settings: Settings,
                   log_dir: Path) -> tuple[EndpointProcess, RunningPortal]:  # fmt: skip
    """``dvchub portal serve`` with a one-off API key, and a client of it (closed with
    ``stack``; the process is the caller's to stop)."""
    key, port = secrets.token_urlsafe(16), free_port()
    env = {"DVC_PORTAL_HOST": HOST, "DVC_PORTAL_PORT": str(port),
           "DVC_PORTAL_API_KEYS": f"PROVINCIAL_PORTAL:{key}"}  # fmt: skip
    process = endpoint_process("portal", ("portal", "serve"), settings, log_dir, env, port=port)
    # the client sends a request again while the connector restarts (a fault may kill it)
    client = stack.enter_context(PortalClient(process.url, api_key=key, verify=demo_pki().client(),
                                              retry_for_s=RETRY_FOR_S))  # fmt: skip
    return process, RunningPortal(process.url, key, client)


__all__ = ["EndpointProcess", "callbacks_process", "endpoint_process", "portal_process"]
