"""The 2024 rules that need no event: ISO weeks, the indicator targets by year, the verdicts.

Every expected value is a literal worked out by hand beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from hub.kpi import (
    DEFAULT_INDICATOR_TARGETS,
    KpiSettings,
    Period,
    PostalDeadlines,
    Rate,
    Targets,
    Verdict,
    periods_of,
)
from tests.kpi._support import vn

TARGETS_2024 = Targets.parse(DEFAULT_INDICATOR_TARGETS)


# -- ISO weeks ----------------------------------------------------------------------------------


def test_a_week_starts_on_monday_at_local_midnight() -> None:
    # Sun 9 Mar 2025 23:59 local is week 10; one minute later, Mon 10 Mar 00:00, week 11
    assert periods_of(vn(2025, 3, 9, 23, 59))[3] == "2025-W10"
    assert periods_of(vn(2025, 3, 10, 0, 0))[3] == "2025-W11"
    # the same instant in UTC: Sun 9 Mar 17:00 UTC is already Monday in Vietnam (UTC+7)
    assert periods_of(datetime(2025, 3, 9, 16, 59, tzinfo=UTC))[3] == "2025-W10"
    assert periods_of(datetime(2025, 3, 9, 17, 0, tzinfo=UTC))[3] == "2025-W11"
    week = Period.parse("2025-W10")
    assert (week.kind, week.start, week.end) == ("week", vn(2025, 3, 3, 0), vn(2025, 3, 10, 0))
    assert (week.first_day.isoformat(), week.last_day.isoformat()) == ("2025-03-03", "2025-03-09")


def test_a_week_belongs_to_its_iso_year() -> None:
    # Mon 30 Dec 2024 is in the week of Thu 2 Jan 2025: 2025-W01, judged by 2025's targets,
    # while its month, quarter and year stay 2024's
    assert periods_of(vn(2024, 12, 30)) == ("2024-12", "2024-Q4", "2024", "2025-W01")
    first = Period.parse("2025-W01")
    assert (first.start, first.year) == (vn(2024, 12, 30, 0), 2025)
    assert Period.parse("2020-W53").end == vn(2021, 1, 4, 0)  # 2020 had 53 ISO weeks
    with pytest.raises(ValueError, match="2025 has no ISO week 53"):
        Period.parse("2025-W53")
    with pytest.raises(ValueError, match="2025-W05"):
        Period.parse("2025-W5")


def test_every_instant_of_a_week_maps_to_it() -> None:
    week = Period.parse("2025-W10")
    moment = week.start
    while moment < week.end:
        assert periods_of(moment)[3] == week.label, moment
        moment += timedelta(hours=7)
    assert periods_of(week.start - timedelta(microseconds=1))[3] == "2025-W09"
    assert periods_of(week.end)[3] == "2025-W11"


# -- targets by year ----------------------------------------------------------------------------


def test_the_2024_targets_and_later_years() -> None:
    assert TARGETS_2024.target(2024, "DIGITISATION") == 80
    assert TARGETS_2024.target(2024, "FULL_ONLINE_PROCEDURES") == 80
    assert TARGETS_2024.target(2024, "ONLINE_PAYMENT") == 45
    assert TARGETS_2024.target(2026, "ONLINE_PAYMENT") == 45  # kept until the province sets one
    assert TARGETS_2024.target(2023, "ONLINE_PAYMENT") is None  # no target before 2024
    raised = KpiSettings(indicator_targets=DEFAULT_INDICATOR_TARGETS + "; 2025:ONLINE_PAYMENT=60")
    parsed = raised.parsed_indicator_targets()
    # a year with rules of its own takes only those: 2025 has no digitisation target then
    assert parsed.target(2025, "ONLINE_PAYMENT") == Decimal(60)
    assert parsed.target(2025, "DIGITISATION") is None
    assert parsed.target(2024, "ONLINE_PAYMENT") == 45


def test_a_misspelt_indicator_or_a_bad_target_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown \\['DIGITIZATION'\\]"):
        KpiSettings(indicator_targets="2024:DIGITIZATION=80").parsed_indicator_targets()
    with pytest.raises(ValueError, match="YEAR:INDICATOR=PERCENT"):
        KpiSettings(indicator_targets="2024=80").parsed_indicator_targets()
    with pytest.raises(ValueError, match="0-100"):
        KpiSettings(indicator_targets="2024:ONLINE_PAYMENT=145").parsed_indicator_targets()


def test_the_postal_deadlines_and_the_ineligible_procedures_are_configured() -> None:
    config = KpiSettings(postal_pickup_days=3, postal_return_days=4, not_eligible=" A, B,,")
    assert config.postal_deadlines() == PostalDeadlines(3, 4)
    assert config.not_eligible_codes() == {"A", "B"}


# -- verdicts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "target", "verdict"),
    [
        (80, 100, 80, "ACHIEVED"),  # exactly met is met
        (79, 100, 80, "NOT_ACHIEVED"),  # one short
        (4, 5, 80, "ACHIEVED"),  # 80.00%
        (3, 5, 80, "NOT_ACHIEVED"),  # 60.00%
        (9, 20, 45, "ACHIEVED"),  # 45.00%
        (4, 9, 45, "NOT_ACHIEVED"),  # 44.44%
        # 15,999 / 20,000 = 79.995%: printed 80.00% (half up), yet below 80: compared exactly
        (15_999, 20_000, 80, "NOT_ACHIEVED"),
        (0, 0, 80, "NOT_EVALUATED"),  # nothing to count
    ],
)
def test_a_verdict_compares_the_exact_rate(
    numerator: int, denominator: int, target: int, verdict: str
) -> None:
    judged = Verdict(Rate(numerator, denominator), Decimal(target))
    assert judged.verdict == verdict
    assert judged.label == {"ACHIEVED": "Đạt", "NOT_ACHIEVED": "Chưa đạt",
                            "NOT_EVALUATED": "Không đánh giá"}[verdict]  # fmt: skip


def test_the_rounding_trap_is_printed_as_80_but_missed() -> None:
    judged = Verdict(Rate(15_999, 20_000), Decimal(80))
    assert str(judged.rate) == "80.00% (15999/20000)"
    assert judged.verdict == "NOT_ACHIEVED"


def test_no_target_for_the_year_is_not_evaluated() -> None:
    assert Verdict(Rate(5, 5), None).verdict == "NOT_EVALUATED"
