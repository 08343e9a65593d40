"""``dvchub sla worker``: one SLA worker (deadlines, durable timers, alerts). Mount with
``register(app)``; ``hub.sla`` (faust) is imported inside the command."""

from __future__ import annotations

import typer

from hub.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add ``sla worker`` to ``app``."""
    sla = typer.Typer(help="The SLA engine: deadlines, timers, alerts.", no_args_is_help=True)

    @sla.command("worker")
    def worker(
        web_port: int = typer.Option(
            6067, help="Port of the worker's web server (/ready, /metrics)."
        ),
        no_web: bool = typer.Option(False, "--no-web", help="Run without the web server."),
        catalog_grace: float = typer.Option(
            2.0, help="Seconds a submission waits for its procedure."
        ),
        clock: str = typer.Option(
            "wall",
            envvar="DVC_CLOCK",
            help="wall, file:<path> or accelerated:<start ISO>@<epoch s>x<rate>.",
        ),
        loglevel: str = typer.Option("info", envvar="DVC_LOG_LEVEL", help="Log level."),
    ) -> None:
        """Run one SLA worker; start several to share the partitions (and their timers)."""
        from hub.processing import RunnerOptions
        from hub.sla import run_worker

        options = RunnerOptions(
            web_port=web_port, web_enabled=not no_web, grace_s=catalog_grace, clock=clock
        )
        run_worker(get_settings(), options, loglevel=loglevel)

    app.add_typer(sla, name="sla")
