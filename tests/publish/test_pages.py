"""The pages from the reports, pure (no broker): numbers read back from the HTML equal the
reports', the praise/criticism rule on hand-computed scores, what is never published, the
ratio column of an agency with no full-online procedure, and escaping."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from hub.kpi import (
    DEFAULT_TARGETS,
    IndicatorsRow,
    Kpis,
    Rate,
    Targets,
    full_online_table,
    indicators_766,
)
from hub.publish import (
    NO_FULL_ONLINE,
    PageFile,
    build_pages,
    rank,
    recent_months,
    render_site,
    vn_decimal,
    vn_int,
    vn_percent,
)
from hub.records import KpiSnapshot
from hub.sla import Period, late_counts, late_dossiers
from tests.publish._support import (
    APOLOGY_REASON,
    AS_OF,
    CALENDAR,
    MONTH,
    OFFICIAL_ID,
    cells,
    deadlines,
    kpis,
    vn_number,
)

TARGETS = Targets.parse(DEFAULT_TARGETS)


def site(records: list[dict[str, object]] | None = None, praise: int = 1) -> dict[str, bytes]:
    pages = build_pages(deadlines() if records is None else records, kpis(), [MONTH],
                        as_of=AS_OF, calendar=CALENDAR, targets=TARGETS,
                        praise_count=praise)  # fmt: skip
    files = render_site(pages, province="UBND tỉnh Thử Nghiệm", as_of=AS_OF, praise_count=praise)
    return {f.name: f.body for f in files}


def test_vietnamese_numbers() -> None:
    assert vn_int(1234567) == "1.234.567"
    assert vn_int(12) == "12"
    assert vn_percent(Decimal("85.01")) == "85,01%"
    assert vn_decimal(Decimal("1234.5")) == "1.234,50"
    assert vn_percent(None) == "-"


def test_recent_months_cross_a_year() -> None:
    assert recent_months(AS_OF, 1) == ["2025-04"]
    assert recent_months(Period.month("2025-02").start, 3) == ["2024-12", "2025-01", "2025-02"]
    with pytest.raises(ValueError, match="at least one month"):
        recent_months(AS_OF, 0)


def test_every_page_in_three_formats_and_the_index_links_them() -> None:
    files = site()
    stems = ("late-2025-03", "766-2025-03", "full-online-2025")
    assert {f"{s}.{ext}" for s in stems for ext in ("html", "json", "csv")} <= files.keys()
    index = cells(files["index.html"].decode())
    assert set(index.links) == {"style.css", "index.html"} | {
        f"{s}.{ext}" for s in stems for ext in ("html", "json", "csv")
    }
    for name, body in files.items():
        if name.endswith(".html"):
            assert set(cells(body.decode()).links) <= files.keys(), name  # no broken link
    listing = json.loads(files["index.json"])
    assert [p["html"] for p in listing["pages"]] == [f"{s}.html" for s in stems]


def test_the_late_page_shows_the_reports_counts() -> None:
    entries = late_dossiers(deadlines(), Period.month(MONTH), as_of=AS_OF, calendar=CALENDAR)
    counts = late_counts(entries)
    page = cells(site()["late-2025-03.html"].decode())
    agencies = [c for c in counts if c.level == "agency"]
    assert {a.agency_code for a in agencies} == {"STP", "UBND-TS"}
    for count in agencies:
        for column in ("overdue", "late_returned", "total", "without_apology"):
            shown = vn_number(page.cells[("agencies", count.agency_code, column)])
            assert shown == getattr(count, column), (count.agency_code, column)
    assert vn_number(page.cells[("agencies", "", "total")]) == sum(a.total for a in agencies) == 4
    officials = [c for c in counts if c.level == "official"]
    assert len(officials) == 3  # two of STP, one of UBND-TS
    for entry in entries:
        days = page.cells[("dossiers", entry.dossier_id, "working_days_late")]
        assert vn_number(days) == Decimal(str(entry.working_days_late))
    assert "STP-250303-0004" not in site()["late-2025-03.html"].decode()  # on time


def test_no_personal_data_beyond_an_officials_name_and_unit() -> None:
    for name, body in site().items():
        text = body.decode("utf-8-sig")
        assert OFFICIAL_ID not in text, name
        assert "0912345678" not in text, name
        assert "Trần Thị Bích" not in text, name
        assert APOLOGY_REASON not in text, name
    late = site()["late-2025-03.html"].decode()
    assert "Nguyễn Văn An" in late
    assert "Phòng Hành chính tư pháp" in late


def test_the_full_online_page_shows_the_table_and_says_no_full_online_service() -> None:
    table = full_online_table(kpis(), 2025, TARGETS)
    files = site()
    page = cells(files["full-online-2025.html"].decode())
    by_agency = {r.agency_code: r for r in table.rows}
    for row in (*table.rows, table.total):
        for column in ("hstn_total", "tthc_total", "full_hstn_online", "full_tthc"):
            shown = page.cells[("full-online", row.agency_code, column)]
            assert vn_number(shown) == getattr(row, column)
    stp = page.cells[("full-online", "STP", "ratio")]
    assert stp == "85,01%"
    assert vn_number(stp) == by_agency["STP"].ratio
    assert page.cells[("full-online", "STP", "verdict")] == "Đạt"
    # UBND-TS offers no full-online procedure: the report's 0.00% is not printed.
    assert by_agency["UBND-TS"].ratio == Decimal("0.00")
    assert page.cells[("full-online", "UBND-TS", "ratio")] == NO_FULL_ONLINE
    assert page.cells[("full-online", "UBND-TS", "verdict")] == "Không đánh giá"
    assert vn_number(page.cells[("full-online", "", "hstn_total")]) == Decimal(1237)
    rows = list(csv.DictReader(io.StringIO(files["full-online-2025.csv"].decode("utf-8-sig"))))
    assert {r["agency_code"]: r["ratio"] for r in rows}["UBND-TS"] == NO_FULL_ONLINE
    assert {r["agency_code"]: r["ratio"] for r in rows}["STP"] == "85.01"
    document = json.loads(files["full-online-2025.json"])
    assert {r["agency_code"]: r["ratio"] for r in document["rows"]}["UBND-TS"] == NO_FULL_ONLINE


def test_the_766_page_ranks_by_the_hand_computed_scores() -> None:
    files = site()
    page = cells(files["766-2025-03.html"].decode())
    assert page.cells[("indicators", "UBND-TS", "score")] == "75,00%"
    assert page.cells[("indicators", "STP", "score")] == "69,00%"
    assert page.cells[("indicators", "UBND-TS", "rank")] == "1"
    assert page.cells[("indicators", "STP", "rank")] == "2"
    assert page.cells[("indicators", "UBND-LX", "rank")] == "-"  # nothing measured
    for row in indicators_766(kpis(), MONTH):
        for column in ("on_time", "online_filing", "online_payment"):
            rate: Rate = getattr(row, column)
            shown = page.cells[("indicators", row.agency_code, column)]
            assert shown.endswith(f"{rate.numerator}/{rate.denominator}")
            if rate.percent is not None:
                assert vn_number(shown) == rate.percent
    document = json.loads(files["766-2025-03.json"])
    assert (document["praised"], document["criticised"]) == (["UBND-TS"], ["STP"])
    html = files["766-2025-03.html"].decode()
    assert "Mức độ hài lòng" in html
    assert "Chưa đo lường" in html


def test_the_766_page_scores_the_satisfaction_group_where_ratings_exist() -> None:
    base = kpis()
    key = f"STP|{MONTH}"  # a copy: the support's snapshots are shared by every test
    stp: KpiSnapshot = {**base.snapshots[key], "satisfaction": {
        "rated": 4, "satisfied": 3, "attitude": 18, "time": 17, "publicity": 16, "fees": 16,
        "overall": 17}}  # fmt: skip
    rated = Kpis({**base.snapshots, key: stp}, base.histories)
    pages = build_pages(deadlines(), rated, [MONTH], as_of=AS_OF, calendar=CALENDAR,
                        targets=TARGETS, praise_count=1)  # fmt: skip
    files = {f.name: f.body for f in render_site(pages, province="UBND tỉnh Thử Nghiệm",
                                                  as_of=AS_OF, praise_count=1)}  # fmt: skip
    page = cells(files["766-2025-03.html"].decode())
    # STP: on time 90%, online filing 80%, intake 100%, results 50%, payment 25%, and now
    # satisfied 3/4 = 75%: (90 + 80 + 100 + 50 + 25 + 75) / 6 = 70.00% (69.00% without ratings)
    assert page.cells[("indicators", "STP", "satisfied")].split() == ["75,00%", "3/4"]
    assert page.cells[("indicators", "STP", "score")] == "70,00%"
    assert page.cells[("indicators", "UBND-TS", "satisfied")] == "Chưa đo lường"
    assert page.cells[("indicators", "UBND-TS", "score")] == "75,00%"  # unchanged: 0/0 left out
    rows = csv.DictReader(io.StringIO(files["766-2025-03.csv"].decode("utf-8-sig")))
    by_agency = {r["agency_code"]: r for r in rows}
    assert (by_agency["STP"]["satisfied_numerator"], by_agency["STP"]["satisfied_denominator"]) == (
        "3", "4",
    )  # fmt: skip
    html = files["766-2025-03.html"].decode()
    assert "nhóm chỉ số “Mức độ hài lòng”" not in html  # no longer listed as not measured
    assert "nhóm chỉ số “Công khai, minh bạch”" in html


def _row(code: str, on_time: tuple[int, int], payment: tuple[int, int] = (0, 0)) -> IndicatorsRow:
    none = Rate(0, 0)
    return IndicatorsRow(code, 1, Rate(*on_time), none, none, none, none, none, Rate(*payment))


def test_the_praise_rule_ties_halves_and_the_unmeasured() -> None:
    rows = [_row("A", (9, 10)), _row("B", (1, 2), (1, 1)), _row("C", (3, 4)), _row("D", (3, 4)),
            _row("E", (1, 4)), _row("Z", (0, 0))]  # fmt: skip
    ranking = rank(rows, {}, 2)
    # A 90%, B (50% + 100%) / 2 = 75%, C 75%, D 75%, E 25%; Z measured nothing.
    assert [(a.agency_code, a.rank) for a in ranking.agencies] == [
        ("A", 1), ("B", 2), ("C", 2), ("D", 2), ("E", 5), ("Z", None)]  # fmt: skip
    assert [a.agency_code for a in ranking.praised] == ["A", "B"]
    assert [a.agency_code for a in ranking.criticised] == ["E", "D"]  # the worst first
    # Three ranked, two each asked: the better half (2) praised, the remaining one criticised.
    few = rank(rows[:3], {}, 2)
    assert [a.agency_code for a in few.praised] == ["A", "B"]
    assert [a.agency_code for a in few.criticised] == ["C"]
    alone = rank(rows[:1], {}, 3)
    assert ([a.agency_code for a in alone.praised], alone.criticised) == (["A"], ())
    with pytest.raises(ValueError, match="0 or more"):
        rank(rows, {}, -1)


def test_names_from_events_are_escaped() -> None:
    records = deadlines()
    records[0]["agency_name"] = "<script>alert(1)</script>"
    records[0]["handler"]["official_name"] = '"><img src=x onerror=alert(1)>'
    files = site(records)
    html = files["late-2025-03.html"].decode()
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_an_empty_month_says_so() -> None:
    html = site([])["late-2025-03.html"].decode()
    assert "Không có cơ quan nào có hồ sơ trễ hạn trong tháng." in html


def test_files_are_utf8_and_csv_opens_in_excel() -> None:
    files: dict[str, bytes] = site()
    assert files["late-2025-03.csv"].startswith("\ufeff".encode())
    assert all(isinstance(PageFile(n, b).body, bytes) for n, b in files.items())
    json.loads(files["late-2025-03.json"])  # valid JSON


def test_a_period_not_over_is_marked_provisional() -> None:
    files = site()  # as at 15 April 2025: March is over, 2025 is not
    assert json.loads(files["late-2025-03.json"])["provisional"] is False
    assert json.loads(files["766-2025-03.json"])["provisional"] is False
    assert json.loads(files["full-online-2025.json"])["provisional"] is True
    assert "Số liệu tạm tính" not in files["late-2025-03.html"].decode()
    assert "Số liệu tạm tính" in files["full-online-2025.html"].decode()
