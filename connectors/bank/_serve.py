"""Starting the IPN endpoints: provider secrets and TLS checked first, then uvicorn.

Both entry points (``dvchub bank-ipn``, ``python -m connectors.bank ipn``) call ``serve_ipn``.
With ``DVC_BANK_CLIENT_CA_FILE`` the providers' callbacks must present a client certificate
from one of its CAs (mutual TLS; one PEM file may hold paygov's and VNPAY's); the server's own
certificate and key come from ``DVC_HTTP_TLS_*`` (``hub.http_tls``), refused at start-up in
production without them.
"""

from __future__ import annotations

from connectors.bank._config import BankConfig
from connectors.bank._ipn import create_ipn_app
from hub.http_tls import serve, server_tls
from hub.settings import Settings

#: The payment providers' CA(s) for mutual TLS on the IPN endpoints.
CLIENT_CA_VARIABLE = "DVC_BANK_CLIENT_CA_FILE"
ENDPOINT = "the payment IPN endpoint"


def serve_ipn(settings: Settings | None, config: BankConfig, **options: object) -> None:
    """Serve the IPN endpoints on ``DVC_BANK_HOST:PORT`` until interrupted; ``SecretError``
    (``TlsError`` included) before anything is served when a secret or TLS is refused."""
    config.require_secrets()
    tls = server_tls(ENDPOINT, client_ca_variable=CLIENT_CA_VARIABLE)
    app = create_ipn_app(settings, config)
    serve(app, host=config.host, port=config.port, tls=tls, **options)
