"""The QĐ 766 results of a month as a ranking, and who is praised or criticised.

QĐ 766/QĐ-TTg results are published monthly "with units praised or criticised" (DOMAIN.md §7).
The rule applied here, the directive's as DOMAIN states it:

* An agency's **score** is the unweighted mean of its measured indicators of the month: on-time
  resolution, online filing, intake digitisation, result digitisation, online payment and, from
  the citizens' ratings, the share satisfied (the satisfaction group, ``hub.kpi._ratings``; the
  online-filing rate already covers the partial- and full-online splits, so they do not count
  twice). An indicator with nothing to measure (0 of 0: no rating, say) is left out of the mean,
  not counted as 0%; an agency with no measured indicator is not ranked. The group the hub does
  not measure (publication) is not in the score: the page says so, it invents nothing.
* Agencies are ranked by score, best first; equal scores share a rank ("1, 2, 2, 4"), listed by
  agency code. The score is compared exactly (fractions), printed with two decimals.
* **Praised** (biểu dương): the ``count`` best ranked agencies; **criticised** (phê bình): the
  ``count`` worst ranked. An agency is never both: with fewer than ``2 * count`` ranked agencies
  the better half is praised and the worse half criticised (a lone agency is praised).
  ``count`` is the province's choice (``DVC_PUBLISH_PRAISE_COUNT``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from hub.kpi import IndicatorsRow, Rate

#: The indicators a score is the mean of: ``IndicatorsRow`` field -> the page's label.
SCORED: Final[Mapping[str, str]] = {
    "on_time": "Giải quyết đúng hạn",
    "online_filing": "Nộp hồ sơ trực tuyến",
    "intake_digitisation": "Số hóa hồ sơ",
    "result_digitisation": "Số hóa kết quả",
    "online_payment": "Thanh toán trực tuyến",
    "satisfied": "Mức độ hài lòng",  # ratings satisfied overall / ratings (IndicatorsRow)
}
#: Shown next to the scored ones, not scored (the online-filing rate covers them).
SHOWN: Final[Mapping[str, str]] = {
    "online_partial": "Trực tuyến (một phần)",
    "online_full": "Trực tuyến (toàn trình)",
}


@dataclass(frozen=True)
class RankedAgency:
    """One agency's month: its indicators, score and place (None: nothing measured)."""

    agency_code: str
    agency_name: str
    received: int
    rates: Mapping[str, Rate]
    score: Fraction | None
    rank: int | None

    @property
    def score_percent(self) -> Decimal | None:
        """The score in percent, two decimals rounded half up (as the reports' ratios)."""
        if self.score is None:
            return None
        exact = Decimal(self.score.numerator * 100) / Decimal(self.score.denominator)
        return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ranking:
    """Every agency in ranking order (the unranked last, by code), and the two lists."""

    agencies: tuple[RankedAgency, ...]
    praised: tuple[RankedAgency, ...]
    criticised: tuple[RankedAgency, ...]


def score(row: IndicatorsRow) -> Fraction | None:
    """The unweighted mean of the measured ``SCORED`` rates (fractions of 1), None if none is."""
    measured = [Fraction(r.numerator, r.denominator)
                for r in (getattr(row, name) for name in SCORED) if r.denominator > 0]  # fmt: skip
    return sum(measured, Fraction(0)) / len(measured) if measured else None


def rank(rows: Sequence[IndicatorsRow], names: Mapping[str, str], count: int) -> Ranking:
    """The month's ranking of ``rows`` (``names``: agency code -> name) and the ``count``
    praised and criticised agencies, by the rule in this module's docstring."""
    if count < 0:
        raise ValueError(f"the number of praised agencies must be 0 or more, got {count}")
    ranked: list[tuple[IndicatorsRow, Fraction]] = []
    unranked: list[IndicatorsRow] = []
    for row in rows:
        value = score(row)
        if value is None:
            unranked.append(row)
        else:
            ranked.append((row, value))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].agency_code))
    unranked.sort(key=lambda row: row.agency_code)
    agencies = [_ranked(row, names, value, 1 + sum(other > value for _, other in ranked))
                for row, value in ranked]  # fmt: skip
    agencies += [_ranked(row, names, None, None) for row in unranked]
    placed = agencies[: len(ranked)]
    top = min(count, (len(placed) + 1) // 2)
    bottom = min(count, len(placed) - top)
    worst = tuple(reversed(placed[len(placed) - bottom :])) if bottom else ()
    return Ranking(tuple(agencies), tuple(placed[:top]), worst)


def _ranked(
    row: IndicatorsRow, names: Mapping[str, str], value: Fraction | None, place: int | None
) -> RankedAgency:
    rates = {name: getattr(row, name) for name in (*SCORED, *SHOWN)}
    return RankedAgency(row.agency_code, names.get(row.agency_code, ""), row.received, rates,
                        value, place)  # fmt: skip
