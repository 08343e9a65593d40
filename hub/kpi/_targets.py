"""The 2024 indicators with a Government target, each with its verdict (DOMAIN.md §7), pure.

``indicators_2024(kpis, label, targets, not_eligible)``: per agency, for any period (a week for
the weekly QĐ 766 check, a month, a quarter, a year), four rates against the year's targets
(``KpiSettings.indicator_targets``, by year like the full-online targets):

* dossier digitisation: dossiers received in the period and digitised (``_digitised``) /
  received, against the DIGITISATION target;
* result digitisation: dossiers resolved in the period whose result is signed / resolved, same
  target;
* full-online procedures: eligible procedures (TTHC) the agency offered full online at the
  period's end / eligible procedures it offered (``_procedures.offered``; a procedure listed in
  ``DVC_KPI_NOT_ELIGIBLE`` cannot be offered full online and counts in neither), against
  FULL_ONLINE_PROCEDURES;
* online payment: dossiers whose fee was paid online / dossiers with a fee, against
  ONLINE_PAYMENT.

Verdict: "Đạt" when the rate reaches the target, exactly reaching it included (compared in
integers, never in floating point), "Chưa đạt" below it, "Không đánh giá" with nothing to
count (0/0) or no target for that year. A total row sums the numerators and denominators.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from hub.kpi._config import Targets
from hub.kpi._log import Kpis
from hub.kpi._periods import Period
from hub.kpi._procedures import offered
from hub.kpi._report import VERDICTS, Rate
from hub.kpi._snapshot import received


@dataclass(frozen=True)
class Verdict:
    """One indicator of one agency: its rate, the target (percent) and the verdict."""

    rate: Rate
    target: Decimal | None

    @property
    def verdict(self) -> str:
        """ACHIEVED, NOT_ACHIEVED or NOT_EVALUATED."""
        if self.target is None or self.rate.denominator == 0:
            return "NOT_EVALUATED"
        reached = self.rate.numerator * 100 >= self.target * self.rate.denominator
        return "ACHIEVED" if reached else "NOT_ACHIEVED"

    @property
    def label(self) -> str:
        return VERDICTS[self.verdict]


@dataclass(frozen=True)
class TargetsRow:
    """The 2024 indicators of one agency ("" and "Tổng cộng": the province) in one period."""

    agency_code: str
    dossier_digitisation: Verdict
    result_digitisation: Verdict
    full_online_procedures: Verdict
    online_payment: Verdict


#: The indicators, in the row's order, each with the name of its target.
TARGET_OF: Final = {
    "dossier_digitisation": "DIGITISATION",
    "result_digitisation": "DIGITISATION",
    "full_online_procedures": "FULL_ONLINE_PROCEDURES",
    "online_payment": "ONLINE_PAYMENT",
}
INDICATOR_FIELDS: Final = tuple(TARGET_OF)


def indicators_2024(
    kpis: Kpis, label: str, targets: Targets, not_eligible: Collection[str] = ()
) -> tuple[list[TargetsRow], TargetsRow]:
    """Every agency's row (offering a procedure in the period or with figures in it) and the
    total row."""
    period = Period.parse(label)
    counts: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {name: [0, 0] for name in INDICATOR_FIELDS}
    )
    for procedure in offered(kpis.histories.values(), period):
        if procedure.procedure_code in not_eligible:
            continue
        rate = counts[procedure.agency_code]["full_online_procedures"]
        rate[0] += procedure.level == "FULL_ONLINE"
        rate[1] += 1
    for s in kpis.snapshots.values():
        if s["period"] != period.label:
            continue
        agency = counts[str(s["agency_code"])]
        _add(agency["dossier_digitisation"], s["dossiers_digitised"], received(s))
        _add(agency["result_digitisation"], s["results_signed"], s["resolved"])
        _add(agency["online_payment"], s["paid_online"], s["with_fee"])
    total = {name: [sum(c[name][i] for c in counts.values()) for i in (0, 1)]
             for name in INDICATOR_FIELDS}  # fmt: skip
    rows = [_row(code, counts[code], period.year, targets) for code in sorted(counts)]
    return rows, _row("", total, period.year, targets)


def _add(rate: list[int], numerator: int, denominator: int) -> None:
    rate[0] += numerator
    rate[1] += denominator


def _row(agency: str, counts: dict[str, list[int]], year: int, targets: Targets) -> TargetsRow:
    def judged(name: str) -> Verdict:
        return Verdict(Rate(*counts[name]), targets.target(year, TARGET_OF[name]))

    return TargetsRow(
        agency, judged("dossier_digitisation"), judged("result_digitisation"),
        judged("full_online_procedures"), judged("online_payment"),
    )  # fmt: skip
