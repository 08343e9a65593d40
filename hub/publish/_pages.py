"""The public pages as models: what each page shows, built from the reports ``hub.sla`` and
``hub.kpi`` already compute (nothing is counted again here).

* ``LatePage``: a month's late dossiers per agency and per official (the directive's automatic
  list, DOMAIN.md §3, §7), and the dossiers themselves.
* ``IndicatorsPage``: the month's QĐ 766 results per agency, ranked, with the praise and
  criticism lists (``hub.publish._ranking``).
* ``FullOnlinePage``: the year's full-online table (``hub.kpi.full_online_table``).

Personal data: the pages carry an official's name and unit (agency, department), which the
directive requires to be published, and nothing else about a person: no official id, no
applicant, and not the apology's free-text reason (it may name the applicant); a dossier
appears by its number and procedure code only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from hub.kpi import FullOnlineRow, FullOnlineTable, IndicatorsRow
from hub.kpi import Period as KpiPeriod
from hub.publish._ranking import Ranking, rank
from hub.sla import LateCount, LateDossier, Period, late_counts

#: The ratio column of an agency that offers no full-online procedure, as the province's own
#: tables write it (a 0,00% there would read as a failure to reach a target it does not have).
NO_FULL_ONLINE: Final = "Không có TTHC toàn trình"
#: The QĐ 766 groups the events do not carry yet: named on the page, never given a number. (The
#: satisfaction group is measured from the ratings: a column of the ranking, ``_ranking.SCORED``,
#: "Chưa đo lường" in the cell of an agency nobody rated in the month.)
NOT_MEASURED: Final = ("Công khai, minh bạch",)
#: The ranking's column of the satisfaction group.
SATISFACTION: Final = "satisfied"


@dataclass(frozen=True)
class PublicLateDossier:
    """A late dossier as published: no reason text, no official id."""

    dossier_id: str
    procedure_code: str | None
    agency_code: str
    agency_name: str
    department: str | None
    official: str | None
    overdue: bool  # else returned late
    due_at: datetime | None
    reappointed_at: datetime | None
    finished_at: datetime | None
    working_days_late: float
    apologised: bool


@dataclass(frozen=True)
class LatePage:
    month: str
    as_of: datetime
    agencies: tuple[LateCount, ...]  # level "agency"
    officials: tuple[LateCount, ...]  # level "official"
    dossiers: tuple[PublicLateDossier, ...]
    provisional: bool = False  # the month was not over at as_of: its figures may still change

    @property
    def total(self) -> LateCount:
        """The sums over the agencies (level "total")."""
        return LateCount("total", "", "Tổng cộng", None, None,
                         sum(a.overdue for a in self.agencies),
                         sum(a.late_returned for a in self.agencies),
                         sum(a.without_apology for a in self.agencies),
                         sum(a.without_explanation for a in self.agencies))  # fmt: skip


def _public(e: LateDossier) -> PublicLateDossier:
    return PublicLateDossier(
        e.dossier_id, e.procedure_code, e.agency_code or "", e.agency_name or "", e.department,
        e.official_name, e.kind == "OVERDUE", e.due_at, e.reappointed_at, e.finished_at,
        e.working_days_late, e.apology_issued_at is not None,
    )  # fmt: skip


def late_page(entries: Sequence[LateDossier], period: Period, as_of: datetime) -> LatePage:
    """The page of ``late_dossiers(...)``'s entries for ``period`` (judged as at ``as_of``)."""
    counts = late_counts(entries)
    return LatePage(
        period.label,
        as_of,
        tuple(c for c in counts if c.level == "agency"),
        tuple(c for c in counts if c.level == "official"),
        tuple(_public(e) for e in entries),
        provisional=as_of < period.end,
    )


@dataclass(frozen=True)
class IndicatorsPage:
    month: str
    as_of: datetime
    ranking: Ranking
    not_measured: tuple[str, ...] = NOT_MEASURED
    provisional: bool = False


def indicators_page(
    rows: Sequence[IndicatorsRow],
    month: str,
    names: Mapping[str, str],
    as_of: datetime,
    *,
    praise_count: int,
) -> IndicatorsPage:
    """The page of ``indicators_766(...)``'s rows, ranked (``names``: agency code -> name)."""
    running = as_of < KpiPeriod.parse(month).end
    return IndicatorsPage(month, as_of, rank(rows, names, praise_count), provisional=running)


@dataclass(frozen=True)
class FullOnlinePage:
    year: str
    as_of: datetime
    rows: tuple[FullOnlineRow, ...]
    total: FullOnlineRow
    provisional: bool = False


def full_online_page(table: FullOnlineTable, as_of: datetime) -> FullOnlinePage:
    return FullOnlinePage(table.period.label, as_of, table.rows, table.total,
                          provisional=as_of < table.period.end)  # fmt: skip


def offers_full_online(row: FullOnlineRow) -> bool:
    """Whether the agency offered a full-online procedure (the total row: any agency did)."""
    return row.full_tthc > 0


def ratio_cell(row: FullOnlineRow) -> Decimal | str | None:
    """The ratio column's content: the ratio, or ``NO_FULL_ONLINE`` for an agency offering no
    full-online procedure, or None when nothing was received (no ratio to give)."""
    return NO_FULL_ONLINE if not offers_full_online(row) else row.ratio


def agency_names(table: FullOnlineTable, late: Sequence[LateDossier] = ()) -> dict[str, str]:
    """Agency code -> name, from the catalogue (the yearly table) then the late lists."""
    names = {e.agency_code: e.agency_name for e in late if e.agency_code and e.agency_name}
    return names | {r.agency_code: r.agency_name for r in table.rows if r.agency_name}
