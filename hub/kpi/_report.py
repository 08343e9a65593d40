"""The tables the province publishes, computed from KPI snapshots and the catalogue's history.

* ``full_online_table(kpis, year, targets)``: the yearly appendix, one row per agency: HSTN and
  TTHC per category, the full-online ratio (two decimals, rounded half up) and the verdict.
  An agency is listed when it offered a procedure in the year or received a dossier in it.
  Verdict: "Không đánh giá" when the agency offered no full-online procedure (or received no
  dossier, or has no configured target); else "Đạt" when the ratio reaches the target, else
  "Chưa đạt". The ratio is compared exactly (integers), never in floating point.
* ``indicators_766(kpis, month)``: the QĐ 766 rates per agency for a month, and the
  satisfaction group (``_ratings``: the mean per criterion and the share satisfied).
* ``online_submissions(kpis, quarter, target)``: the quarterly online-submission rate, with
  whether it reaches the directive's minimum (20% by default).

Pure: no Kafka, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from hub.kpi._config import Targets
from hub.kpi._log import Kpis
from hub.kpi._periods import Period
from hub.kpi._procedures import offered
from hub.kpi._ratings import NOT_RATED, Satisfaction
from hub.kpi._snapshot import received
from hub.records import KpiSnapshot

VERDICTS: Final = {
    "ACHIEVED": "Đạt",
    "NOT_ACHIEVED": "Chưa đạt",
    "NOT_EVALUATED": "Không đánh giá",
}


def percent(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` in percent, two decimals, half up; None for 0/0."""
    if denominator == 0:
        return None
    exact = Decimal(numerator * 100) / Decimal(denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent_text(value: Decimal | None) -> str:
    return "-" if value is None else f"{value}%"


@dataclass(frozen=True)
class FullOnlineRow:
    """One agency's row of the yearly table (the CSV columns, in order, then the rest)."""

    agency_code: str
    agency_name: str
    hstn_total: int
    tthc_total: int
    partial_direct_hstn: int
    partial_direct_tthc: int
    partial_online_hstn_direct: int
    partial_online_hstn_online: int
    partial_online_tthc: int
    full_hstn_direct: int
    full_hstn_online: int
    full_tthc: int
    ratio: Decimal | None
    verdict: str  # ACHIEVED, NOT_ACHIEVED, NOT_EVALUATED, or "" (the total row)
    agency_type: str = "UNKNOWN"
    target: Decimal | None = None

    @property
    def verdict_label(self) -> str:
        return VERDICTS.get(self.verdict, "")


CSV_COLUMNS: Final = tuple(f.name for f in fields(FullOnlineRow))[:14]
_COUNTS: Final = CSV_COLUMNS[2:12]


@dataclass(frozen=True)
class FullOnlineTable:
    period: Period
    rows: tuple[FullOnlineRow, ...]
    total: FullOnlineRow


def full_online_table(kpis: Kpis, year: int, targets: Targets) -> FullOnlineTable:
    period = Period.parse(str(year))
    tthc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str, str] = {}
    types: dict[str, str] = {}
    for procedure in offered(kpis.histories.values(), period):
        tthc[procedure.agency_code][procedure.level] += 1
        names.setdefault(procedure.agency_code, procedure.agency_name or "")
        types.setdefault(procedure.agency_code, procedure.agency_type)
    snapshots = {
        s["agency_code"]: s for s in kpis.snapshots.values() if s["period"] == period.label
    }
    rows = []
    for agency in sorted(tthc.keys() | snapshots.keys()):
        snapshot = snapshots.get(agency)
        kind = types.get(agency) or "UNKNOWN"
        if kind == "UNKNOWN" and snapshot is not None:
            kind = snapshot["agency_type"]
        rows.append(_row(agency, names.get(agency, ""), kind, snapshot, tthc[agency],
                         targets.target(year, kind)))  # fmt: skip
    return FullOnlineTable(period, tuple(rows), _total(rows))


