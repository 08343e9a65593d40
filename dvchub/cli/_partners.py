"""``dvchub outbox worker --partner P``: one partner's outbox worker (``dvchub.outbox``). Mount
with ``register(app)``; the partner's client is imported inside the command."""

from __future__ import annotations

import typer

from hub.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add ``outbox worker`` to ``app``."""
    outbox = typer.Typer(
        help="Partner calls: commands -> partners, outcomes.", no_args_is_help=True
    )

    @outbox.command("worker")
    def worker(
        partner: str = typer.Option(..., help="vnpost, national, emc or bank."),
        web_port: int = typer.Option(6070, help="Port of /ready, /status and /metrics."),
        web_host: str = typer.Option("127.0.0.1", envvar="DVC_WEB_HOST", help="Bind address."),
        concurrency: int = typer.Option(16, help="Dossiers called at once."),
        max_attempts: int | None = typer.Option(None, help="Give up after (default: never)."),
    ) -> None:
        """Consume partner commands in the partner's own group and call it; several workers
        share the partitions."""
        from connectors.outbox import OutboxOptions, RetryPolicy
        from dvchub.outbox import CLIENTS, run

        if partner not in CLIENTS:
            raise typer.BadParameter(f"one of {', '.join(sorted(CLIENTS))}", param_hint="--partner")
        options = OutboxOptions(
            concurrency=concurrency, retry=RetryPolicy(max_attempts=max_attempts),
            web_host=web_host, web_port=web_port,
        )  # fmt: skip
        run(partner, options, get_settings())

    app.add_typer(outbox, name="outbox")

    @app.command("vnpost-callbacks")
    def vnpost_callbacks() -> None:
        """Serve VNPost's status callbacks (SOAP, WS-Security) on DVC_VNPOST_HOST:PORT, over
        TLS (DVC_HTTP_TLS_*; VNPost's client CA: DVC_VNPOST_CLIENT_CA_FILE)."""
        from connectors.vnpost import VnpostConfig, serve_callbacks

        # Secrets and TLS checked before serving: SecretError -> exit 2 (cli.main).
        serve_callbacks(get_settings(), VnpostConfig(), log_config=None)

    @app.command("bank-ipn")
    def bank_ipn() -> None:
        """Serve the payment providers' callbacks (IPN) on DVC_BANK_HOST:PORT, over TLS
        (DVC_HTTP_TLS_*; the providers' client CAs: DVC_BANK_CLIENT_CA_FILE)."""
        from connectors.bank import BankConfig, serve_ipn

        # Secrets and TLS checked before serving: SecretError -> exit 2 (cli.main).
        serve_ipn(get_settings(), BankConfig(), log_config=None)
