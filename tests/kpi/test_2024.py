"""The 2024 indicators and the postal figures of a hand-written province (``_province2024``)
through the three KPI folds (in-memory runner, real Avro serdes and registry): each rule on a
case worked out by hand, each target exactly met and just missed, a week boundary, a postal leg
late by one working day; the tables as CSV and XLSX.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from hub.kpi import (
    POSTAL_COLUMNS,
    POSTAL_TITLES,
    TARGET_COLUMNS,
    KpiReplay,
    Rate,
    indicators_766,
    indicators_2024,
    postal_figures,
    postal_rows,
    target_rows,
    write_csv,
    write_xlsx,
)
from tests.kpi._province2024 import (
    EXPECTED_MARCH,
    EXPECTED_POSTAL_MARCH,
    NOT_ELIGIBLE,
    TARGETS,
    VERSIONS_2024,
    events_2024,
    signed,
)
from tests.kpi._support import Rig, vn


@pytest.fixture(scope="module")
def kpis(rig: Rig) -> KpiReplay:
    return rig.compute(events_2024(), VERSIONS_2024)


def test_the_2024_indicators_of_march(kpis: KpiReplay) -> None:
    rows, total = indicators_2024(kpis, "2025-03", TARGETS, NOT_ELIGIBLE)
    assert target_rows(rows, total) == EXPECTED_MARCH
    assert [r.online_payment.verdict for r in rows] == [
        "NOT_EVALUATED", "NOT_EVALUATED", "ACHIEVED", "NOT_EVALUATED", "NOT_ACHIEVED",
    ]  # fmt: skip
    assert total.full_online_procedures.target == Decimal(80)


def test_an_ineligible_procedure_counts_when_not_declared(kpis: KpiReplay) -> None:
    rows, _ = indicators_2024(kpis, "2025-03", TARGETS)
    stp = next(r for r in rows if r.agency_code == "STP")
    assert stp.full_online_procedures.rate == Rate(3, 5)  # STP-5 (direct only) counted: 60%


def test_the_digitised_rule_dossier_by_dossier(kpis: KpiReplay) -> None:
    d = kpis.dossiers
    # attached and every result document signed
    assert (d["T1"]["dossier_digitised"], d["T1"]["results_signed"]) == (True, True)
    # attached, result of two documents, one signed: neither
    assert d["T4"]["result_documents"] == ["don", "kq2"]
    assert d["T4"]["signed_documents"] == ["don"]
    assert (d["T4"]["dossier_digitised"], d["T4"]["results_signed"]) == (False, False)
    # signed result, but the dossier came on paper (no intake documents)
    assert (d["T5"]["dossier_digitised"], d["T5"]["results_signed"]) == (False, True)
    # attached, result never signed
    assert (d["S5"]["dossier_digitised"], d["S5"]["results_signed"]) == (False, False)


def test_a_late_signature_counts_in_the_periods_of_the_dossier(rig: Rig) -> None:
    """T4's second document signed on 1 April: T4 becomes digitised and signed in March, the
    periods it was received and resolved in; April gets nothing."""
    kpis = rig.compute([*events_2024(), signed("T4", vn(2025, 4, 1, 9), "kq2")], VERSIONS_2024)
    stp = kpis.snapshots["STP|2025-03"]
    assert (stp["dossiers_digitised"], stp["results_signed"]) == (4, 5)  # was 3, 4
    assert "STP|2025-04" not in kpis.snapshots


def test_the_week_boundary(kpis: KpiReplay) -> None:
    """W1 accepted Sun 9 Mar 23:59 local (week 10), W2 Mon 10 Mar 00:00 (week 11)."""
    assert kpis.dossiers["W1"]["received_at"] == vn(2025, 3, 9, 23, 59)
    w10, w11 = kpis.snapshots["UBND-LX|2025-W10"], kpis.snapshots["UBND-LX|2025-W11"]
    assert w10["received_full_online"] == 1  # W1 (P1, P2 came by post: direct)
    assert (w10["received_full_direct"], w11["received_full_online"]) == (3, 1)  # P1-P3; W2
    march = kpis.snapshots["UBND-LX|2025-03"]
    assert march["received_full_online"] + march["received_full_direct"] == 4 + 1
    weekly = {r.agency_code: r.received for r in indicators_766(kpis, "2025-W11")}
    assert weekly == {"UBND-LX": 1}
    _, total = indicators_2024(kpis, "2025-W10", TARGETS, NOT_ELIGIBLE)
    assert total.dossier_digitisation.rate == Rate(7, 43)  # W2 falls in week 11


def test_the_postal_figures(kpis: KpiReplay) -> None:
    rows, total = postal_figures(kpis, "2025-03")
    assert postal_rows(rows, total) == EXPECTED_POSTAL_MARCH
    p1, p2, p3 = (kpis.dossiers[d] for d in ("P1", "P2", "P3"))
    assert (p1["picked_up"], p1["returned_by_post"], p1["cod_amount_vnd"]) == (True, True, 50_000)
    assert (p3["returned_by_post"], p3["cod_amount_vnd"]) == (False, 20_000)  # not collected
    assert p2["pickup_ordered_at"] == vn(2025, 3, 3, 8, 10)
    # by week: both pickups and P1's return in week 10, P2's late return (Tue 11) in week 11
    w10 = postal_rows(*postal_figures(kpis, "2025-W10"))
    assert w10[-1] == ["Tổng cộng", "2", "50.00% (1/2)", "1", "100.00% (1/1)", "50000"]
    w11 = postal_rows(*postal_figures(kpis, "2025-W11"))
    assert w11 == [["UBND-LX", "0", "- (0/0)", "1", "0.00% (0/1)", "30000"],
                   ["Tổng cộng", "0", "- (0/0)", "1", "0.00% (0/1)", "30000"]]  # fmt: skip


def test_a_longer_postal_deadline_makes_the_late_legs_on_time(rig: Rig) -> None:
    """The same events with 2 working days to collect and 3 to deliver (``DVC_KPI_POSTAL_*``):
    P2, one working day late under the defaults, is on time."""
    kpis = rig.compute(events_2024(), VERSIONS_2024, pickup_days=2, return_days=3)
    lx = kpis.snapshots["UBND-LX|2025-03"]
    assert (lx["postal_pickups_on_time"], lx["postal_returns_on_time"]) == (2, 2)


def test_the_tables_as_csv_and_xlsx(kpis: KpiReplay, tmp_path: Path) -> None:
    rows = target_rows(*indicators_2024(kpis, "2025-03", TARGETS, NOT_ELIGIBLE))
    out = io.StringIO()
    write_csv(TARGET_COLUMNS, rows, out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [list(TARGET_COLUMNS), *EXPECTED_MARCH]
    assert TARGET_COLUMNS[:4] == (
        "agency_code",
        "dossier_digitisation",
        "dossier_digitisation_target",
        "dossier_digitisation_verdict",
    )
    path = tmp_path / "postal.xlsx"
    write_xlsx("Bưu chính 2025-03", POSTAL_TITLES, postal_rows(*postal_figures(kpis, "2025-03")),
               path)  # fmt: skip
    values = [list(r) for r in load_workbook(path).active.iter_rows(values_only=True)]
    assert values[1] == list(POSTAL_TITLES)
    assert values[5] == ["UBND-LX", 2, "50.00% (1/2)", 2, "50.00% (1/2)", 80000]  # numbers
    assert len(POSTAL_TITLES) == len(POSTAL_COLUMNS)
