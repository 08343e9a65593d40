"""``dvchub demo run``: what works today, shown on the real local stack."""

from __future__ import annotations

import typer

from hub.secrets import DEV_FLAG, dev_secrets_allowed

app = typer.Typer(help="Demonstrations on the local stack.")


@app.command()
def run(
    dossiers: int = typer.Option(5, help="How many sample dossiers to drive."),
    month_per_day: int = typer.Option(30, help="The simulated month's dossiers per working day."),
    month_seconds: float = typer.Option(150.0, help="Real seconds the simulated month aims at."),
) -> None:
    """Drive sample dossiers through the portal connector, the lifecycle worker and the signing
    processor, and show the events, signatures and states; then deadlines on a simulated clock
    and the KPIs of a sample year."""
    # The demo's simulators share the development secrets published in the repository: only an
    # explicit development machine may use them (`make run` sets the flag).
    if not dev_secrets_allowed():
        typer.echo(f"the demo uses development secrets: `make run`, or {DEV_FLAG}=1", err=True)
        raise typer.Exit(2)
    from dvchub.demo import LOG_PATH, console, failures_reported, log_to_file

    # Before the sections are imported: their libraries' warnings go to the log too.
    log_to_file(LOG_PATH)
    console.print(f"[dim]the demo's own log: {LOG_PATH} (each worker's beside it)")
    with failures_reported(LOG_PATH):
        from dvchub.demo import MonthSize, run_demo

        run_demo(dossiers, MonthSize(month_per_day, month_seconds))
