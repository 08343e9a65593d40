"""``dvchub demo run``: what works today, shown on the real local stack."""

from __future__ import annotations

import os

import typer

from hub.logs import ENV_LEVEL, configure_logging

app = typer.Typer(help="Demonstrations on the local stack.")


@app.command()
def run(dossiers: int = typer.Option(5, help="How many sample dossiers to drive.")) -> None:
    """Drive sample dossiers through the portal connector, the lifecycle worker and the signing
    processor, and show the events, signatures and states."""
    from dvchub.demo import run_demo

    if not os.environ.get(ENV_LEVEL):
        configure_logging("WARNING")  # the demo's tables, not every request's log line
    run_demo(dossiers)
