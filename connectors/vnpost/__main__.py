"""``python -m connectors.vnpost callbacks|simulator``: serve the callback endpoint, or the
VNPost simulator (for the local stack and demos) until interrupted."""

from __future__ import annotations

import time

import typer

from hub.logs import configure_logging
from hub.secrets import SecretError

cli = typer.Typer(help="The VNPost connector.", no_args_is_help=True)


@cli.command()
def callbacks(
    host: str | None = typer.Option(None, help="Bind address [default: DVC_VNPOST_HOST]."),
    port: int | None = typer.Option(None, help="Port [default: DVC_VNPOST_PORT or 8090]."),
    log_level: str | None = typer.Option(None, help="Log level [default: DVC_LOG_LEVEL]."),
) -> None:
    """Serve POST /vnpost/callback (and ?wsdl, /ready, /metrics), over TLS (DVC_HTTP_TLS_*)."""
    from connectors.vnpost import VnpostConfig, serve_callbacks
    from hub.settings import get_settings

    configure_logging(log_level)
    try:
        # Secrets and TLS are checked before serving. log_config=None: uvicorn's records go
        # through hub.logs, redacted.
        serve_callbacks(get_settings(), VnpostConfig(), host=host, port=port, log_config=None)
    except SecretError as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def simulator(
    port: int = typer.Option(8089, help="Port of the simulated PostalService."),
    callback_url: str | None = typer.Option(
        None, help="Where to send NotifyStatus callbacks (the hub's /vnpost/callback)."
    ),
    advance_every_s: float = typer.Option(
        0.0, help="Move every open order one step (and call back) this often; 0: never."
    ),
    log_level: str | None = typer.Option(None, help="Log level [default: DVC_LOG_LEVEL]."),
) -> None:
    """Serve the simulator with the local stack's credentials (DVC_VNPOST_* defaults)."""
    from connectors.vnpost import VnpostConfig, VnpostSimulator

    configure_logging(log_level)
    config = VnpostConfig()
    user, _, password = next(iter(config.callback_users.get_secret_value().split(","))).partition(
        ":"
    )
    sim = VnpostSimulator(
        username=config.username,
        password=config.password.get_secret_value(),
        callback_url=callback_url,
        callback_username=user,
        callback_password=password,
        port=port,
    )
    with sim:
        typer.echo(f"VNPost simulator at {sim.url}")
        try:
            while True:
                time.sleep(advance_every_s or 3600)
                if advance_every_s and callback_url:
                    sim.advance_all()
        except KeyboardInterrupt:
            pass
    typer.echo(f"orders created: {sim.orders_created}, duplicates seen: {sim.duplicates}")


cli()
