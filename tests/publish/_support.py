"""A small province for the publish tests, built by hand: the catalogue's history, KPI
snapshots of 2025 and March 2025, deadline records with late dossiers, and a reader of the HTML
pages that finds a table cell by its row's agency and its column (``data-agency``, ``data-col``)
and reads the Vietnamese number back.

Scores of March 2025 by hand (``hub.publish._ranking``: the mean of the measured rates):

* UBND-TS: on time 4/4, online filing 1/2, intake 3/3, result 2/4, payment 0/0 (left out):
  (1 + 0.5 + 1 + 0.5) / 4 = 75.00%, rank 1.
* STP: on time 9/10, online filing 8/10, intake 10/10, result 5/10, payment 1/4:
  (0.9 + 0.8 + 1 + 0.5 + 0.25) / 5 = 69.00%, rank 2.
* UBND-LX: nothing to measure: not ranked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from hub.kpi import Kpis, add_version, new_snapshot
from hub.records import AgencyType, KpiSnapshot, ProcedureHistory
from hub.sla import SlaSettings
from tests.kpi._support import procedure
from tests.sla._late_support import deadline, finished, vn

MONTH = "2025-03"
AS_OF = vn(4, 15, 9)
STP, TS, SXD, LX = "Sở Tư pháp", "UBND huyện Tịnh Sơn", "Sở Xây dựng", "UBND huyện Lạc Xuân"
CALENDAR = SlaSettings().calendar()
#: Never published: an official's id (this prefix), an apology's text naming an applicant.
OFFICIAL_ID = "cb-secret-"
APOLOGY_REASON = "Bà Trần Thị Bích (0912345678) nộp thiếu giấy tờ"

VERSIONS = [
    procedure("STP-F", "STP", STP, "FULL_ONLINE"),
    procedure("STP-P", "STP", STP, "PARTIAL_ONLINE"),
    procedure("TS-P", "UBND-TS", TS, "PARTIAL_ONLINE"),
    procedure("TS-D", "UBND-TS", TS, "DIRECT_ONLY"),
    procedure("SXD-F", "SXD", SXD, "FULL_ONLINE"),
    procedure("LX-D", "UBND-LX", LX, "DIRECT_ONLY"),
]


def _snapshot(agency: str, period: str, **counts: int) -> KpiSnapshot:
    kind: AgencyType = "PROVINCIAL_DEPARTMENT" if agency.startswith("S") else "DISTRICT"
    snapshot = new_snapshot(agency, kind, period, datetime(2025, 4, 1, tzinfo=UTC))
    snapshot.update(counts)  # type: ignore[typeddict-item]
    return snapshot


SNAPSHOTS = [
    # 1,049 of 1,234 full online: 85.008..% -> 85,01%, a department's 85% reached.
    _snapshot("STP", "2025", received_full_online=1049, received_full_direct=185),
    # No full-online procedure: the report's 0.00% is "Không có TTHC toàn trình" on the page.
    _snapshot("UBND-TS", "2025", received_partial_online=2, received_direct_only=1),
    _snapshot(
        "STP",
        MONTH,
        received_full_online=8,
        received_full_direct=2,
        resolved=10,
        resolved_on_time=9,
        intake_digitised=10,
        results_digitised=5,
        with_fee=4,
        paid_online=1,
    ),
    _snapshot(
        "UBND-TS",
        MONTH,
        received_partial_online=1,
        received_partial_direct=1,
        received_direct_only=1,
        resolved=4,
        resolved_on_time=4,
        intake_digitised=3,
        results_digitised=2,
    ),
    _snapshot("UBND-LX", MONTH),
]


def kpis() -> Kpis:
    histories: dict[str, ProcedureHistory] = {}
    for version in VERSIONS:
        code = str(version["procedure_code"])
        history = add_version(histories.get(code), version)  # type: ignore[arg-type]
        assert history is not None
        histories[code] = history
    return Kpis({f"{s['agency_code']}|{s['period']}": s for s in SNAPSHOTS}, histories)


def _handler(name: str, department: str, agency: str) -> dict[str, str]:
    return {"official_id": f"{OFFICIAL_ID}{name}", "official_name": name, "title": "Chuyên viên",
            "department": department, "agency_code": agency}  # fmt: skip


def deadlines() -> list[dict[str, Any]]:
    """Three late dossiers of STP in March (two officials), one on time, one of UBND-TS."""
    hctp = "Phòng Hành chính tư pháp"
    an, binh = _handler("Nguyễn Văn An", hctp, "STP"), _handler("Lê Thị Bình", hctp, "STP")
    return [
        deadline("STP-250303-0001", handler=an),  # due 20 March, still open: overdue
        deadline(
            "STP-250303-0002",
            handler=an,
            apology_issued_at=vn(3, 18),
            apology_reason=APOLOGY_REASON,
            appointment_at=vn(3, 28),
            original_appointment_at=vn(3, 20),
        ),
        finished("STP-250303-0003", vn(3, 25), handler=binh),  # returned late
        finished("STP-250303-0004", vn(3, 10), handler=binh),  # on time: not listed
        deadline(
            "TS-250303-0001",
            agency_code="UBND-TS",
            agency_name=TS,
            department=None,
            handler=_handler("Phạm Văn Cường", "Bộ phận một cửa", "UBND-TS"),
        ),
    ]


# -- reading the pages back -------------------------------------------------------------------


class Cells(HTMLParser):
    """Text of every ``<td data-col>`` by (table id, row's data-agency, column); links."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self.links: list[str] = []
        self._table = self._agency = ""
        self._column: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("id") or ""
        elif tag == "tr":
            self._agency = found.get("data-agency") or found.get("data-dossier") or ""
        elif tag == "td" and found.get("data-col"):
            self._column, self._text = found["data-col"], []
        elif tag == "br":
            self._text.append(" ")
        elif tag in ("a", "link") and found.get("href"):
            self.links.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._column is not None:
            key = (self._table, self._agency, self._column)
            self.cells[key] = " ".join("".join(self._text).split())
            self._column = None

    def handle_data(self, data: str) -> None:
        if self._column is not None:
            self._text.append(data)


def cells(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    return parser


def vn_number(text: str) -> Decimal:
    """A number as the pages print it, read back without the publisher's formatter:
    ``1.234`` -> 1234, ``85,01%`` -> 85.01 (anything after the number, like ``8/10``, dropped)."""
    head = text.split()[0].rstrip("%")
    return Decimal(head.replace(".", "").replace(",", "."))
