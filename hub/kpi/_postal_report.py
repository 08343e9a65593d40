"""The postal figures the province reports (QĐ 45/2016, DOMAIN.md §7), pure.

``postal_figures(kpis, label)``: per agency with figures in the period (any period: week,
month, quarter, year), the dossiers VNPost collected from applicants and the results it
delivered to them, each with the share done within the postal deadline (``_postal``), and the
cash collected on delivery (VND); then the province's total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def postal_figures(kpis: Kpis, label: str) -> tuple[list[PostalRow], PostalRow]:
    """Every agency's row, then the total row."""
    period = Period.parse(label)
    rows = [
        PostalRow(
            str(s["agency_code"]),
            Rate(s["postal_pickups_on_time"], s["postal_pickups"]),
            Rate(s["postal_returns_on_time"], s["postal_returns"]),
            s["postal_cod_vnd"],
        )
        for s in sorted(kpis.snapshots.values(), key=lambda s: str(s["agency_code"]))
        if s["period"] == period.label
    ]
    return rows, PostalRow(
        "", _sum(r.pickups_on_time for r in rows), _sum(r.returns_on_time for r in rows),
        sum(r.cod_vnd for r in rows),
    )  # fmt: skip


def _sum(rates: Iterable[Rate]) -> Rate:
    listed = list(rates)
    return Rate(sum(r.numerator for r in listed), sum(r.denominator for r in listed))
