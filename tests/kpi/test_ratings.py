"""The QĐ 766 satisfaction group against figures computed by hand: the three KPI folds on the
in-memory runner with the real Avro serdes (schemas in the real registry); the same events
through live workers in ``test_replay``.

UBND-LX, procedure LX-F (full online). Ratings, criteria in the order attitude, time,
publicity, fees, overall; "satisfied" is an overall score of 4 or 5:

* R-A: result returned Wed 5 Mar 2025, rated Thu 6 Mar (5, 5, 4, 4, 5) for official cb-1;
* R-B: result returned Wed 5 Mar, rated Fri 7 Mar (2, 2, 3, 1, 2) for cb-2, rated again Wed
  2 Apr (4, 4, 4, 4, 4) for cb-1: the March rating is taken back, April counts the new one;
* R-C: rated Mon 10 Mar while still accepted (handling not ended): not counted;
* R-D: refused at intake Wed 5 Mar, rated Wed 12 Mar (3, 3, 3, 3, 3), no official named;
* R-X: a rating of a dossier the hub never saw: no agency, not counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.kpi import (
    SATISFACTION_COLUMNS,
    KpiReplay,
    OfficialSatisfactionRow,
    Rate,
    Satisfaction,
    indicator_rows,
    indicators_766,
    satisfaction_by_official,
    write_indicators_csv,
)
from hub.records import KpiSnapshot
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.api._kpi import publish
from tests.kpi._support import Record, Rig, dossier, event, procedure, vn
from tests.lifecycle._support import wait_until

VERSIONS = [procedure("LX-F", "UBND-LX", "UBND TP Long Xuyên", "FULL_ONLINE")]
CATALOG = {"LX-F": VERSIONS[0]}


def rated(dossier_id: str, at: Any, scores: tuple[int, ...], official: str | None) -> Record:
    names = ("attitude", "time", "publicity", "fees", "overall")
    return event(dossier_id, "SATISFACTION_RATED", at, official_id=official,
                 **dict(zip(names, scores, strict=True)))  # fmt: skip


def returned(dossier_id: str, accepted: Any, result: Any, back: Any) -> list[Record]:
    return [*dossier(dossier_id, CATALOG, "LX-F", "ONLINE", accepted, result_at=result),
            event(dossier_id, "RESULT_RETURNED", back)]  # fmt: skip


def rating_events() -> list[Record]:
    return [
        *returned("R-A", vn(2025, 3, 3), vn(2025, 3, 4, 10), vn(2025, 3, 5, 9)),
        rated("R-A", vn(2025, 3, 6), (5, 5, 4, 4, 5), "cb-1"),
        *returned("R-B", vn(2025, 3, 3, 10), vn(2025, 3, 4, 11), vn(2025, 3, 5, 10)),
        rated("R-B", vn(2025, 3, 7), (2, 2, 3, 1, 2), "cb-2"),
        rated("R-B", vn(2025, 4, 2), (4, 4, 4, 4, 4), "cb-1"),
        *dossier("R-C", CATALOG, "LX-F", "ONLINE", vn(2025, 3, 4)),
        rated("R-C", vn(2025, 3, 10), (1, 1, 1, 1, 1), "cb-3"),
        *dossier("R-D", CATALOG, "LX-F", "DIRECT", vn(2025, 3, 5), refused=True),
        rated("R-D", vn(2025, 3, 12), (3, 3, 3, 3, 3), None),
        rated("R-X", vn(2025, 3, 12), (5, 5, 5, 5, 5), None),
    ]


def totals(rated: int, satisfied: int, *sums: int) -> dict[str, int]:
    names = ("attitude", "time", "publicity", "fees", "overall")
    return {"rated": rated, "satisfied": satisfied, **dict(zip(names, sums, strict=True))}


#: agency|period -> (the agency's totals, each official's); by hand from the module docstring.
EXPECTED: dict[str, tuple[dict[str, int], list[tuple[str, dict[str, int]]]]] = {
    # R-A and R-D (R-B's March rating taken back): sums 5+3, 5+3, 4+3, 4+3, 5+3; R-A satisfied
    "UBND-LX|2025-03": (totals(2, 1, 8, 8, 7, 7, 8), [("cb-1", totals(1, 1, 5, 5, 4, 4, 5))]),
    "UBND-LX|2025-Q1": (totals(2, 1, 8, 8, 7, 7, 8), [("cb-1", totals(1, 1, 5, 5, 4, 4, 5))]),
    # R-B's second rating only
    "UBND-LX|2025-04": (totals(1, 1, 4, 4, 4, 4, 4), [("cb-1", totals(1, 1, 4, 4, 4, 4, 4))]),
    "UBND-LX|2025-Q2": (totals(1, 1, 4, 4, 4, 4, 4), [("cb-1", totals(1, 1, 4, 4, 4, 4, 4))]),
    # the year: R-A, R-B (April), R-D; cb-1 has R-A and R-B
    "UBND-LX|2025": (totals(3, 2, 12, 12, 11, 11, 12), [("cb-1", totals(2, 2, 9, 9, 8, 8, 9))]),
    # ISO weeks: R-A (Thu 6 Mar) and R-B's first (Fri 7 Mar, taken back) in W10, R-D in W11
    "UBND-LX|2025-W10": (totals(1, 1, 5, 5, 4, 4, 5), [("cb-1", totals(1, 1, 5, 5, 4, 4, 5))]),
    "UBND-LX|2025-W11": (totals(1, 0, 3, 3, 3, 3, 3), []),
    "UBND-LX|2025-W14": (totals(1, 1, 4, 4, 4, 4, 4), [("cb-1", totals(1, 1, 4, 4, 4, 4, 4))]),
}


def satisfaction_of(snapshots: Mapping[str, KpiSnapshot]) -> dict[str, Any]:
    """agency|period -> (totals, [(official, totals)]) of every snapshot with ratings."""
    return {
        key: (s["satisfaction"], [(o["official_id"], o["totals"])
                                  for o in s["satisfaction_by_official"]])
        for key, s in snapshots.items()
        if s.get("satisfaction") is not None
    }  # fmt: skip


@pytest.fixture(scope="module")
def kpis(rig: Rig) -> KpiReplay:
    return rig.compute(rating_events(), VERSIONS)


def test_ratings_are_counted_per_agency_official_and_period(kpis: KpiReplay) -> None:
    assert satisfaction_of(kpis.snapshots) == EXPECTED


def test_a_later_rating_replaces_the_earlier_and_takes_its_scores_back(kpis: KpiReplay) -> None:
    kept = kpis.dossiers["R-B"]["rating"]
    assert kept is not None
    assert (kept["overall"], kept["official_id"], kept["rated_at"]) == (4, "cb-1", vn(2025, 4, 2))
    # cb-2 was rated in March only by R-B's first rating: taken back, the official drops out
    march = kpis.snapshots["UBND-LX|2025-03"]
    assert [o["official_id"] for o in march["satisfaction_by_official"]] == ["cb-1"]
    # March applied R-A's RATED, R-B's RATED then UNRATED, and R-D's RATED
    assert march["satisfaction"] == EXPECTED["UBND-LX|2025-03"][0]


def test_a_rating_before_handling_ended_or_of_an_unknown_dossier_is_not_counted(
    kpis: KpiReplay,
) -> None:
    assert kpis.dossiers["R-C"]["rating"] is None
    unknown = kpis.dossiers.get("R-X")
    assert unknown is None or unknown["rating"] is None
    # and no snapshot counts them: the ones with ratings are exactly the expected ones
    assert satisfaction_of(kpis.snapshots).keys() == EXPECTED.keys()


def test_the_766_satisfaction_group_of_march(kpis: KpiReplay) -> None:
    (row,) = indicators_766(kpis, "2025-03")
    half, four = Decimal("3.50"), Decimal("4.00")
    assert row.satisfaction == Satisfaction(2, 1, (four, four, half, half, four))
    assert row.satisfied == Rate(1, 2)
    assert indicator_rows([row])[0][-7:] == [
        "2", "50.00% (1/2)", "4.00", "4.00", "3.50", "3.50", "4.00",
    ]  # fmt: skip
    out = io.StringIO()
    write_indicators_csv([row], out)
    (line,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert {c: line[c] for c in SATISFACTION_COLUMNS} == {
        "rated": "2", "satisfied_share": "50.00% (1/2)", "mean_attitude": "4.00",
        "mean_time": "4.00", "mean_publicity": "3.50", "mean_fees": "3.50",
        "mean_overall": "4.00",
    }  # fmt: skip
    # a week is checked the same way (QĐ 766 is checked weekly): R-D alone, not satisfied
    (week,) = indicators_766(kpis, "2025-W11")
    assert week.satisfied == Rate(0, 1)
    assert str(week.satisfied) == "0.00% (0/1)"


def test_the_group_per_official(kpis: KpiReplay) -> None:
    five, four = Decimal("5.00"), Decimal("4.00")
    assert satisfaction_by_official(kpis, "2025-03") == [
        OfficialSatisfactionRow("UBND-LX", "cb-1", Satisfaction(1, 1, (five, five, four, four,
                                                                       five))),
    ]  # fmt: skip
    year = satisfaction_by_official(kpis, "2025")
    assert [(r.official_id, r.satisfaction.rated, r.satisfaction.mean_of["overall"])
            for r in year] == [("cb-1", 2, Decimal("4.50"))]  # fmt: skip


@pytest.fixture
def api(settings: Settings, registry: RegistryClient) -> Iterator[TestClient]:
    """The query API over these ratings' KPIs, published on this test's topics."""
    publish(settings, registry, Rig(registry, settings.topic_prefix).compute(rating_events(),
                                                                             VERSIONS))  # fmt: skip
    with TestClient(create_api(settings, keys=development_keys()),
                    headers=bearer_headers(DEV_KEYS.public)) as client:  # fmt: skip
        wait_until(lambda: client.get("/healthz").json()["kpis_ready"], timeout_s=30)
        wait_until(lambda: client.get("/v1/reports/766", params={"month": "2025-04"}).json()
                   ["rows"], timeout_s=30)  # fmt: skip
        yield client


def test_the_query_api_and_the_gauges_carry_the_group(api: TestClient) -> None:
    (row,) = api.get("/v1/reports/766", params={"month": "2025-03"}).json()["rows"]
    assert row["satisfaction"] == {
        "rated": 2, "satisfied": {"numerator": 1, "denominator": 2, "percent": "50.00%"},
        "means": {"attitude": "4.00", "time": "4.00", "publicity": "3.50", "fees": "3.50",
                  "overall": "4.00"},
    }  # fmt: skip
    lines = api.get("/metrics").text.splitlines()
    assert 'dvchub_kpi_satisfied_ratio{agency="UBND-LX",period="2025-03"} 0.5' in lines
    assert ('dvchub_kpi_satisfaction_score{agency="UBND-LX",criterion="publicity",'
            'period="2025-03"} 3.5') in lines  # fmt: skip
    # month snapshots only
    assert not [line for line in lines if "satisf" in line and 'period="2025-W' in line]
