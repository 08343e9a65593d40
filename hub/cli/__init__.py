"""``dvchub``: run the local stack, manage the Avro contract, run the hub's processes."""

from __future__ import annotations

import typer

from connectors.portal._cli import register as register_portal
from hub.cli import _demo, _schemas, _signing, _stack
from hub.lifecycle._cli import register as register_lifecycle
from signing._cli import register as register_signing

app = typer.Typer(
    name="dvchub",
    help="dvc-hub: the event-sourced integration hub for public-service dossiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(_stack.app, name="stack")
app.add_typer(_schemas.app, name="schemas")
app.add_typer(_demo.app, name="demo")
app.add_typer(_signing.app, name="signing")
register_signing(app)  # dvchub verify FILE, dvchub sign FILE
register_portal(app)  # dvchub portal serve|openapi
register_lifecycle(app)  # dvchub lifecycle worker, api serve, replay, replay-check


def main() -> None:
    app()
