"""The TLS contract every HTTP server of the hub is held to (``test_http_tls_servers.py`` runs
it over each server): the test PKI, the clients that probe a server, and the two abstract
classes, one for any server and one for a server started as a command."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from hub.http_tls import (
    CERT_VARIABLE,
    CLIENT_CA_VARIABLE,
    KEY_PASSWORD_VARIABLE,
    KEY_VARIABLE,
    UPSTREAM_VARIABLE,
)
from hub.pki import CertificateAuthority, IssuedCertificate, client_context
from hub.processing import free_port
from hub.settings import REPO_ROOT, Settings
from tests.hub.test_secrets import production_env, refused

DVCHUB = str(Path(sys.executable).with_name("dvchub"))
KEY_PASSWORD = "server-key-password-0123456789"
GOOD = "a-production-secret-0123456789ab"
START_TIMEOUT_S = 90.0
IO_TIMEOUT_S = 10.0
OK = "HTTP/1.1 200 OK"
#: How a client sees a handshake the server refuses: it closes the connection (asyncio's TLS
#: sends no alert), or resets it.
REFUSED = (ssl.SSLError, ConnectionResetError)
#: Whether the server on a port answers.
ReadyCheck = Callable[[int], bool]


@dataclass(frozen=True)
class Pki:
    hub: CertificateAuthority
    server: IssuedCertificate  # issued by the hub's CA; key encrypted with KEY_PASSWORD
    password_file: Path
    partner: CertificateAuthority
    partner_client: IssuedCertificate
    stranger: IssuedCertificate  # a client certificate of a CA nobody trusts

    def server_env(self) -> dict[str, str]:
        return {
            CERT_VARIABLE: str(self.server.cert_file),
            KEY_VARIABLE: str(self.server.key_file),
            KEY_PASSWORD_VARIABLE + "_FILE": str(self.password_file),
        }


# -- clients --------------------------------------------------------------------------------------


def capped(context: ssl.SSLContext, version: ssl.TLSVersion) -> ssl.SSLContext:
    context.maximum_version = version
    return context


def tls_1_1_client() -> ssl.SSLContext:
    """A client offering TLS 1.0-1.1 only (its own security level lowered so that it really
    offers them: the refusal must come from the server)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # that is the point
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


def handshake(port: int, context: ssl.SSLContext) -> None:
    """A completed TLS handshake with the server, or ``OSError`` (``ssl.SSLError`` ...)."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1"),
    ):
        pass


def answer(port: int, context: ssl.SSLContext, path: str) -> str:
    """The status line the server answers ``GET path`` with over TLS; ``""`` when it closes
    the connection instead, the error's class name when the connection fails."""
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            return tls.recv(256).split(b"\r\n")[0].decode()
    except OSError as exc:
        return type(exc).__name__


# -- the contract -------------------------------------------------------------------------------


