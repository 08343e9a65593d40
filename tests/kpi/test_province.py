"""The KPI figures of a synthetic province against numbers computed by hand.

Six agencies: three provincial departments (SNV, STP, SXD) and three districts (UBND-CD,
UBND-LX, UBND-TS); every category and channel; a procedure (CD-X) that goes from partial to full
online on 1 July 2025; an agency with no full-online procedure (UBND-TS) and one whose
procedures received no dossier (SXD); a refusal at intake and a duplicate event. The catalogue
and every event are written out below with explicit Vietnam wall-clock instants; the three folds
run on the in-memory runner with the real Avro serdes (schemas in the real registry), and every
expected figure is a literal with its arithmetic beside it.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pydantic import ValidationError

from connectors.portal._models import ResultReady
from hub.kpi import (
    DEFAULT_TARGETS,
    FULL_ONLINE_TITLES,
    FullOnlineRow,
    IndicatorsRow,
    KpiReplay,
    OnlineSubmissionRow,
    Period,
    Rate,
    Targets,
    full_online_rows,
    full_online_table,
    indicators_766,
    offered,
    online_submissions,
    percent,
    write_full_online_csv,
    write_xlsx,
)
from tests.kpi._support import TARGETS, Record, Rig, dossier, procedure, vn

# -- the catalogue ------------------------------------------------------------------------------

STP, SNV, SXD = "Sở Tư pháp", "Sở Nội vụ", "Sở Xây dựng"
CD, LX, TS = "UBND TP Châu Đốc", "UBND TP Long Xuyên", "UBND huyện Tri Tôn"
FROM_2025 = date(2025, 1, 1)
#: CD-X becomes full online on 1 July 2025 (local midnight): a second version of its entry.
CD_X_FULL = procedure("CD-X", "UBND-CD", CD, "FULL_ONLINE", updated_at=vn(2025, 7, 1, 0))
VERSIONS: list[Record] = [
    procedure("STP-F", "STP", STP, "FULL_ONLINE"),
    procedure("STP-F2", "STP", STP, "FULL_ONLINE"),  # offered, never used
    procedure("STP-P", "STP", STP, "PARTIAL_ONLINE"),
    procedure("STP-D", "STP", STP, "DIRECT_ONLY"),
    procedure("SNV-F", "SNV", SNV, "FULL_ONLINE"),
    procedure("SXD-F", "SXD", SXD, "FULL_ONLINE", valid_from=FROM_2025),  # no dossier at all
    procedure("SXD-P", "SXD", SXD, "PARTIAL_ONLINE", valid_from=FROM_2025),
    procedure("CD-X", "UBND-CD", CD, "PARTIAL_ONLINE"),
    CD_X_FULL,
    procedure("LX-F", "UBND-LX", LX, "FULL_ONLINE", days=5),
    procedure("LX-P", "UBND-LX", LX, "PARTIAL_ONLINE"),
    procedure("LX-D", "UBND-LX", LX, "DIRECT_ONLY", days=1),
    procedure("TS-P", "UBND-TS", TS, "PARTIAL_ONLINE"),  # UBND-TS: nothing full online
    procedure("TS-D", "UBND-TS", TS, "DIRECT_ONLY"),
]
CATALOG = {str(v["procedure_code"]): v for v in VERSIONS}


# -- the dossiers -------------------------------------------------------------------------------


def province_events() -> list[Record]:
    c = CATALOG
    events: list[Record] = []
    # STP, 2024: 4 full online (the last at 23:30 local on 31 Dec: still 2024), 1 partial direct
    for n in range(1, 4):
        events += dossier(f"STP-24-{n}", c, "STP-F", "ONLINE", vn(2024, 11, 4, 9, n))
    events += dossier("STP-24-4", c, "STP-F", "ONLINE", vn(2024, 12, 31, 23, 30))
    events += dossier("STP-24-5", c, "STP-P", "DIRECT", vn(2024, 11, 5))
    # STP, 2025: 11 full online (the first at 00:30 local on 1 Jan = 2024-12-31 17:30 UTC:
    # 2025), 1 full direct, 1 full by VNPost (direct by default)
    events += dossier("STP-25-1", c, "STP-F", "ONLINE", vn(2025, 1, 1, 0, 30))
    for n in range(2, 12):
        events += dossier(f"STP-25-{n}", c, "STP-F", "ONLINE", vn(2025, 4, 7, 9, n))
    events += dossier("STP-25-D", c, "STP-F", "DIRECT", vn(2025, 4, 8))
    events += dossier("STP-25-POST", c, "STP-F", "POSTAL", vn(2025, 4, 8, 10))
    # SNV, May 2025: 2 full online, 1 full direct
    events += dossier("SNV-1", c, "SNV-F", "ONLINE", vn(2025, 5, 5))
    events += dossier("SNV-2", c, "SNV-F", "ONLINE", vn(2025, 5, 5, 10))
    events += dossier("SNV-3", c, "SNV-F", "DIRECT", vn(2025, 5, 6))
    # UBND-CD: CD-X partial in March (1 direct, 1 online), full in August (1 online, 5 direct);
    # the portal states the level at acceptance
    events += dossier("CD-1", c, "CD-X", "DIRECT", vn(2025, 3, 5), level="PARTIAL_ONLINE")
    events += dossier("CD-2", c, "CD-X", "ONLINE", vn(2025, 3, 5, 10), level="PARTIAL_ONLINE")
    events += dossier("CD-3", c, "CD-X", "ONLINE", vn(2025, 8, 4), level="FULL_ONLINE")
    for n in range(4, 9):
        events += dossier(f"CD-{n}", c, "CD-X", "DIRECT", vn(2025, 8, 5, 9, n),
                          level="FULL_ONLINE")  # fmt: skip
    # UBND-LX, March 2025 (the QĐ 766 month). Mon 3 Mar 09:00 + 5 working days: due Mon 10 Mar.
    results = vn(2025, 3, 4, 10)  # Tue: on time
    events += dossier("LX-F1", c, "LX-F", "ONLINE", vn(2025, 3, 3), result_at=results)
    events += dossier("LX-F2", c, "LX-F", "ONLINE", vn(2025, 3, 3, 9, 1), result_at=results)
    events += dossier("LX-F3", c, "LX-F", "ONLINE", vn(2025, 3, 3, 9, 2), result_at=results,
                      result_documents=False)  # fmt: skip
    events += dossier("LX-F4", c, "LX-F", "ONLINE", vn(2025, 3, 3, 9, 3), result_at=results,
                      result_documents=False)  # fmt: skip
    events += dossier("LX-F5", c, "LX-F", "ONLINE", vn(2025, 3, 3, 9, 4), fee_paid_by="ONLINE_BANK")
    events += dossier("LX-F6", c, "LX-F", "ONLINE", vn(2025, 3, 3, 9, 5), fee_paid_by="ONLINE_BANK")
    events += dossier("LX-F7", c, "LX-F", "ONLINE", vn(2025, 3, 3, 9, 6), documents=False)
    events += dossier("LX-PD", c, "LX-P", "DIRECT", vn(2025, 3, 4), fee_paid_by="DESK_CASH")
    events += dossier("LX-PO", c, "LX-P", "ONLINE", vn(2025, 3, 4, 10))
    # LX-D: 1 working day, accepted Mon 10 Mar 09:00 (due Tue 09:00), result Wed 12 Mar 10:00
    events += dossier("LX-D1", c, "LX-D", "DIRECT", vn(2025, 3, 10), result_at=vn(2025, 3, 12, 10))
    events += dossier("LX-R", c, "LX-F", "ONLINE", vn(2025, 3, 5), refused=True)  # not counted
    duplicate = next(
        e for e in events if e["dossier_id"] == "LX-F1" and e["event_type"] == "DOSSIER_ACCEPTED"
    )
    events.append(duplicate)  # delivered twice: counted once
    # UBND-TS, June 2025: 2 partial online, 1 direct only
    events += dossier("TS-1", c, "TS-P", "ONLINE", vn(2025, 6, 2))
    events += dossier("TS-2", c, "TS-P", "ONLINE", vn(2025, 6, 2, 10))
    events += dossier("TS-3", c, "TS-D", "DIRECT", vn(2025, 6, 3))
    return events


@pytest.fixture(scope="module")
def kpis(rig: Rig) -> KpiReplay:
    return rig.compute(province_events(), VERSIONS)


# -- the yearly table ---------------------------------------------------------------------------

COLUMNS = ["agency_code", "agency_name", "hstn_total", "tthc_total", "partial_direct_hstn",
           "partial_direct_tthc", "partial_online_hstn_direct", "partial_online_hstn_online",
           "partial_online_tthc", "full_hstn_direct", "full_hstn_online", "full_tthc", "ratio",
           "verdict"]  # fmt: skip

# Columns: HSTN, TTHC, direct-only HSTN/TTHC, partial HSTN direct/online, partial TTHC,
# full HSTN direct/online, full TTHC, ratio = full online / HSTN, verdict.
EXPECTED_2025 = [
    # SNV: 2 online + 1 direct, 1 TTHC; 2/3 = 66.666..% -> 66.67% < 85 (department, 2025)
    ["SNV", SNV, "3", "1", "0", "0", "0", "0", "0", "1", "2", "1", "66.67%", "Chưa đạt"],
    # STP: 11 online + 1 direct + 1 postal (direct) = 13; TTHC 2 full + 1 partial + 1 direct;
    # 11/13 = 84.615..% -> 84.62% < 85: just below
    ["STP", STP, "13", "4", "0", "1", "0", "0", "1", "2", "11", "2", "84.62%", "Chưa đạt"],
    # SXD: offers 1 full + 1 partial, received nothing: listed, no ratio, not evaluated
    ["SXD", SXD, "0", "2", "0", "0", "0", "0", "1", "0", "0", "1", "-", "Không đánh giá"],
    # UBND-CD: partial 1 direct + 1 online (March), full 5 direct + 1 online (August) = 8;
    # CD-X counts at its level at the year's end: 1 full TTHC; 1/8 = 12.50% < 70
    ["UBND-CD", CD, "8", "1", "0", "0", "1", "1", "0", "5", "1", "1", "12.50%", "Chưa đạt"],
    # UBND-LX: 1 direct-only + 1 partial direct + 1 partial online + 7 full online = 10 (the
    # refused LX-R and the duplicate not counted); 7/10 = 70.00% = 70: reaches the target
    ["UBND-LX", LX, "10", "3", "1", "1", "1", "1", "1", "0", "7", "1", "70.00%", "Đạt"],
    # UBND-TS: no full-online procedure: 0/3 = 0.00%, not evaluated
    ["UBND-TS", TS, "3", "2", "1", "1", "0", "2", "1", "0", "0", "0", "0.00%", "Không đánh giá"],
    # HSTN 3+13+0+8+10+3 = 37, TTHC 1+4+2+1+3+2 = 13, direct-only 0+0+0+0+1+1 = 2 / TTHC
    # 0+1+0+0+1+1 = 3, partial 0+0+0+1+1+0 = 2 direct, 0+0+0+1+1+2 = 4 online, TTHC
    # 0+1+1+0+1+1 = 4, full 1+2+0+5+0+0 = 8 direct, 2+11+0+1+7+0 = 21 online, TTHC
    # 1+2+1+1+1+0 = 6; 21/37 = 56.756..% -> 56.76%
    ["", "Tổng cộng", "37", "13", "2", "3", "2", "4", "4", "8", "21", "6", "56.76%", ""],
]


def test_the_targets_are_the_documented_defaults() -> None:
    assert Targets.parse(DEFAULT_TARGETS) == TARGETS
    assert TARGETS.target(2024, "PROVINCIAL_DEPARTMENT") == TARGETS.target(2024, "DISTRICT") == 70
    assert TARGETS.target(2025, "PROVINCIAL_DEPARTMENT") == 85
    assert TARGETS.target(2025, "DISTRICT") == 70


def test_percentages_round_half_up_to_two_decimals() -> None:
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 32) == Decimal("3.13")  # 3.125: half up (half even would give 3.12)
    assert percent(11, 13) == Decimal("84.62")
    assert percent(0, 0) is None


def test_the_2025_table(kpis: KpiReplay) -> None:
    table = full_online_table(kpis, 2025, TARGETS)
    assert full_online_rows(table) == EXPECTED_2025
    by_code = {r.agency_code: r for r in table.rows}
    assert by_code["STP"].agency_type == "PROVINCIAL_DEPARTMENT"
    assert by_code["STP"].target == 85
    assert by_code["UBND-LX"].agency_type == "DISTRICT"
    assert by_code["UBND-LX"].target == 70
    assert by_code["UBND-LX"].ratio == Decimal("70.00")
    assert [r.verdict for r in table.rows] == [
        "NOT_ACHIEVED", "NOT_ACHIEVED", "NOT_EVALUATED", "NOT_ACHIEVED", "ACHIEVED",
        "NOT_EVALUATED",
    ]  # fmt: skip
    assert table.total == FullOnlineRow("", "Tổng cộng", 37, 13, 2, 3, 2, 4, 4, 8, 21, 6,
                                        Decimal("56.76"), "")  # fmt: skip


def test_the_2025_csv(kpis: KpiReplay) -> None:
    out = io.StringIO()
    write_full_online_csv(full_online_table(kpis, 2025, TARGETS), out)
    text = out.getvalue()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert list(csv.reader(io.StringIO(text))) == [COLUMNS, *EXPECTED_2025]
    assert "STP,Sở Tư pháp,13,4,0,1,0,0,1,2,11,2,84.62%,Chưa đạt\n" in text


def test_a_postal_dossier_counts_online_when_configured(rig: Rig) -> None:
    kpis = rig.compute(province_events(), VERSIONS, postal_counts_as="ONLINE")
    rows = {r[0]: r for r in full_online_rows(full_online_table(kpis, 2025, TARGETS))}
    # STP: the postal dossier moves to online: 12/13 = 92.307..% -> 92.31% >= 85
    assert rows["STP"] == ["STP", STP, "13", "4", "0", "1", "0", "0", "1", "1", "12", "2",
                           "92.31%", "Đạt"]  # fmt: skip
    # total: full 8-1 = 7 direct, 21+1 = 22 online; 22/37 = 59.459..% -> 59.46%
    assert rows[""] == ["", "Tổng cộng", "37", "13", "2", "3", "2", "4", "4", "7", "22", "6",
                        "59.46%", ""]  # fmt: skip
    assert {k: r for k, r in rows.items() if k not in ("STP", "")} == {
        r[0]: r for r in EXPECTED_2025 if r[0] not in ("STP", "")
    }


def test_the_2024_table(kpis: KpiReplay) -> None:
    rows = full_online_rows(full_online_table(kpis, 2024, TARGETS))
    assert rows == [
        ["SNV", SNV, "0", "1", "0", "0", "0", "0", "0", "0", "0", "1", "-", "Không đánh giá"],
        # STP: 4 full online (one at 23:30 on 31 Dec) + 1 partial direct = 5; 4/5 = 80.00%:
        # reaches 2024's 70% (it would not reach 2025's 85%)
        ["STP", STP, "5", "4", "0", "1", "1", "0", "1", "0", "4", "2", "80.00%", "Đạt"],
        # (SXD: offered from 2025 only, not listed) CD-X partial at the end of 2024
        ["UBND-CD", CD, "0", "1", "0", "0", "0", "0", "1", "0", "0", "0", "-", "Không đánh giá"],
        ["UBND-LX", LX, "0", "3", "0", "1", "0", "0", "1", "0", "0", "1", "-", "Không đánh giá"],
        ["UBND-TS", TS, "0", "2", "0", "1", "0", "0", "1", "0", "0", "0", "-", "Không đánh giá"],
        # TTHC 1+4+1+3+2 = 11 (direct-only 0+1+0+1+1 = 3, partial 0+1+1+1+1 = 4, full
        # 1+2+0+1+0 = 4); 4/5 = 80.00%
        ["", "Tổng cộng", "5", "11", "0", "3", "1", "0", "4", "0", "4", "4", "80.00%", ""],
    ]


def test_a_level_change_counts_tthc_at_the_level_in_effect(kpis: KpiReplay) -> None:
    def level_of_cd_x(label: str) -> str:
        found = [o for o in offered(kpis.histories.values(), Period.parse(label))
                 if o.procedure_code == "CD-X"]  # fmt: skip
        assert len(found) == 1, label
        return found[0].level

    assert level_of_cd_x("2025-03") == "PARTIAL_ONLINE"  # a month before the change
    assert level_of_cd_x("2025-Q2") == "PARTIAL_ONLINE"
    assert level_of_cd_x("2025-07") == "FULL_ONLINE"
    assert level_of_cd_x("2025") == "FULL_ONLINE"  # the year's end
    assert level_of_cd_x("2024") == "PARTIAL_ONLINE"
    assert [v["level"] for v in kpis.histories["CD-X"]["versions"]] == [
        "PARTIAL_ONLINE", "FULL_ONLINE",
    ]  # fmt: skip
    # and the dossiers: the March ones partial, the August ones full
    march, august = kpis.snapshots["UBND-CD|2025-03"], kpis.snapshots["UBND-CD|2025-08"]
    assert (march["received_partial_direct"], march["received_partial_online"]) == (1, 1)
    assert (march["received_full_direct"], march["received_full_online"]) == (0, 0)
    assert (august["received_partial_direct"], august["received_partial_online"]) == (0, 0)
    assert (august["received_full_direct"], august["received_full_online"]) == (5, 1)


def test_refusals_and_duplicates(kpis: KpiReplay) -> None:
    assert kpis.dossiers["LX-R"]["received_at"] is None  # refused at intake
    lx = kpis.snapshots["UBND-LX|2025-03"]
    assert lx["facts_applied"] == 10 + 5 + 3 + 2  # received, resolved, with a fee, paid online
    assert kpis.dossiers["LX-F1"]["version"] == 4  # 4 events applied, the duplicate skipped


# -- QĐ 766 -------------------------------------------------------------------------------------


def test_the_766_indicators_of_march_2025(kpis: KpiReplay) -> None:
    assert kpis.dossiers["LX-D1"]["on_time"] is False  # 1 working day: due Tue 09:00, Wed 10:00
    assert kpis.dossiers["LX-D1"]["deadline"]["late"] is True
    assert kpis.dossiers["LX-F1"]["on_time"] is True
    rows = indicators_766(kpis, "2025-03")
    assert rows == [
        # UBND-CD: CD-1 (partial, direct), CD-2 (partial, online), both with documents
        IndicatorsRow("UBND-CD", 2, on_time=Rate(0, 0), online_partial=Rate(1, 2),
                      online_full=Rate(0, 0), online_filing=Rate(1, 2),
                      intake_digitisation=Rate(2, 2), result_digitisation=Rate(0, 0),
                      online_payment=Rate(0, 0)),
        IndicatorsRow(
            "UBND-LX", 10,
            on_time=Rate(4, 5),  # LX-F1..F4 on time, LX-D1 late: 4/5 = 80.00%
            online_partial=Rate(1, 2),  # LX-PO of LX-PO, LX-PD: 50.00%
            online_full=Rate(7, 7),  # LX-F1..F7: 100.00%
            online_filing=Rate(8, 9),  # 1 + 7 of 2 + 7 (LX-D1 is direct only): 88.89%
            intake_digitisation=Rate(9, 10),  # LX-F7 came without documents: 90.00%
            result_digitisation=Rate(3, 5),  # LX-F3, LX-F4 without documents: 60.00%
            online_payment=Rate(2, 3),  # LX-F5, LX-F6 by bank, LX-PD at the desk: 66.67%
        ),
    ]  # fmt: skip
    lx = rows[1]
    assert [str(getattr(lx, name)) for name in ("on_time", "online_filing", "online_payment")] == [
        "80.00% (4/5)", "88.89% (8/9)", "66.67% (2/3)",
    ]  # fmt: skip
    assert rows[0].on_time.percent is None


def test_a_result_without_documents_is_refused_by_the_portal_but_counted_by_the_fold() -> None:
    # The portal requires a document on ResultReady; the Avro schema, the lifecycle and the
    # KPI fold accept an empty list (another source may send one): a non-digitised result.
    with pytest.raises(ValidationError):
        ResultReady(documents=[], return_channel="DESK")


def test_online_submissions_per_quarter(kpis: KpiReplay) -> None:
    target = Decimal(20)
    assert online_submissions(kpis, "2025-Q1", target) == [
        OnlineSubmissionRow("STP", Rate(1, 1), True),  # STP-25-1, 00:30 on 1 Jan
        OnlineSubmissionRow("UBND-CD", Rate(1, 2), True),  # 50% >= 20%
        OnlineSubmissionRow("UBND-LX", Rate(8, 10), True),  # 1 partial + 7 full online: 80%
    ]
    assert online_submissions(kpis, "2025-Q2", target) == [
        OnlineSubmissionRow("SNV", Rate(2, 3), True),
        OnlineSubmissionRow("STP", Rate(10, 12), True),  # STP-25-2..11 of 12 in April
        OnlineSubmissionRow("UBND-TS", Rate(2, 3), True),
    ]
    # UBND-CD in August: 1 online of 6 = 16.67% < 20%
    assert online_submissions(kpis, "2025-Q3", target) == [
        OnlineSubmissionRow("UBND-CD", Rate(1, 6), False)
    ]
    with pytest.raises(ValueError, match="quarter"):
        online_submissions(kpis, "2025-03", target)


# -- XLSX ---------------------------------------------------------------------------------------


def test_the_xlsx_reads_back_with_the_same_values(kpis: KpiReplay, tmp_path: Path) -> None:
    path = tmp_path / "toan-trinh-2025.xlsx"
    write_xlsx("Toàn trình 2025", FULL_ONLINE_TITLES, full_online_rows(full_online_table(
        kpis, 2025, TARGETS)), path)  # fmt: skip
    sheet = load_workbook(path).active
    values: list[list[Any]] = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Toàn trình 2025"
    assert values[1] == list(FULL_ONLINE_TITLES)

    def cell(text: str) -> Any:
        return int(text) if text.isdigit() else (None if text == "" else text)

    assert values[2:] == [[cell(v) for v in row] for row in EXPECTED_2025]
    assert values[3][2] == 13  # numbers stored as numbers
    assert values[3][12] == "84.62%"
