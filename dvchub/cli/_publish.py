"""``dvchub publish``: the province's public pages (``hub.publish``).

    dvchub publish build DIR           build the pages once from the log, now (on demand)
    dvchub publish run DIR             keep them: build every DVC_PUBLISH_INTERVAL_S and on SIGHUP
    dvchub publish serve DIR --port N  serve DIR's current build, read-only, HTTPS (hub.http_tls)

A portal may serve ``DIR/current`` itself instead. Time is ``DVC_CLOCK`` (wall by default).
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from hub.serde import RegistryClient
from hub.settings import get_settings

console = Console()

DirArgument = typer.Argument(..., help="Directory the pages are published into.")


def register(app: typer.Typer) -> None:
    """Add ``publish build|run|serve`` to ``app``."""
    publish = typer.Typer(help="The province's public pages.", no_args_is_help=True)

    @publish.command("build")
    def build(directory: Path = DirArgument) -> None:
        """Build every page now from the log (sla.deadlines, kpi, kpi.procedures)."""
        from hub.processing import clock_from_spec
        from hub.publish import Publisher, PublishError, read_inputs

        settings = get_settings()
        with RegistryClient(settings.schema_registry_url) as registry:
            publisher = Publisher(directory, lambda: read_inputs(settings, registry),
                                  clock=clock_from_spec(os.environ.get("DVC_CLOCK")))  # fmt: skip
            try:
                built = publisher.rebuild()
            except PublishError as exc:
                console.print(f"[red]{exc}")
                raise typer.Exit(1) from exc
        console.print(f"{built.pages} pages ({len(built.release.files)} files) as at "
                      f"{built.as_of.isoformat(timespec='minutes')} in {built.seconds:.2f} s: "
                      f"{directory / 'current'}")  # fmt: skip

    @publish.command("run")
    def run(directory: Path = DirArgument) -> None:
        """Follow the topics and rebuild on a schedule (DVC_PUBLISH_INTERVAL_S) and on SIGHUP;
        SIGTERM or Ctrl-C stops."""
        from hub.processing import clock_from_spec
        from hub.publish import FollowedInputs, Publisher, PublishError

        settings = get_settings()
        stop, wake = threading.Event(), threading.Event()

        def on_signal(number: int, _: FrameType | None) -> None:
            if number != signal.SIGHUP:
                stop.set()
            wake.set()

        for number in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, on_signal)
        with RegistryClient(settings.schema_registry_url) as registry:
            followed = FollowedInputs(settings, registry).start()
            clock = clock_from_spec(os.environ.get("DVC_CLOCK"))
            try:
                Publisher(directory, followed.current, clock=clock).run(stop, wake)
            except PublishError as exc:
                console.print(f"[red]{exc}")
                raise typer.Exit(1) from exc
            finally:
                followed.stop()

    @publish.command("serve")
    def serve(
        directory: Path = DirArgument,
        host: str = "127.0.0.1",
        port: int = typer.Option(8443, help="Port to listen on."),
    ) -> None:
        """Serve DIR's current build over HTTPS (DVC_HTTP_TLS_*), read-only, no listings."""
        from hub.http_tls import server_tls
        from hub.publish import serve_pages

        tls = server_tls("the public pages")  # TlsError -> exit 2 (cli.main)
        serve_pages(directory, host=host, port=port, tls=tls)

    app.add_typer(publish, name="publish")