def _row(
    agency: str,
    name: str,
    kind: str,
    snapshot: KpiSnapshot | None,
    tthc: Mapping[str, int],
    target: Decimal | None,
) -> FullOnlineRow:
    s: KpiSnapshot | dict[str, int] = snapshot or {}
    counts = {
        "partial_direct_hstn": s.get("received_direct_only", 0),
        "partial_direct_tthc": tthc.get("DIRECT_ONLY", 0) + tthc.get("UNKNOWN", 0),
        "partial_online_hstn_direct": s.get("received_partial_direct", 0),
        "partial_online_hstn_online": s.get("received_partial_online", 0),
        "partial_online_tthc": tthc.get("PARTIAL_ONLINE", 0),
        "full_hstn_direct": s.get("received_full_direct", 0),
        "full_hstn_online": s.get("received_full_online", 0),
        "full_tthc": tthc.get("FULL_ONLINE", 0),
    }
    total = received(snapshot) if snapshot is not None else 0
    tthc_total = counts["partial_direct_tthc"] + counts["partial_online_tthc"] + counts["full_tthc"]
    full_online = counts["full_hstn_online"]
    if counts["full_tthc"] == 0 or total == 0 or target is None:
        verdict = "NOT_EVALUATED"
    else:
        verdict = "ACHIEVED" if full_online * 100 >= target * total else "NOT_ACHIEVED"
    return FullOnlineRow(agency, name, total, tthc_total, **counts,
                         ratio=percent(full_online, total), verdict=verdict, agency_type=kind,
                         target=target)  # fmt: skip


def _total(rows: list[FullOnlineRow]) -> FullOnlineRow:
    sums = {
        name: sum(getattr(r, name) for r in rows) for name in ("hstn_total", "tthc_total", *_COUNTS)
    }
    return FullOnlineRow("", "Tổng cộng", **sums,
                         ratio=percent(sums["full_hstn_online"], sums["hstn_total"]),
                         verdict="")  # fmt: skip


def full_online_csv_row(row: FullOnlineRow) -> dict[str, str]:
    """A row as the CSV carries it (ratio like ``42.50%``, the verdict in Vietnamese)."""
    values = {name: str(getattr(row, name)) for name in CSV_COLUMNS[:12]}
    return values | {"ratio": percent_text(row.ratio), "verdict": row.verdict_label}


# -- QĐ 766 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    def __str__(self) -> str:
        return f"{percent_text(self.percent)} ({self.numerator}/{self.denominator})"


@dataclass(frozen=True)
class IndicatorsRow:
    """The QĐ 766 indicators of one agency in one period."""

    agency_code: str
    received: int
    on_time: Rate  # resolved early or on time / resolved
    online_partial: Rate  # received online / received, partial-online procedures
    online_full: Rate  # received online / received, full-online procedures
    online_filing: Rate  # received online / received, procedures offered online
    intake_digitisation: Rate  # intake digitised / received
    result_digitisation: Rate  # electronic results / resolved
    online_payment: Rate  # paid online / with a fee
    satisfaction: Satisfaction = NOT_RATED  # the ratings counted in the period

    @property
    def satisfied(self) -> Rate:
        """Ratings satisfied overall / ratings (0/0: the group is not measured here)."""
        return Rate(self.satisfaction.satisfied, self.satisfaction.rated)


RATE_COLUMNS: Final = tuple(f.name for f in fields(IndicatorsRow) if f.type == "Rate")


def indicators_766(kpis: Kpis, label: str) -> list[IndicatorsRow]:
    """The indicators of every agency with a snapshot for ``label`` (a month, usually)."""
    period = Period.parse(label)
    rows = []
    for s in sorted(kpis.snapshots.values(), key=lambda s: str(s["agency_code"])):
        if s["period"] != period.label:
            continue
        partial = (int(s["received_partial_online"]), int(s["received_partial_direct"]))
        full = (int(s["received_full_online"]), int(s["received_full_direct"]))
        total = received(s)
        rows.append(IndicatorsRow(
            str(s["agency_code"]), total, Rate(s["resolved_on_time"], s["resolved"]),
            Rate(partial[0], sum(partial)), Rate(full[0], sum(full)),
            Rate(partial[0] + full[0], sum(partial) + sum(full)),
            Rate(s["intake_digitised"], total), Rate(s["results_digitised"], s["resolved"]),
            Rate(s["paid_online"], s["with_fee"]), Satisfaction.of(s.get("satisfaction")),
        ))  # fmt: skip
    return rows


@dataclass(frozen=True)
class OnlineSubmissionRow:
    agency_code: str
    online: Rate  # received online / received, all procedures
    reaches_target: bool


def online_submissions(kpis: Kpis, quarter: str, target: Decimal) -> list[OnlineSubmissionRow]:
    """Per agency, the share of the quarter's dossiers received online, against ``target`` %."""
    period = Period.parse(quarter)
    if period.kind != "quarter":
        raise ValueError(f"a quarter is written 2025-Q1, got {quarter!r}")
    rows = []
    for s in sorted(kpis.snapshots.values(), key=lambda s: str(s["agency_code"])):
        if s["period"] != period.label:
            continue
        online = int(s["received_partial_online"]) + int(s["received_full_online"])
        total = received(s)
        reaches = total > 0 and online * 100 >= target * total
        rows.append(OnlineSubmissionRow(str(s["agency_code"]), Rate(online, total), reaches))
    return rows
