"""``dvchub demo run``: what works today, shown on the real local stack."""

from __future__ import annotations

import logging
import os

import typer

from hub.logs import ENV_LEVEL, configure_logging
from hub.secrets import DEV_FLAG, dev_secrets_allowed

app = typer.Typer(help="Demonstrations on the local stack.")


@app.command()
def run(dossiers: int = typer.Option(5, help="How many sample dossiers to drive.")) -> None:
    """Drive sample dossiers through the portal connector, the lifecycle worker and the signing
    processor, and show the events, signatures and states; then deadlines on a simulated clock
    and the KPIs of a sample year."""
    from dvchub.demo import run_demo

    # The demo's simulators share the development secrets published in the repository: only an
    # explicit development machine may use them (`make run` sets the flag).
    if not dev_secrets_allowed():
        typer.echo(f"the demo uses development secrets: `make run`, or {DEV_FLAG}=1", err=True)
        raise typer.Exit(2)
    if not os.environ.get(ENV_LEVEL):
        configure_logging("WARNING")  # the demo's tables, not every request's log line
        # kafka-python's "task ran for 0.1 s" notes on a busy 2-core machine are no news
        logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
    run_demo(dossiers)
