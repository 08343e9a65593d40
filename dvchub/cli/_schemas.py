"""``dvchub schemas register|release|show``: the Avro contract and the registry."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from hub.kafka import ensure_topics
from hub.serde import (
    TOP_LEVEL_SCHEMAS,
    RegistryClient,
    SerdeError,
    load_schema,
    register_topic_schemas,
    release_current,
)
from hub.settings import get_settings

app = typer.Typer(help="The Avro contract in schemas/ and its registration.")
console = Console()


@app.command()
def register() -> None:
    """Create the hub topics and register every value schema (BACKWARD_TRANSITIVE)."""
    settings = get_settings()
    created = ensure_topics(settings)
    try:
        with RegistryClient(settings.schema_registry_url) as registry:
            ids = register_topic_schemas(registry, settings.topic_prefix)
    except SerdeError as exc:
        console.print(f"[red]schema registration failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    table = Table("topic", "subject", "schema id", "created now")
    for topic, schema_id in ids.items():
        table.add_row(topic, f"{topic}-value", str(schema_id), "yes" if topic in created else "")
    console.print(table)


@app.command()
def release() -> None:
    """Snapshot each changed top-level schema as its next released version (schemas/released/)."""
    for name in TOP_LEVEL_SCHEMAS:
        path = release_current(name)
        console.print(f"{name}: {'released as ' + str(path) if path else 'unchanged'}")


@app.command()
def show(name: str = typer.Argument(..., help="e.g. DossierEvent")) -> None:
    """Print the self-contained schema of NAME as the registry stores it."""
    console.print_json(json.dumps(load_schema(name)))
