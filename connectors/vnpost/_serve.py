"""Starting the callback endpoint: secrets and TLS checked first, then uvicorn.

Both entry points (``dvchub vnpost-callbacks``, ``python -m connectors.vnpost callbacks``) call
``serve_callbacks``. VNPost's client certificates (mutual TLS) must chain to the CAs in
``DVC_VNPOST_CLIENT_CA_FILE`` (``hub.http_tls``: certificate and key from
``DVC_HTTP_TLS_CERT_FILE`` / ``_KEY_FILE``, refused at start-up in production without them).
"""

from __future__ import annotations

from connectors.vnpost._app import create_callback_app
from connectors.vnpost._config import CALLBACK_PATH, VnpostConfig
from hub.http_tls import serve, server_tls
from hub.settings import Settings

#: VNPost's CA(s): its callbacks must present a client certificate issued by one of them.
CLIENT_CA_VARIABLE = "DVC_VNPOST_CLIENT_CA_FILE"
ENDPOINT = "the VNPost callback endpoint"


def serve_callbacks(
    settings: Settings,
    config: VnpostConfig,
    *,
    host: str | None = None,
    port: int | None = None,
    **options: object,
) -> None:
    """Serve ``POST /vnpost/callback`` until interrupted; ``SecretError`` (``TlsError``
    included) before anything is served when a secret or the TLS configuration is refused.
    ``options`` go to uvicorn."""
    config.require_callback_secrets()
    tls = server_tls(ENDPOINT, client_ca_variable=CLIENT_CA_VARIABLE)
    host, port = host or config.host, port or config.port
    if config.public_url is None:
        # The address the WSDL publishes by default: the one served, in its scheme.
        scheme = "http" if tls is None else "https"
        config = config.model_copy(
            update={"public_url": f"{scheme}://{host}:{port}{CALLBACK_PATH}"}
        )
    serve(create_callback_app(settings, config), host=host, port=port, tls=tls, **options)
