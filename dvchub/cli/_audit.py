"""``dvchub audit``: was anything lost or doubled anywhere on a topic prefix (``hub.audit``).
Mount with ``register(app)``."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from hub.settings import get_settings

console = Console()


def register(app: typer.Typer) -> None:
    """Add ``audit`` to ``app``."""

    @app.command("audit")
    def audit_cmd(
        prefix: str = typer.Option(None, help="Topic prefix to audit (default DVC_TOPIC_PREFIX)."),
        as_json: bool = typer.Option(False, "--json", help="Every finding as JSON on stdout."),
    ) -> None:
        """Reconcile the event log with every derived thing: states, timers and alerts, KPIs,
        partner commands and outcomes, dead letters. Exit 0 clean, 1 on any loss, duplicate
        or disagreement, 2 if the prefix could not be read. Run it on a quiet hub."""
        from hub.audit import KINDS, AuditError, audit
        from hub.serde import RegistryClient

        settings = get_settings()
        if prefix is not None:
            settings = settings.model_copy(update={"topic_prefix": prefix})
        try:
            with RegistryClient(settings.schema_registry_url) as registry:
                report = audit(settings, registry)
        except AuditError as exc:
            console.print(f"[red]{exc}")
            raise typer.Exit(2) from exc
        if as_json:
            print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        else:
            view = Table("check", "examined", *KINDS, "detail",
                         title=f"Audit of {settings.topic_prefix}*")  # fmt: skip
            for row in report.checks:
                counts = ["-"] * len(KINDS) if row.skipped else [str(row.count(k)) for k in KINDS]
                style = "yellow" if row.skipped else ("green" if row.clean else "red")
                # the first finding of each row: --json has them all
                view.add_row(row.check, str(row.examined), *counts, row.detail(1), style=style)
            console.print(view)
            verdict = "[green]clean" if report.clean else f"[red]{dict(report.totals())}"
            console.print(f"audit: {verdict}")
        raise typer.Exit(report.exit_code)
