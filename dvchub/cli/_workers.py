"""``dvchub routing worker`` and ``dvchub payments worker``: the two processors that turn dossier
events into partner commands. Mount with ``register(app)``; faust is imported inside."""

from __future__ import annotations

import typer

from hub.settings import get_settings


def _clock_option() -> str:
    return typer.Option(  # type: ignore[no-any-return]
        "wall", envvar="DVC_CLOCK", help="wall, file:<path> or accelerated:<start>@<epoch>x<rate>."
    )


def register(app: typer.Typer) -> None:
    routing = typer.Typer(help="Dossier events -> partner commands.", no_args_is_help=True)
    payments = typer.Typer(help="Fee payments: requests, status queries, refunds.",
                           no_args_is_help=True)  # fmt: skip

    @routing.command("worker")
    def routing_worker(
        web_port: int = typer.Option(6068, help="Port of /ready and /metrics."),
        catalog_grace: float = typer.Option(2.0, help="Seconds an event waits for its procedure."),
        loglevel: str = typer.Option("info", envvar="DVC_LOG_LEVEL", help="Log level."),
    ) -> None:
        """Postal orders, national-portal syncs and progress, EMC records (DVC_AGENCY_DIRECTORY
        names the agencies' postal addresses)."""
        from hub.processing import RunnerOptions
        from hub.routing import run_worker

        run_worker(get_settings(), RunnerOptions(web_port=web_port, grace_s=catalog_grace),
                   loglevel=loglevel)  # fmt: skip

    @payments.command("worker")
    def payments_worker(
        web_port: int = typer.Option(6069, help="Port of /ready and /metrics."),
        clock: str = _clock_option(),
        loglevel: str = typer.Option("info", envvar="DVC_LOG_LEVEL", help="Log level."),
    ) -> None:
        """Payment requests on FeeRequested, status queries when no callback came (durable
        timers), refunds after a stop or withdrawal (DVC_PAYMENT_* configure it)."""
        from hub.payments import run_worker
        from hub.processing import RunnerOptions

        run_worker(get_settings(), RunnerOptions(web_port=web_port, clock=clock),
                   loglevel=loglevel)  # fmt: skip

    app.add_typer(routing, name="routing")
    app.add_typer(payments, name="payments")
