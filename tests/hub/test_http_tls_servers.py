"""Real TLS handshakes with every HTTP server the hub runs, through one contract.

``HttpsServerContract`` is run over each server (one subclass each): the real commands as
processes (portal connector, VNPost callbacks, payment IPN and national intake through both
their entry points, query API, signature verification) and the in-process ``ServerThread``. A
test PKI: the hub's CA (the server's certificate, its key encrypted, the password from a
``_FILE``), a partner's CA (its client certificate) and a stranger's CA. Each server must:

* answer HTTPS to a client that trusts only the hub's CA, over TLS 1.2 and 1.3;
* refuse plain HTTP, TLS 1.1, and a client that does not trust the hub's CA;
* with the partner's CA as client CA (the endpoint's own variable: ``DVC_VNPOST_CLIENT_CA_FILE``
  ...), refuse at the handshake a client without a certificate or with the stranger's, and
  answer the partner's client;
* as a command, in production, refuse to start without a certificate, or with a key that is not
  the certificate's: one line naming the variable, no traceback, no secret.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from connectors.common import ServerThread
from hub.http_tls import (
    CERT_VARIABLE,
    CLIENT_CA_VARIABLE,
    KEY_PASSWORD_VARIABLE,
    KEY_VARIABLE,
    HttpTlsSettings,
    server_tls,
)
from hub.pki import CertificateAuthority, client_context
from hub.settings import Settings
from tests.hub._tls_contract import (
    DVCHUB,
    GOOD,
    KEY_PASSWORD,
    CommandContract,
    HttpsServerContract,
    Pki,
    ReadyCheck,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    hub = CertificateAuthority.create(folder, "hub")
    partner = CertificateAuthority.create(folder, "partner")
    stranger = CertificateAuthority.create(folder, "stranger")
    password_file = folder / "key-password"
    password_file.write_text(KEY_PASSWORD + "\n")
    return Pki(
        hub=hub,
        server=hub.issue_server("server", password=KEY_PASSWORD),
        password_file=password_file,
        partner=partner,
        partner_client=partner.issue_client("partner-client"),
        stranger=stranger.issue_client("stranger-client"),
    )


# -- the servers ----------------------------------------------------------------------------------

API_KEYS = {"DVC_API_KEYS": f"erp:integrator:{GOOD}"}


class TestPortalConnector(CommandContract):
    production_secrets: ClassVar[dict[str, str]] = {
        "DVC_PORTAL_API_KEYS": f"PROVINCIAL_PORTAL:{GOOD}"
    }

    def argv(self, port: int) -> list[str]:
        return [DVCHUB, "portal", "serve", "--port", str(port)]


class TestVnpostCallbacks(CommandContract):
    client_ca_variable = "DVC_VNPOST_CLIENT_CA_FILE"
    production_secrets: ClassVar[dict[str, str]] = {"DVC_VNPOST_CALLBACK_USERS": f"vnpost:{GOOD}"}

    def argv(self, port: int) -> list[str]:
        return [DVCHUB, "vnpost-callbacks"]

    def port_env(self, port: int) -> dict[str, str]:
        return {"DVC_VNPOST_PORT": str(port)}

    def test_the_wsdl_publishes_the_https_address(self, https_port: int, pki: Pki) -> None:
        """Without DVC_VNPOST_PUBLIC_URL, VNPost is told to call back where the endpoint
        serves: over HTTPS, on its port."""
        url = f"https://127.0.0.1:{https_port}/vnpost/callback"
        wsdl = httpx.get(f"{url}?wsdl", verify=client_context(pki.hub.ca_file))
        assert wsdl.status_code == 200
        assert f'location="{url}"' in wsdl.text


class TestVnpostCallbacksModule(TestVnpostCallbacks):
    def argv(self, port: int) -> list[str]:
        return [sys.executable, "-m", "connectors.vnpost", "callbacks", "--port", str(port)]


class TestBankIpn(CommandContract):
    client_ca_variable = "DVC_BANK_CLIENT_CA_FILE"
    production_secrets: ClassVar[dict[str, str]] = {
        "DVC_BANK_PAYGOV_SECRET": GOOD,
        "DVC_BANK_VNPAY_SECRET": GOOD.upper(),
    }

    def argv(self, port: int) -> list[str]:
        return [DVCHUB, "bank-ipn"]

    def port_env(self, port: int) -> dict[str, str]:
        return {"DVC_BANK_PORT": str(port)}


class TestBankIpnModule(TestBankIpn):
    def argv(self, port: int) -> list[str]:
        return [sys.executable, "-m", "connectors.bank", "ipn"]


class TestNationalIntake(CommandContract):
    """The intake serves only /ready and /metrics (it polls the portal), over TLS as the rest."""

    production_secrets: ClassVar[dict[str, str]] = {
        "DVC_NATIONAL_USERNAME": "province-account",
        "DVC_NATIONAL_PASSWORD": GOOD,
    }

    def argv(self, port: int) -> list[str]:
        return [DVCHUB, "national-intake"]

    def port_env(self, port: int) -> dict[str, str]:
        return {"DVC_NATIONAL_INTAKE_PORT": str(port)}


class TestNationalIntakeModule(TestNationalIntake):
    def argv(self, port: int) -> list[str]:
        return [sys.executable, "-m", "connectors.national", "intake"]


class TestQueryApi(CommandContract):
    production_secrets = API_KEYS

    def argv(self, port: int) -> list[str]:
        return [DVCHUB, "api", "serve", "--port", str(port)]


class TestSignatureVerification(CommandContract):
    production_secrets = API_KEYS
    probe = "/metrics/"  # prometheus_client's ASGI app, mounted

    def argv(self, port: int) -> list[str]:
        return [DVCHUB, "signing", "serve", "--port", str(port)]


class TestServerThread(HttpsServerContract):
    """The in-process server of the simulators, tests and the demo, given ``ServerTls``."""

    @contextmanager
    def serving(
        self, tls_env: dict[str, str], settings: Settings, ready: ReadyCheck, log: Path
    ) -> Iterator[int]:
        password = Path(tls_env[KEY_PASSWORD_VARIABLE + "_FILE"]).read_text().strip()
        client_ca = tls_env.get(CLIENT_CA_VARIABLE)
        tls_settings = HttpTlsSettings(
            cert_file=Path(tls_env[CERT_VARIABLE]),
            key_file=Path(tls_env[KEY_VARIABLE]),
            key_password=SecretStr(password),
            client_ca_file=None if client_ca is None else Path(client_ca),
        )
        tls = server_tls("a test server", settings=tls_settings, env={})
        app = Starlette(routes=[Route(self.probe, _metrics)])
        server = ServerThread(app, name="tls-test", tls=tls).start()
        try:
            assert server.url.startswith("https://")
            assert ready(server.port)
            yield server.port
        finally:
            server.stop()


async def _metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse("up 1\n")
