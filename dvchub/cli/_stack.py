"""``dvchub stack up|down|status|logs|env``."""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.settings import get_settings
from hub.stack import PRINCIPALS, ComponentStatus, LocalStack, StackError, running_brokers, tail

app = typer.Typer(
    help="The local Kafka (KRaft) + schema registry, from Maven Central jars; optionally a "
    "Prometheus server from the OS package (DVC_PROMETHEUS_PORT, default 19090)."
)
console = Console()
WithPrometheus = Annotated[
    bool,
    typer.Option(
        "--with-prometheus",
        help="Also run Prometheus (/usr/bin/prometheus; `make system-deps` installs it).",
    ),
]


Brokers = Annotated[
    int | None,
    typer.Option(
        "--brokers",
        min=1,
        help="Kafka nodes (KRaft, each a voter): 1, or 3, the production shape (replication "
        "factor 3, min.insync.replicas 2). Default: DVC_KAFKA_BROKERS, else as many as run, "
        "else 1.",
    ),
]


def _stack(with_prometheus: bool = False, brokers: int | None = None) -> LocalStack:
    """The stack; Prometheus is part of it when asked for or already running."""
    settings = get_settings()
    if brokers is None and "DVC_KAFKA_BROKERS" not in os.environ:
        brokers = running_brokers(settings)
    if brokers is not None:
        settings = settings.model_copy(update={"kafka_brokers": brokers})
    running = LocalStack(settings).prometheus.process.pid() is not None
    return LocalStack(settings, with_prometheus=with_prometheus or running)


def _print(statuses: list[ComponentStatus]) -> None:
    table = Table("component", "state", "pid", "address", "started in", "log")
    for s in statuses:
        state = "[green]ready" if s.ready else ("[yellow]starting" if s.running else "[red]stopped")
        took = f"{s.started_in_s:.1f} s" if s.started_in_s is not None else "-"
        table.add_row(s.name, state, str(s.pid or "-"), s.address, took, s.log_file)
    console.print(table)


@app.command()
def up(with_prometheus: WithPrometheus = False, brokers: Brokers = None) -> None:
    """Fetch (first time only), start and wait for Kafka and the registry; a no-op if running."""
    started = time.monotonic()
    try:
        statuses = _stack(with_prometheus, brokers).up(
            on_progress=lambda msg: console.print(f"[dim]{msg}")
        )
    except StackError as exc:
        console.print(f"[red]stack up failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    _print(statuses)
    if any(s.started_in_s is not None for s in statuses):
        console.print(f"stack up in {time.monotonic() - started:.1f} s")
    else:
        console.print("stack already running")
    if brokers is not None and brokers != get_settings().kafka_brokers:
        # The hub's processes read the node count from the environment: their bootstrap list
        # and their topics' replication follow it.
        console.print(f"for the hub's processes: export DVC_KAFKA_BROKERS={brokers}")


@app.command()
def env(
    service: Annotated[str, typer.Argument(help="A principal of the ACL table, or admin.")],
) -> None:
    """Print the DVC_KAFKA_* settings a process needs to log in to the local stack as
    ``service`` (``eval "$(dvchub stack env lifecycle)"``): a password file, never a password."""
    settings = get_settings()
    if service not in PRINCIPALS:
        console.print(f"[red]no principal {service!r}[/red]; one of: {', '.join(PRINCIPALS)}")
        raise typer.Exit(2)
    values = {
        "DVC_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "DVC_KAFKA_USERNAME": service,
        "DVC_KAFKA_PASSWORD_FILE": settings.local_password_file(service),
        "DVC_KAFKA_CA_FILE": settings.kafka_ca_path,
    }
    for name, value in values.items():
        print(f"export {name}={shlex.quote(str(value))}")


@app.command()
def down() -> None:
    """Stop the stack, every Kafka node and Prometheus included (SIGTERM, then SIGKILL after
    30 s)."""
    stopped = _stack().down()
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status(with_prometheus: WithPrometheus = False, brokers: Brokers = None) -> None:
    """Show each component's state, every Kafka node's (Prometheus if running or asked for);
    exit 1 unless all are ready."""
    statuses = _stack(with_prometheus, brokers).status()
    _print(statuses)
    if not all(s.ready for s in statuses):
        raise typer.Exit(1)


@app.command()
def logs(
    component: str = typer.Argument(
        ..., help="kafka (kafka-1.. of a cluster), registry or prometheus"
    ),
    lines: int = 40,
    brokers: Brokers = None,
) -> None:
    """Print the tail of a component's log."""
    for s in _stack(with_prometheus=True, brokers=brokers).status():
        if s.name == component:
            console.print(tail(Path(s.log_file), lines), markup=False, highlight=False)
            return
    raise typer.BadParameter(f"unknown component {component!r}")
