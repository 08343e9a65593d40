"""The receiving desks' own work in March 2025, hand-computed (events through the real serde).

MC-CHOMOI (a district desk) receives for two provincial departments, TTHCC (the centre) for one;
deadlines are the SLA's transfer defaults (a desk forwards within 1 working day) on the default
calendar (07:00-11:30, 13:30-17:00; no holiday in March 2025).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.dossier import Desk, DeskDirectory, DossierEvent, PostalContact
from hub.kpi import Position, apply, desk_report
from hub.records import KpiDossier
from hub.serde import RegistryClient, serde_for
from hub.sla import SlaSettings, TransferSettings, WorkingCalendar
from hub.topics import DOSSIER_EVENTS
from tests.sla._support import CATALOG, event, vn

CALENDAR = WorkingCalendar()
CHO_MOI = Desk("MC-CHOMOI", "DISTRICT", PostalContact("Bộ phận Một cửa huyện Chợ Mới", "QL 942",
               "An Giang", "02963883333"))  # fmt: skip
DESKS = DeskDirectory({"MC-CHOMOI": CHO_MOI})


def filed(dossier_id: str, at: datetime, desk: str | None, agency: str) -> dict[str, Any]:
    return event(dossier_id, "DOSSIER_SUBMITTED", at, agency_code=agency, receiving_desk=desk)


def forwarded(dossier_id: str, at: datetime, desk: str, agency: str) -> dict[str, Any]:
    return event(dossier_id, "DOSSIER_FORWARDED", at, desk_code=desk, agency_code=agency,
                 method="ELECTRONIC")  # fmt: skip


def handled(dossier_id: str, agency: str, *at: datetime) -> list[dict[str, Any]]:
    """Filed at MC-CHOMOI, accepted with an appointment, forwarded, received by the agency,
    its result sent back, received by the desk and returned: at these instants, in order."""
    filed_at, accepted_at, appointment, sent, received, ready, back, returned = at
    return [
        filed(dossier_id, filed_at, "MC-CHOMOI", agency),
        event(dossier_id, "DOSSIER_ACCEPTED", accepted_at, appointment_at=appointment),
        forwarded(dossier_id, sent, "MC-CHOMOI", agency),
        event(dossier_id, "DOSSIER_RECEIVED_BY_AGENCY", received, agency_code=agency),
        event(dossier_id, "PROCESSING_STEP_RECORDED", ready),
        event(dossier_id, "RESULT_READY", ready),
        event(dossier_id, "RESULT_FORWARDED", ready, agency_code=agency, desk_code="MC-CHOMOI",
              method="POSTAL"),
        event(dossier_id, "RESULT_RECEIVED_BY_DESK", back, desk_code="MC-CHOMOI"),
        event(dossier_id, "RESULT_RETURNED", returned, return_channel="DESK",
              waybill_number=None),
    ]  # fmt: skip


MARCH = [
    # K1: filed Mon 3 09:00, forwarded Tue 4 10:00 (due Tue 4 09:00: an hour late), result
    # received Wed 12, returned Thu 13 10:00 before its appointment (Fri 14 17:00): on time
    *handled("HS-K1", "SXD", vn(2025, 3, 3, 9), vn(2025, 3, 3, 9, 30), vn(2025, 3, 14, 17),
             vn(2025, 3, 4, 10), vn(2025, 3, 5, 8), vn(2025, 3, 10, 8), vn(2025, 3, 12, 9),
             vn(2025, 3, 13, 10)),
    # K2: filed Wed 5 10:00, forwarded 14:00 on time; returned Tue 11 09:00 after its
    # appointment (Mon 10 17:00): late
    *handled("HS-K2", "STP", vn(2025, 3, 5, 10), vn(2025, 3, 5, 10, 30), vn(2025, 3, 10, 17),
             vn(2025, 3, 5, 14), vn(2025, 3, 6, 8), vn(2025, 3, 10, 9), vn(2025, 3, 10, 15),
             vn(2025, 3, 11, 9)),
    # K3: filed at the centre in February (not March's intake), forwarded Mon 3 March 08:00,
    # before its deadline (Fri 28 Feb 10:00 + 1 working day = Mon 3 10:00)
    filed("HS-K3", vn(2025, 2, 28, 10), "TTHCC", "STP"),
    forwarded("HS-K3", vn(2025, 3, 3, 8), "TTHCC", "STP"),
    # K4: the agency's own desk: no desk row
    filed("HS-K4", vn(2025, 3, 3, 9), None, "STP"),
    # K5: refused at the desk: received, never forwarded
    filed("HS-K5", vn(2025, 3, 3, 9), "MC-CHOMOI", "SXD"),
    event("HS-K5", "DOSSIER_REFUSED", vn(2025, 3, 3, 10)),
]  # fmt: skip


def decoded(registry: RegistryClient, topic_prefix: str) -> list[DossierEvent]:
    serde = serde_for(DOSSIER_EVENTS, topic_prefix, registry)
    return [DossierEvent.from_record(serde.decode(serde.encode(r))) for r in MARCH]


def test_each_desk_reports_its_own_work(registry: RegistryClient, topic_prefix: str) -> None:
    rows = desk_report(decoded(registry, topic_prefix), CALENDAR, TransferSettings().deadlines(),
                       DESKS, vn(2025, 3, 1, 0), vn(2025, 4, 1, 0))  # fmt: skip
    got = [(r.desk_code, r.desk_name, r.kind, r.received, r.forwarded, r.forwarded_on_time,
            r.results_received, r.returned, r.returned_on_time) for r in rows]  # fmt: skip
    assert got == [
        ("MC-CHOMOI", "Bộ phận Một cửa huyện Chợ Mới", "DISTRICT", 3, 2, 1, 2, 2, 1),
        ("TTHCC", "TTHCC", "", 0, 1, 1, 0, 0, 0),
    ]


def test_the_kpi_fold_counts_a_transferred_dossier_for_its_new_agency(
    registry: RegistryClient, topic_prefix: str
) -> None:
    serde = serde_for(DOSSIER_EVENTS, topic_prefix, registry)
    records = [
        filed("HS-K6", vn(2025, 3, 3, 9), "MC-CHOMOI", "SXD"),
        event("HS-K6", "AGENCY_TRANSFERRED", vn(2025, 3, 4, 9), from_agency_code="SXD",
              to_agency_code="STP", reason="Thuộc thẩm quyền Sở Tư pháp", method="POSTAL"),
    ]  # fmt: skip
    policy = SlaSettings().policy()
    record: KpiDossier | None = None
    for n, r in enumerate(records):
        e = DossierEvent.from_record(serde.decode(serde.encode(r)))
        record, _ = apply(record, e, CATALOG["P3"], Position(0, n), policy)
    assert record is not None
    assert record["agency_code"] == "STP"
