"""``dvchub``: run the local stack, manage the Avro contract, show what the hub does."""

from __future__ import annotations

import typer

from hub.cli import _demo, _schemas, _stack

app = typer.Typer(
    name="dvchub",
    help="dvc-hub: the event-sourced integration hub for public-service dossiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(_stack.app, name="stack")
app.add_typer(_schemas.app, name="schemas")
app.add_typer(_demo.app, name="demo")


def main() -> None:
    app()
