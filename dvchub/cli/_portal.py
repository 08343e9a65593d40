"""``dvchub portal serve|openapi``: run the connector, refresh its committed OpenAPI document.

The connector (its FastAPI app, Kafka clients) is imported inside the commands.
"""

from __future__ import annotations

import typer

from hub.logs import configure_logging
from hub.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the ``portal`` command group to the ``dvchub`` CLI."""
    portal = typer.Typer(
        help="The provincial portal connector (HTTP -> Kafka).", no_args_is_help=True
    )

    @portal.command()
    def serve(
        host: str | None = typer.Option(
            None, help="Bind address [default: DVC_PORTAL_HOST or 127.0.0.1]."
        ),
        port: int | None = typer.Option(None, help="Port [default: DVC_PORTAL_PORT or 8088]."),
        log_level: str | None = typer.Option(
            None, help="Log level [default: DVC_LOG_LEVEL or INFO]."
        ),
    ) -> None:
        """Serve POST /v1/events and PUT /v1/procedures/{code} until interrupted, over TLS
        (DVC_HTTP_TLS_*; mutual TLS with DVC_HTTP_TLS_CLIENT_CA_FILE)."""
        from connectors.portal import PortalConfig, create_app
        from hub.http_tls import serve as serve_http
        from hub.http_tls import server_tls

        if log_level is not None:
            configure_logging(log_level)
        config = PortalConfig()
        # Before serving: SecretError (TlsError included) -> exit 2 (cli.main).
        config.require_secrets()
        tls = server_tls("the portal connector")
        # log_config=None: uvicorn's records go through hub.logs, redacted, at its level.
        serve_http(
            create_app(get_settings(), config),
            host=host or config.host,
            port=port or config.port,
            tls=tls,
            log_config=None,
        )

    @portal.command()
    def openapi(
        check: bool = typer.Option(False, "--check", help="Exit 1 if the committed copy is stale."),
    ) -> None:
        """Write the OpenAPI document to connectors/portal/openapi.json."""
        from connectors.portal import OPENAPI_PATH, openapi_document

        document = openapi_document()
        current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
        if check:
            if current != document:
                typer.echo(f"{OPENAPI_PATH} is out of date; run `dvchub portal openapi`", err=True)
                raise typer.Exit(1)
            return
        OPENAPI_PATH.write_text(document, encoding="utf-8")
        typer.echo(f"wrote {OPENAPI_PATH}")

    app.add_typer(portal, name="portal")
