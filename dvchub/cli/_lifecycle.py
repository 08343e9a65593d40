"""``dvchub`` commands of the lifecycle: ``api serve``, ``replay``, ``replay-check`` (its worker:
``dvchub worker lifecycle``). Mount with ``register(app)``.

``hub.lifecycle`` (faust) and ``hub.api`` are imported inside the commands.
"""

from __future__ import annotations

import typer
from rich.console import Console

from hub.serde import RegistryClient
from hub.settings import get_settings

console = Console()


def register(app: typer.Typer) -> None:
    """Add ``api serve``, ``replay`` and ``replay-check`` to ``app``."""
    api = typer.Typer(help="The query API for integrators.", no_args_is_help=True)

    @api.command("serve")
    def serve_api(host: str = "127.0.0.1", port: int = 8080) -> None:
        """Serve GET /v1/dossiers… from the materialised dossier.state topic.

        API keys from DVC_API_KEYS or DVC_API_KEYS_FILE (DVC_DEV_SECRETS=1: development keys);
        TLS from DVC_HTTP_TLS_* (hub.http_tls).
        """
        from hub.api import ApiKeysMissing, api_keys_from_env, serve
        from hub.http_tls import server_tls

        try:
            keys = api_keys_from_env()
        except (ApiKeysMissing, ValueError, OSError) as exc:  # none (refuse to start open), bad
            console.print(f"[red]{exc}")
            raise typer.Exit(2) from exc
        tls = server_tls("the query API")  # TlsError -> exit 2 (cli.main)
        serve(get_settings(), host=host, port=port, keys=keys, tls=tls)

    @app.command("replay")
    def replay_cmd(
        suffix: str = typer.Option(None, help="State topic suffix (default replay-<UTC time>)."),
    ) -> None:
        """Rebuild every dossier's state from offset 0 into <prefix>dossier.state.<suffix>."""
        from hub.lifecycle import replay, replay_topic_name

        settings = get_settings()
        with RegistryClient(settings.schema_registry_url) as registry:
            result = replay(settings, registry, target_topic=replay_topic_name(settings, suffix))
        console.print(
            f"{result.events} events -> {len(result.states)} dossiers in {result.seconds:.1f}s "
            f"({result.events_per_s:,.0f} events/s); duplicates {result.duplicates}; "
            f"dead letters {dict(result.dead_letters)}; written to {result.target_topic}"
        )

    @app.command("replay-check")
    def replay_check_cmd(
        topic: str = typer.Option(
            None, help="A replayed state topic (default: replay now, in memory)."
        ),
        wait: float = typer.Option(
            60.0, help="Seconds to wait for the live processor to catch up."
        ),
    ) -> None:
        """Compare the live dossier.state with a replay; exit 1 and print differences if any."""
        from hub.dossier import DossierError
        from hub.lifecycle import LifecycleError, replay_check

        settings = get_settings()
        try:
            with RegistryClient(settings.schema_registry_url) as registry:
                differences = replay_check(
                    settings, registry, replayed_topic=topic, wait_s=wait, progress=True
                )
        except (LifecycleError, DossierError) as exc:
            console.print(f"[red]replay check failed:[/red] {exc}")
            raise typer.Exit(2) from exc
        for diff in differences[:200]:
            console.print(f"[yellow]{diff.dossier_id}[/yellow] {diff.what}")
        if differences:
            console.print(f"[red]{len(differences)} differences[/red]")
            raise typer.Exit(1)
        console.print("[green]live state equals the replay[/green]")

    app.add_typer(api, name="api")
