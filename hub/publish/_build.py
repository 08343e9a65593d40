"""From what the SLA and KPI workers keep to the site's pages: pure (no Kafka, no clock).

``build_pages`` computes, with the reports' own functions, for each published month its late
list (``hub.sla.late_dossiers``, judged as at ``as_of``: a past month as at its end) and its
QĐ 766 indicators (``hub.kpi.indicators_766``), and for each year of those months the
full-online table so far (``hub.kpi.full_online_table``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from hub.kpi import Kpis, Targets, full_online_table, indicators_766
from hub.publish._pages import (
    agency_names,
    full_online_page,
    indicators_page,
    late_page,
)
from hub.publish._render import Page
from hub.sla import TZ, Period, WorkingCalendar, late_dossiers


def recent_months(as_of: datetime, count: int) -> list[str]:
    """The ``count`` months up to and including the one of ``as_of`` (Vietnam time), oldest
    first: ``2025-02``, ``2025-03``."""
    if count < 1:
        raise ValueError(f"at least one month is published, got {count}")
    local = as_of.astimezone(TZ)
    index = local.year * 12 + local.month - 1
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(index - count + 1, index + 1)]


def build_pages(
    deadlines: Iterable[Mapping[str, object]],
    kpis: Kpis,
    months: Sequence[str],
    *,
    as_of: datetime,
    calendar: WorkingCalendar,
    targets: Targets,
    praise_count: int,
) -> list[Page]:
    """Per month its late list and QĐ 766 page, then per year its full-online table."""
    records = list(deadlines)
    years = sorted({month[:4] for month in months})
    tables = {year: full_online_table(kpis, int(year), targets) for year in years}
    pages: list[Page] = []
    for month in months:
        period = Period.month(month)
        entries = late_dossiers(records, period, as_of=as_of, calendar=calendar)
        pages.append(late_page(entries, period, as_of))
        names = agency_names(tables[month[:4]], entries)
        rows = indicators_766(kpis, period.label)
        pages.append(indicators_page(rows, period.label, names, as_of, praise_count=praise_count))
    pages += [full_online_page(tables[year], as_of) for year in years]
    return pages
