"""``dvchub kafka secrets|provision``: a broker outside the local stack (docker-compose) secured
as the local stack's is, by the same code (``hub.stack._container``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.stack import (
    ContainerBroker,
    SecretsFolderError,
    StackError,
    provision_from_secrets,
    write_broker_secrets,
)

app = typer.Typer(
    help="A broker in a container (docker-compose): its secrets folder, then its SCRAM users "
    "and ACLs, as the local stack has them."
)
console = Console()


@app.command()
def secrets(
    folder: Annotated[Path, typer.Argument(help="The secrets folder (a volume in compose).")],
    host: Annotated[
        list[str],
        typer.Option(
            "--host",
            help="A name the broker answers to (repeatable); the first is the one it "
            "advertises to other containers. Loopback names are always added.",
        ),
    ],
    port: Annotated[int, typer.Option(help="The SASL_SSL client listener.")] = 9092,
    internal_port: Annotated[
        int, typer.Option(help="INTERNAL (SASL PLAIN, the broker principal).")
    ] = 9094,
    controller_port: Annotated[int, typer.Option(help="CONTROLLER (loopback).")] = 9093,
    bind_host: Annotated[
        str, typer.Option(help="Where the client and INTERNAL listeners bind.")
    ] = "0.0.0.0",  # noqa: S104 (other containers connect: the compose network)
    secrets_mount: Annotated[
        str, typer.Option(help="Where the broker's container mounts FOLDER.")
    ] = "/etc/kafka/secrets",
    data_dir: Annotated[
        str, typer.Option(help="The broker's log directory, in its container.")
    ] = "/var/lib/kafka/data",
    owner_uid: Annotated[
        int | None,
        typer.Option(
            help="Give FOLDER and the files the broker reads to this uid (apache/kafka "
            "runs as 1000); the CA key and the users' passwords stay the writer's."
        ),
    ] = None,
    voter: Annotated[
        list[str] | None,
        typer.Option(
            help="A node of a cluster (repeatable, node 1 first: the first --host; each also a "
            "--host): every node's server.properties, the others' in nodes/<host>/."
        ),
    ] = None,
) -> None:
    """Write, once, the broker's CA, keystore, every principal's password, its
    server.properties (the local stack's template) and two client logins for Kafka's tools;
    a second run keeps them all. Prints file names, never their content."""
    broker = ContainerBroker(
        hosts=tuple(host),
        port=port,
        controller_port=controller_port,
        internal_port=internal_port,
        bind_host=bind_host,
        secrets_mount=secrets_mount,
        data_dir=data_dir,
        voters=tuple(voter or ()),
    )
    try:
        changed = write_broker_secrets(folder, broker, owner_uid=owner_uid)
    except SecretsFolderError as exc:
        console.print(f"[red]kafka secrets failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    if changed:
        console.print(f"written in {folder}: {', '.join(changed)}")
    else:
        console.print(f"{folder}: every file kept, nothing changed")


@app.command()
def provision(
    internal: Annotated[
        str, typer.Option(help="HOST:PORT of the broker's INTERNAL listener (e.g. kafka:9094).")
    ],
    secrets: Annotated[
        Path, typer.Option(help="The folder `dvchub kafka secrets` wrote (read only).")
    ],
    prefix: Annotated[
        str, typer.Option(envvar="DVC_TOPIC_PREFIX", help="The hub's topic prefix.")
    ] = "dvc.",
) -> None:
    """Create or refresh every principal's SCRAM user from its password file and make the
    services' ACLs under PREFIX equal to the table, logged in as the broker's own principal.
    Idempotent; prints what changed, never a password."""
    try:
        done = provision_from_secrets(internal, secrets, prefix)
    except StackError as exc:
        console.print(f"[red]kafka provision failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    for line in done.report():
        console.print(line, markup=False, highlight=False)
