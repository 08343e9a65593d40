"""``dvchub report late --month 2025-03``: the province's published list of late dossiers
(the KPI reports of the same group are ``_kpi``'s).

Read from ``<prefix>sla.deadlines`` (what the SLA workers keep), judged at the clock's now
(``DVC_CLOCK``, wall time by default); shown in the terminal, or written as CSV or XLSX.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from dvchub.cli import _kpi
from dvchub.cli._kpi import Format, FormatOption, OutputOption
from hub.serde import RegistryClient, serde_for
from hub.settings import get_settings
from hub.topics import SLA_DEADLINES

if TYPE_CHECKING:
    from hub.records import DossierDeadline
    from hub.sla import LateCount, LateDossier, WorkingCalendar

console = Console()


def register(app: typer.Typer) -> None:
    """Add ``report late`` to ``app``."""
    report = typer.Typer(help="Reports the province publishes.", no_args_is_help=True)

    @report.command("late")
    def late(
        month: str = typer.Option(..., help="The period, e.g. 2025-03."),
        format: FormatOption = Format.TABLE,
        output: OutputOption = None,
    ) -> None:
        """Overdue and late-returned dossiers of MONTH, per agency, department and official."""
        from hub.sla import Period, late_dossiers

        try:
            period = Period.month(month)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--month") from exc
        records, as_of, calendar = _deadlines()
        entries = late_dossiers(records, period, as_of=as_of, calendar=calendar)
        _publish(entries, f"late-{period.label}", f"Hồ sơ trễ hạn {period.label}", period.label,
                 format, output)  # fmt: skip

    @report.command("explanations")
    def explanations(format: FormatOption = Format.TABLE, output: OutputOption = None) -> None:
        """Late dossiers whose responsible unit still owes its explanation (báo cáo giải
        trình) as of the clock's now, of every period, per agency."""
        from hub.sla import Period, missing_explanations

        records, as_of, calendar = _deadlines()
        entries = missing_explanations(records, as_of=as_of, calendar=calendar)
        day = Period.until(as_of).label.removeprefix("until ")
        _publish(entries, f"missing-explanations-{day}",
                 f"Hồ sơ trễ hạn chưa giải trình đến {day}", f"without explanation, {day}",
                 format, output)  # fmt: skip

    @report.command("reconciliation")
    def reconciliation(
        day: str = typer.Option(..., help="The day reconciled (Vietnam time), e.g. 2025-03-14."),
        provider: str = typer.Option(..., help="Provider of the file: paygov, vnpay ..."),
        file: str = typer.Option(..., help="The provider's CSV file."),
        format: str = typer.Option("table", help="table, csv or json."),
        output: OutputOption = None,
    ) -> None:
        """Compare a provider's daily reconciliation file (đối soát) with the hub's payments;
        the mismatches are also produced to <prefix>payments.reconciliation. Exit 1 if any."""
        import sys
        from datetime import date

        from hub.payments import PaymentsError, render_report, run_reconciliation

        if format not in ("table", "csv", "json"):
            raise typer.BadParameter("one of table, csv, json", param_hint="--format")
        try:
            reconciled = date.fromisoformat(day)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--day") from exc
        try:
            result = run_reconciliation(get_settings(), reconciled, provider, Path(file))
        except PaymentsError as exc:
            console.print(f"[red]{exc}")
            raise typer.Exit(2) from exc
        if output is not None:
            with output.open("w", encoding="utf-8", newline="") as out:
                render_report(result, format, out)  # type: ignore[arg-type]
            console.print(f"reconciliation of {provider} {day} written to {output}")
        else:
            render_report(result, format, sys.stdout)  # type: ignore[arg-type]
        if not result.clean:
            raise typer.Exit(1)

    _kpi.add_reports(report)  # full-online, 766, online
    app.add_typer(report, name="report")


def _deadlines() -> tuple[list[DossierDeadline], datetime, WorkingCalendar]:
    """The records on ``<prefix>sla.deadlines``, the clock's now (``DVC_CLOCK``), the calendar."""
    from hub.processing import clock_from_spec
    from hub.sla import SlaSettings, read_deadlines

    settings = get_settings()
    with RegistryClient(settings.schema_registry_url) as registry:
        serde = serde_for(SLA_DEADLINES, settings.topic_prefix, registry)
        records = read_deadlines(settings, serde)
    as_of = clock_from_spec(os.environ.get("DVC_CLOCK")).now()
    return list(records.values()), as_of, SlaSettings().calendar()


def _publish(
    entries: Sequence[LateDossier], name: str, title: str, label: str, format: Format,
    output: Path | None,
) -> None:  # fmt: skip
    """The list in the terminal, or written as ``<name>.csv`` / ``<name>.xlsx`` (or ``output``)."""
    from hub.sla import late_counts, write_csv, write_xlsx

    counts = late_counts(entries)

    def show() -> None:
        console.print(late_table(entries, label))
        console.print(count_table(counts))

    _kpi.write_report(
        format, output, name, f"{len(entries)} late dossiers",
        csv=lambda out: write_csv(entries, out),
        xlsx=lambda path: write_xlsx(entries, counts, path, title=title),
        show=show,
    )  # fmt: skip


def late_table(entries: Sequence[LateDossier], label: str) -> Table:
    table = Table("agency", "department", "official", "dossier", "kind", "appointment",
                  "finished", "days late", "apology", "explanation",
                  title=f"Late dossiers {label}")  # fmt: skip
    for e in entries:
        table.add_row(
            e.agency_code or "-", e.department or "-", e.official_name or "-", e.dossier_id,
            e.kind, _local(e.appointment_at), _local(e.finished_at), f"{e.working_days_late:.1f}",
            e.apology, e.explanation,
        )  # fmt: skip
    return table


def count_table(counts: Sequence[LateCount]) -> Table:
    table = Table("level", "agency", "department", "official", "overdue", "late returned",
                  "without apology", "without explanation", title="Who was late")  # fmt: skip
    for c in counts:
        table.add_row(c.level, c.agency_code, c.department or "", c.official or "",
                      str(c.overdue), str(c.late_returned), str(c.without_apology),
                      str(c.without_explanation))  # fmt: skip
    return table


def _local(moment: datetime | None) -> str:
    from hub.sla import TZ

    return "-" if moment is None else moment.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
