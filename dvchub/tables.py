"""Rich tables of the province's reports, shared by the ``dvchub report`` commands and the demo."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table

from hub.kpi import CRITERIA, FullOnlineTable, IndicatorsRow, percent_text, satisfaction_cells


def rows_view(title: str, titles: tuple[str, ...], rows: list[list[str]]) -> Table:
    """A report already formatted as string cells (targets, postal figures), under ``titles``."""
    view = Table(*titles, title=title)
    for row in rows:
        view.add_row(*row)
    return view


def full_online_view(table: FullOnlineTable) -> Table:
    view = Table("agency", "name", "HSTN", "TTHC", "MP(TT) HSTN", "MP(TT) TTHC",
                 "MP(TTu) trực tiếp", "MP(TTu) trực tuyến", "MP(TTu) TTHC", "TT trực tiếp",
                 "TT trực tuyến", "TT TTHC", "ratio", "verdict",
                 title=f"Tỷ lệ hồ sơ trực tuyến toàn trình {table.period.label}")  # fmt: skip
    for r in (*table.rows, table.total):
        view.add_row(
            r.agency_code, r.agency_name, str(r.hstn_total), str(r.tthc_total),
            str(r.partial_direct_hstn), str(r.partial_direct_tthc),
            str(r.partial_online_hstn_direct), str(r.partial_online_hstn_online),
            str(r.partial_online_tthc), str(r.full_hstn_direct), str(r.full_hstn_online),
            str(r.full_tthc), percent_text(r.ratio), r.verdict_label,
            end_section=r is table.rows[-1] if table.rows else False,
        )  # fmt: skip
    return view


def indicators_view(
    rows: list[IndicatorsRow], label: str, names: Mapping[str, str] | None = None
) -> Table:
    """The QĐ 766 indicators; with ``names`` (agency code -> name), a column of names too."""
    named = ("name",) if names is not None else ()
    view = Table("agency", *named, "HSTN", "on time", "online (partial)", "online (full)",
                 "online filing", "intake digitised", "results digitised", "paid online",
                 "rated", "satisfied", *(f"mean {c}" for c in CRITERIA),
                 title=f"QĐ 766 indicators {label}")  # fmt: skip
    for r in rows:
        view.add_row(
            r.agency_code, *(() if names is None else (names.get(r.agency_code, "-"),)),
            str(r.received), str(r.on_time), str(r.online_partial),
            str(r.online_full), str(r.online_filing), str(r.intake_digitisation),
            str(r.result_digitisation), str(r.online_payment),
            *satisfaction_cells(r.satisfaction, str(r.satisfied)),
        )  # fmt: skip
    return view
