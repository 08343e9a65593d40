"""Deadlines of the transfer steps (acceptance anywhere in the province), hand-computed.

Calendar: the default one (07:00-11:30, 13:30-17:00: 8 working hours a day), March 2025 has no
public holiday. Deadlines (defaults): a desk passes a dossier on within 1 working day, an
electronic hand-over takes 1, VNPost 2. Each event goes through the real Avro serde (registry).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from hub.dossier import DossierEvent
from hub.processing import Message
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.sla import (
    TransferDeadlines,
    Transfers,
    TransferSettings,
    WorkingCalendar,
    follow,
    late_transfers,
    transfer_counts,
)
from hub.topics import DOSSIER_EVENTS
from tests.sla._support import event, vn

CALENDAR = WorkingCalendar()
DEADLINES = TransferSettings().deadlines()
MARCH, APRIL = vn(2025, 3, 1, 0), vn(2025, 4, 1, 0)


@pytest.fixture
def serde(registry: RegistryClient, topic_prefix: str) -> AvroSerde:
    return serde_for(DOSSIER_EVENTS, topic_prefix, registry)


def through(serde: AvroSerde, *records: dict[str, Any]) -> list[DossierEvent]:
    """The events as a processor decodes them from the topic."""
    out = []
    for r in records:
        message = Message(serde.encode(r), r["dossier_id"].encode(), "t", 0, 0)
        out.append(DossierEvent.from_record(serde.decode(message.value)))
    return out


def at_desk(dossier_id: str, at: datetime, desk: str, agency: str) -> dict[str, Any]:
    return event(dossier_id, "DOSSIER_SUBMITTED", at, agency_code=agency, receiving_desk=desk)


def district_desk_for_a_department() -> list[dict[str, Any]]:
    """HS-T1, filed Monday 3 March 09:00 at the Chợ Mới desk for the Sở Xây dựng."""
    return [
        at_desk("HS-T1", vn(2025, 3, 3, 9), "MC-CHOMOI", "SXD"),
        # FORWARD due Tue 4 09:00: done Mon 16:00, on time
        event("HS-T1", "DOSSIER_FORWARDED", vn(2025, 3, 3, 16), desk_code="MC-CHOMOI",
              agency_code="SXD", method="POSTAL"),
        # TO_AGENCY by post, due 2 working days later, Wed 5 16:00: received Thu 6 16:00,
        # late by exactly one working day
        event("HS-T1", "DOSSIER_RECEIVED_BY_AGENCY", vn(2025, 3, 6, 16), agency_code="SXD"),
        event("HS-T1", "DOSSIER_ACCEPTED", vn(2025, 3, 6, 16, 30)),
        event("HS-T1", "PROCESSING_STEP_RECORDED", vn(2025, 3, 7, 8)),
        # RESULT_SEND due Tue 11 08:00: forwarded Mon 10 14:00 on time
        event("HS-T1", "RESULT_READY", vn(2025, 3, 10, 8)),
        # TO_DESK electronic, due Tue 11 14:00: received Tue 11 10:00 on time
        event("HS-T1", "RESULT_FORWARDED", vn(2025, 3, 10, 14), agency_code="SXD",
              desk_code="MC-CHOMOI", method="ELECTRONIC"),
        event("HS-T1", "RESULT_RECEIVED_BY_DESK", vn(2025, 3, 11, 10), desk_code="MC-CHOMOI"),
    ]  # fmt: skip


def test_each_step_of_a_district_desk_dossier_has_its_own_deadline(serde: AvroSerde) -> None:
    got = follow(through(serde, *district_desk_for_a_department()), CALENDAR, DEADLINES)
    steps = got["HS-T1"].steps
    assert [(s.kind, s.method, s.due_at, s.done_at) for s in steps] == [
        ("FORWARD", "UNKNOWN", vn(2025, 3, 4, 9), vn(2025, 3, 3, 16)),
        ("TO_AGENCY", "POSTAL", vn(2025, 3, 5, 16), vn(2025, 3, 6, 16)),
        ("RESULT_SEND", "UNKNOWN", vn(2025, 3, 11, 8), vn(2025, 3, 10, 14)),
        ("TO_DESK", "ELECTRONIC", vn(2025, 3, 11, 14), vn(2025, 3, 11, 10)),
    ]
    assert [s.late_days(CALENDAR, APRIL) for s in steps] == [0.0, 1.0, 0.0, 0.0]
    assert {(s.agency_code, s.desk_code) for s in steps} == {("SXD", "MC-CHOMOI")}


def test_an_agency_transfer_re_targets_the_step_to_the_new_agency(serde: AvroSerde) -> None:
    records = [
        at_desk("HS-T2", vn(2025, 3, 3, 9), "TTHCC", "SXD"),
        event("HS-T2", "DOSSIER_FORWARDED", vn(2025, 3, 3, 10), desk_code="TTHCC",
              agency_code="SXD", method="ELECTRONIC"),
        event("HS-T2", "DOSSIER_RECEIVED_BY_AGENCY", vn(2025, 3, 4, 8), agency_code="SXD"),
        # by post Thu 6 09:00 -> due Mon 10 09:00 (Fri and Mon are the 2 working days)
        event("HS-T2", "AGENCY_TRANSFERRED", vn(2025, 3, 6, 9), from_agency_code="SXD",
              to_agency_code="STP", reason="Thuộc thẩm quyền Sở Tư pháp", method="POSTAL"),
        event("HS-T2", "DOSSIER_RECEIVED_BY_AGENCY", vn(2025, 3, 7, 15), agency_code="STP"),
    ]  # fmt: skip
    transfers = follow(through(serde, *records), CALENDAR, DEADLINES)["HS-T2"]
    last = transfers.steps[-1]
    assert (last.kind, last.agency_code, last.desk_code) == ("TRANSFER", "STP", "TTHCC")
    assert (last.due_at, last.done_at) == (vn(2025, 3, 10, 9), vn(2025, 3, 7, 15))
    assert transfers.placement.competent_agency == "STP"
    assert transfers.open_step() is None


def test_the_late_list_names_the_competent_agency_and_the_receiving_desk(
    serde: AvroSerde,
) -> None:
    never_received = [
        at_desk("HS-T3", vn(2025, 3, 4, 15, 30), "TTHCC", "STP"),
        event("HS-T3", "DOSSIER_FORWARDED", vn(2025, 3, 4, 16, 30), desk_code="TTHCC",
              agency_code="STP", method="ELECTRONIC"),
    ]  # fmt: skip
    own_desk = [event("HS-T4", "DOSSIER_SUBMITTED", vn(2025, 3, 3, 9), agency_code="STP")]
    records = [*district_desk_for_a_department(), *never_received, *own_desk]
    followed = follow(through(serde, *records), CALENDAR, DEADLINES)
    assert followed["HS-T4"].steps == ()  # filed at the agency's own desk: nothing travels
    late = late_transfers(followed.values(), CALENDAR, MARCH, APRIL)
    # HS-T3's hand-over was due Wed 5 16:30; open at 1 April 00:00: half an hour of Wed 5, then
    # 6-7, 10-14, 17-21, 24-28 and 31 March = 18 working days: 18 + 0.5 / 8 = 18.06
    assert [(e.dossier_id, e.step.kind, e.step.agency_code, e.step.desk_code, e.late_days,
             e.open) for e in late] == [
        ("HS-T3", "TO_AGENCY", "STP", "TTHCC", 18.06, True),
        ("HS-T1", "TO_AGENCY", "SXD", "MC-CHOMOI", 1.0, False),
    ]  # fmt: skip
    counts = [(c.by, c.code, c.late, c.still_open) for c in transfer_counts(late)]
    assert counts == [("AGENCY", "STP", 1, 1), ("AGENCY", "SXD", 1, 0),
                      ("DESK", "MC-CHOMOI", 1, 0), ("DESK", "TTHCC", 1, 1)]  # fmt: skip
    # February's list has none of them: HS-T1 was late in March, HS-T3 started in March
    assert late_transfers(followed.values(), CALENDAR, vn(2025, 2, 1, 0), MARCH) == []


def test_a_dossier_refused_at_the_desk_awaits_no_forward(serde: AvroSerde) -> None:
    records = [
        at_desk("HS-T5", vn(2025, 3, 3, 9), "MC-CHOMOI", "SXD"),
        event("HS-T5", "DOSSIER_REFUSED", vn(2025, 3, 3, 10)),
    ]
    transfers = follow(through(serde, *records), CALENDAR, DEADLINES)["HS-T5"]
    assert [(s.kind, s.done_at) for s in transfers.steps] == [("FORWARD", vn(2025, 3, 3, 10))]
    assert late_transfers([transfers], CALENDAR, MARCH, APRIL) == []


def test_the_step_durations_are_configured() -> None:
    custom = TransferDeadlines(forward=2, carry=1, postal=3)
    assert (custom.days("FORWARD", "POSTAL"), custom.days("TO_DESK", "POSTAL"),
            custom.days("TRANSFER", "ELECTRONIC")) == (2, 3, 1)  # fmt: skip
    assert Transfers("HS-T6").open_step() is None
