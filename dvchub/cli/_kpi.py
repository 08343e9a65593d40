"""``dvchub report full-online|766|online|targets|postal`` (the province's KPI tables) and
``dvchub kpi replay-check`` (the folds' workers: ``dvchub worker kpi-dossiers|kpi|kpi-procedures``).
Read from the ``kpi`` and ``kpi.procedures`` topics; ``hub.kpi`` (faust) is imported inside the
commands."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console
from rich.table import Table

from hub.serde import RegistryClient
from hub.settings import get_settings

if TYPE_CHECKING:
    from hub.kpi import Kpis

console = Console()


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"


FormatOption = Annotated[Format, typer.Option("--format", help="table, csv or xlsx.")]
OutputOption = Annotated[Path | None, typer.Option(help="File to write (csv, xlsx).")]


def write_report(
    format: Format, output: Path | None, name: str, what: str, *,
    csv: Callable[[TextIO], None], xlsx: Callable[[Path], None], show: Callable[[], None],
) -> None:  # fmt: skip
    """A report shown in the terminal (``show``), or written to ``output`` (default
    ``<name>.csv`` / ``<name>.xlsx``); ``what`` says what was written ("12 agencies")."""
    if format is Format.CSV:
        target = output or Path(f"{name}.csv")
        with target.open("w", encoding="utf-8", newline="") as out:
            csv(out)
    elif format is Format.XLSX:
        target = output or Path(f"{name}.xlsx")
        xlsx(target)
    else:
        show()
        return
    console.print(f"{what} written to {target}")


def _kpis() -> Kpis:
    from hub.kpi import read_kpis

    settings = get_settings()
    with RegistryClient(settings.schema_registry_url) as registry:
        return read_kpis(settings, registry)


def _period(label: str) -> str:
    from hub.kpi import Period

    try:
        return Period.parse(label).label
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc


def _show(name: str, title: str, header: tuple[str, ...], titles: tuple[str, ...],
          rows: list[list[str]], format: Format, output: Path | None) -> None:  # fmt: skip
    """A table of string cells in the terminal, or as CSV or XLSX."""
    from hub.kpi import write_csv, write_xlsx

    if format is Format.TABLE:
        from dvchub.tables import rows_view

        console.print(rows_view(title, titles, rows))
        return
    target = output or Path(f"{name}.{format.value}")
    if format is Format.CSV:
        with target.open("w", encoding="utf-8", newline="") as out:
            write_csv(header, rows, out)
    else:
        write_xlsx(title, titles, rows, target)
    console.print(f"{len(rows) - 1} agencies written to {target}")


def add_reports(report: typer.Typer) -> None:
    """Add ``full-online``, ``766``, ``online``, ``targets`` and ``postal`` to ``report``."""

    @report.command("targets")
    def targets(
        period: str = typer.Option(..., help="2024, 2024-Q1, 2024-03 or 2024-W05."),
        format: FormatOption = Format.TABLE,
        output: OutputOption = None,
    ) -> None:
        """The 2024 indicators per agency: rate, target and verdict (DVC_KPI_INDICATOR_TARGETS)."""
        from hub.kpi import TARGET_COLUMNS, TARGET_TITLES, KpiSettings, indicators_2024, target_rows

        label, config = _period(period), KpiSettings()
        rows = target_rows(*indicators_2024(_kpis(), label, config.parsed_indicator_targets(),
                                            config.not_eligible_codes()))  # fmt: skip
        _show(f"targets-{label}", f"Chỉ tiêu 2024 - {label}", TARGET_COLUMNS, TARGET_TITLES, rows,
              format, output)  # fmt: skip

    @report.command("postal")
    def postal(
        period: str = typer.Option(..., help="2025, 2025-Q1, 2025-03 or 2025-W10."),
        format: FormatOption = Format.TABLE,
        output: OutputOption = None,
    ) -> None:
        """Dossiers and results carried by VNPost per agency, on time, COD collected."""
        from hub.kpi import POSTAL_COLUMNS, POSTAL_TITLES, postal_figures, postal_rows

        label = _period(period)
        rows = postal_rows(*postal_figures(_kpis(), label))
        _show(f"postal-{label}", f"Bưu chính công ích {label}", POSTAL_COLUMNS, POSTAL_TITLES,
              rows, format, output)  # fmt: skip

    @report.command("full-online")
    def full_online(
        year: int = typer.Option(..., help="The year, e.g. 2024."),
        format: FormatOption = Format.TABLE,
        output: OutputOption = None,
    ) -> None:
        """The yearly full-online table: HSTN and TTHC per category, ratio, verdict per agency."""
        from dvchub.tables import full_online_view
        from hub.kpi import (
            FULL_ONLINE_TITLES,
            KpiSettings,
            full_online_rows,
            full_online_table,
            write_full_online_csv,
            write_xlsx,
        )

        table = full_online_table(_kpis(), year, KpiSettings().parsed_targets())
        title = f"Tỷ lệ hồ sơ trực tuyến toàn trình {year}"
        write_report(
            format, output, f"full-online-{year}", f"{len(table.rows)} agencies",
            csv=lambda out: write_full_online_csv(table, out),
            xlsx=lambda path: write_xlsx(title, FULL_ONLINE_TITLES, full_online_rows(table), path),
            show=lambda: console.print(full_online_view(table)),
        )  # fmt: skip

    @report.command("766")
    def indicators(
        month: str = typer.Option(..., help="The month, e.g. 2025-03, or an ISO week, 2025-W10."),
        format: FormatOption = Format.TABLE,
        output: OutputOption = None,
    ) -> None:
        """The QĐ 766 indicators per agency for MONTH (or a week: QĐ 766 is checked weekly)."""
        from hub.kpi import (
            INDICATOR_TITLES,
            Period,
            indicator_rows,
            indicators_766,
            write_indicators_csv,
            write_xlsx,
        )

        try:
            label = Period.parse(month).label
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--month") from exc
        from dvchub.tables import indicators_view

        rows = indicators_766(_kpis(), label)
        title = f"Chỉ số QĐ 766 {label}"
        write_report(
            format, output, f"766-{label}", f"{len(rows)} agencies",
            csv=lambda out: write_indicators_csv(rows, out),
            xlsx=lambda path: write_xlsx(title, INDICATOR_TITLES, indicator_rows(rows), path),
            show=lambda: console.print(indicators_view(rows, label)),
        )  # fmt: skip

    @report.command("online")
    def online(
        quarter: str = typer.Option(..., help="The quarter, e.g. 2025-Q1."),
        target: float = typer.Option(20.0, help="Minimum share received online, percent."),
    ) -> None:
        """The share of each agency's dossiers received online in QUARTER, against TARGET."""
        from hub.kpi import online_submissions

        try:
            rows = online_submissions(_kpis(), quarter, Decimal(str(target)))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--quarter") from exc
        view = Table("agency", "received online", f"≥ {target:g}%", title=f"Online {quarter}")
        for r in rows:
            view.add_row(r.agency_code, str(r.online), "yes" if r.reaches_target else "no")
        console.print(view)


def register(app: typer.Typer) -> None:
    """Add ``kpi replay-check`` to ``app``."""
    kpi = typer.Typer(help="The KPI folds.", no_args_is_help=True)

    @kpi.command("replay-check")
    def replay_check() -> None:
        """Compute every KPI again from offset 0 and compare with what the workers published."""
        from hub.kpi import compare, read_kpis, replay_kpis

        settings = get_settings()
        with RegistryClient(settings.schema_registry_url) as registry:
            replayed = replay_kpis(settings, registry)
            differences = compare(read_kpis(settings, registry), replayed)
        console.print(
            f"replayed {replayed.events} events, {replayed.facts} facts in "
            f"{replayed.seconds:.1f} s: {len(replayed.snapshots)} snapshots"
        )
        for line in differences[:50]:
            console.print(f"[red]{line}")
        if differences:
            raise typer.Exit(1)
        console.print("identical to the live KPIs")

    app.add_typer(kpi, name="kpi")