class HttpsServerContract(ABC):
    """What every HTTP server of the hub does with TLS; subclasses say how to start one."""

    #: The variable naming the CAs of the clients this server accepts (mutual TLS).
    client_ca_variable: ClassVar[str] = CLIENT_CA_VARIABLE
    #: A path answered 200 without credentials.
    probe: ClassVar[str] = "/metrics"

    @abstractmethod
    def serving(
        self, tls_env: dict[str, str], settings: Settings, ready: ReadyCheck, log: Path
    ) -> AbstractContextManager[int]:
        """The server with the TLS variables ``tls_env``; its port once ``ready(port)``."""

    def _serve(
        self, pki: Pki, env: dict[str, str], settings: Settings, log: Path
    ) -> AbstractContextManager[int]:
        probe = client_context(pki.hub.ca_file, pki.partner_client)
        return self.serving(env, settings, lambda port: answer(port, probe, self.probe) == OK, log)

    @pytest.fixture
    def https_port(self, pki: Pki, hub_topics: Settings, tmp_path: Path) -> Iterator[int]:
        with self._serve(pki, pki.server_env(), hub_topics, tmp_path / "server.log") as port:
            yield port

    @pytest.fixture
    def mutual_port(self, pki: Pki, hub_topics: Settings, tmp_path: Path) -> Iterator[int]:
        env = {**pki.server_env(), self.client_ca_variable: str(pki.partner.ca_file)}
        with self._serve(pki, env, hub_topics, tmp_path / "server.log") as port:
            yield port

    def test_https_verified_against_the_hubs_ca_and_nothing_weaker(
        self, https_port: int, pki: Pki
    ) -> None:
        url = f"https://127.0.0.1:{https_port}{self.probe}"
        with httpx.Client(verify=client_context(pki.hub.ca_file), timeout=IO_TIMEOUT_S) as http:
            assert http.get(url).status_code == 200
            assert http.get(url.replace("127.0.0.1", "localhost")).status_code == 200
        tls_1_2 = capped(client_context(pki.hub.ca_file), ssl.TLSVersion.TLSv1_2)
        assert answer(https_port, tls_1_2, self.probe) == OK
        with pytest.raises(httpx.TransportError):
            httpx.get(url.replace("https://", "http://"), timeout=IO_TIMEOUT_S)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(url, verify=client_context(pki.partner.ca_file), timeout=IO_TIMEOUT_S)
        with pytest.raises(REFUSED):
            handshake(https_port, tls_1_1_client())

    def test_mutual_tls_admits_only_clients_of_the_partners_ca(
        self, mutual_port: int, pki: Pki
    ) -> None:
        partner = client_context(pki.hub.ca_file, pki.partner_client)
        assert answer(mutual_port, partner, self.probe) == OK
        assert answer(mutual_port, capped(partner, ssl.TLSVersion.TLSv1_2), self.probe) == OK
        for certificate in (None, pki.stranger):
            # TLS 1.2: the server checks the client's certificate before its Finished, so the
            # client's handshake itself fails.
            tls_1_2 = capped(client_context(pki.hub.ca_file, certificate), ssl.TLSVersion.TLSv1_2)
            with pytest.raises(REFUSED):
                handshake(mutual_port, tls_1_2)
            # TLS 1.3: the client's side completes first; the server drops it before any byte.
            refused = answer(mutual_port, client_context(pki.hub.ca_file, certificate), self.probe)
            assert not refused.startswith("HTTP/"), refused


class CommandContract(HttpsServerContract):
    """A server run as its real command, in a process of its own."""

    #: Secrets the command needs in production (so that TLS is what it refuses).
    production_secrets: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def argv(self, port: int) -> list[str]:
        """The command serving on ``port``."""

    def port_env(self, port: int) -> dict[str, str]:
        """Variables giving the command its port (for those without a --port option)."""
        return {}

    @contextmanager
    def serving(
        self, tls_env: dict[str, str], settings: Settings, ready: ReadyCheck, log: Path
    ) -> Iterator[int]:
        port = free_port()
        env = {
            # The suite's Kafka login (DVC_KAFKA_*, tests/conftest.py) and stack come along; a
            # DVC_BOOTSTRAP_SERVERS of the local stack's own would switch off its default
            # password file and CA (hub.settings), so only another cluster's is passed on.
            **os.environ,
            "DVC_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
            "DVC_TOPIC_PREFIX": settings.topic_prefix,
            "DVC_PARTITIONS": str(settings.partitions),
            "PYTHONUNBUFFERED": "1",
            **self.port_env(port),
            **tls_env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(self.argv(port), env=env, cwd=REPO_ROOT, stdout=out,
                                       stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not ready(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{self.argv(port)} did not serve:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield port
        finally:
            _stop(process)

    def test_production_refuses_to_start_without_a_certificate(self) -> None:
        port = free_port()
        env = production_env(**self.production_secrets, **self.port_env(port))
        stderr = refused(self.argv(port), env, CERT_VARIABLE)
        assert UPSTREAM_VARIABLE in stderr  # the documented alternative is named

    def test_a_key_that_is_not_the_certificates_is_a_start_up_error(self, pki: Pki) -> None:
        port = free_port()
        env = production_env(**self.production_secrets, **self.port_env(port))
        env[CERT_VARIABLE] = str(pki.server.cert_file)
        env[KEY_VARIABLE] = str(pki.stranger.key_file)
        refused(self.argv(port), env, KEY_VARIABLE)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
