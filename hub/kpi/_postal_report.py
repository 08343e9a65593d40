"""The postal figures the province reports (QĐ 45/2016, DOMAIN.md §7), pure.

``postal_figures(kpis, label)``: per agency with figures in the period (any period: week,
month, quarter, year), the dossiers VNPost collected from applicants and the results it
delivered to them, each with the share done within the postal deadline (``_postal``), and the
cash collected on delivery (VND); then the province's total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hub.kpi._log import Kpis
from hub.kpi._periods import Period
from hub.kpi._report import Rate


@dataclass(frozen=True)
class PostalRow:
    """One agency's postal figures ("": the province's total)."""

    agency_code: str
    pickups_on_time: Rate  # collected within the deadline / collected by post
    returns_on_time: Rate  # delivered within the deadline / results delivered by post
    cod_vnd: int  # cash collected on delivery

    @property
    def picked_up(self) -> int:
        return self.pickups_on_time.denominator

    @property
    def returned(self) -> int:
        return self.returns_on_time.denominator


_SUMMED: Final = ("postal_pickups_on_time", "postal_pickups", "postal_returns_on_time",
                  "postal_returns", "postal_cod_vnd")  # fmt: skip


def postal_figures(kpis: Kpis, label: str) -> tuple[list[PostalRow], PostalRow]:
    """Every agency's row, then the total row."""
    period = Period.parse(label)
    rows = []
    totals = dict.fromkeys(_SUMMED, 0)
    for s in sorted(kpis.snapshots.values(), key=lambda s: str(s["agency_code"])):
        if s["period"] != period.label:
            continue
        figures = {name: int(s[name]) for name in _SUMMED}  # type: ignore[literal-required]
        for name, value in figures.items():
            totals[name] += value
        rows.append(_row(str(s["agency_code"]), figures))
    return rows, _row("", totals)


def _row(agency: str, f: dict[str, int]) -> PostalRow:
    return PostalRow(
        agency, Rate(f["postal_pickups_on_time"], f["postal_pickups"]),
        Rate(f["postal_returns_on_time"], f["postal_returns"]), f["postal_cod_vnd"],
    )  # fmt: skip
