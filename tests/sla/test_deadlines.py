"""The SLA fold and its timers on the in-memory runner, with time moved by the test.

Real Avro serdes (real registry); the runner is the one replay uses, so the rules checked here
are the rules the faust workers run (tests/sla/test_workers.py runs them live).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.serde import RegistryClient
from tests.sla._support import Rig, accepted, event, kinds, vn


@pytest.fixture
def rig(registry: RegistryClient, topic_prefix: str) -> Rig:
    return Rig(registry, topic_prefix)


def test_appointment_counts_working_time_from_acceptance(rig: Rig) -> None:
    rig.feed(*accepted("HS-1", vn(2025, 3, 3, 9)))  # Monday 09:00, 3 working days
    record = rig.record("HS-1")
    assert record["clock"] == "RUNNING"
    assert record["appointment_at"] == vn(2025, 3, 6, 9)
    assert record["original_appointment_at"] == vn(2025, 3, 6, 9)
    assert record["due_soon_at"] == vn(2025, 3, 5, 9)  # one working day before
    assert record["apology_due_at"] == vn(2025, 3, 5, 9)
    assert rig.due("HS-1") == vn(2025, 3, 5, 9)


def test_acceptance_after_closing_counts_from_next_morning(rig: Rig) -> None:
    rig.feed(*accepted("HS-2", vn(2025, 3, 3, 18, 30), procedure="P1"))  # Monday evening
    record = rig.record("HS-2")
    assert record["clock_started_at"] == vn(2025, 3, 4, 7)
    assert record["appointment_at"] == vn(2025, 3, 4, 17)  # a whole working day: Tuesday


def test_friday_afternoon_acceptance_lands_after_the_weekend(rig: Rig) -> None:
    rig.feed(*accepted("HS-3", vn(2025, 3, 7, 16), procedure="P1"))  # Friday 16:00
    assert rig.record("HS-3")["appointment_at"] == vn(2025, 3, 10, 16)  # Monday 16:00


def test_tet_holiday_week_does_not_count(rig: Rig) -> None:
    # Friday 24 Jan 2025 15:00, 3 working days; Tết: 25 Jan - 2 Feb are days off.
    # Fri 2 h, Mon 3 Feb 8 h, Tue 4 Feb 8 h, Wed 5 Feb 6 h (07:00-11:30, 13:30-15:00).
    rig.feed(*accepted("HS-TET", vn(2025, 1, 24, 15)))
    assert rig.record("HS-TET")["appointment_at"] == vn(2025, 2, 5, 15)


def test_supplement_pause_resumes_the_time_left(rig: Rig) -> None:
    rig.feed(*accepted("HS-P", vn(2025, 3, 3, 9)))  # appointment Thu 6 Mar 09:00
    rig.feed(event("HS-P", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
             event("HS-P", "SUPPLEMENT_REQUESTED", vn(2025, 3, 4, 9)))  # fmt: skip
    paused = rig.record("HS-P")
    assert (paused["clock"], paused["pause_reason"]) == ("PAUSED", "SUPPLEMENT")
    assert paused["working_ms_left"] == 2 * 8 * 3600 * 1000  # Tue 09:00 -> Thu 09:00
    assert rig.due("HS-P") is None  # a paused clock raises nothing
    rig.feed(event("HS-P", "SUPPLEMENT_RECEIVED", vn(2025, 3, 10, 9)))  # next Monday
    resumed = rig.record("HS-P")
    assert resumed["clock"] == "RUNNING"
    assert resumed["appointment_at"] == vn(2025, 3, 12, 9)  # two working days later


def test_supplement_restart_gives_the_full_deadline_again(
    registry: RegistryClient, topic_prefix: str
) -> None:
    rig = Rig(registry, topic_prefix)
    rig.feed(*accepted("HS-R", vn(2025, 3, 3, 9), procedure="P3R"))
    rig.feed(event("HS-R", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
             event("HS-R", "SUPPLEMENT_REQUESTED", vn(2025, 3, 5, 9)),
             event("HS-R", "SUPPLEMENT_RECEIVED", vn(2025, 3, 10, 9)))  # fmt: skip
    record = rig.record("HS-R")
    assert record["supplement_policy"] == "RESTART"
    assert record["appointment_at"] == vn(2025, 3, 13, 9)  # Monday + 3 working days
    # The province's default applies where the procedure states none
    province = Rig(registry, topic_prefix, supplement_policy="RESTART")
    province.feed(*accepted("HS-R2", vn(2025, 3, 3, 9)))
    assert province.record("HS-R2")["supplement_policy"] == "RESTART"


def test_fee_wait_stops_the_clock(rig: Rig) -> None:
    rig.feed(*accepted("HS-F", vn(2025, 3, 3, 9)))
    rig.feed(event("HS-F", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
             event("HS-F", "FEE_REQUESTED", vn(2025, 3, 4, 9)))  # fmt: skip
    assert rig.record("HS-F")["pause_reason"] == "FEE"
    rig.feed(event("HS-F", "FEE_PAID", vn(2025, 3, 7, 9)))  # Friday
    record = rig.record("HS-F")
    assert (record["clock"], record["status"]) == ("RUNNING", "PROCESSING")
    assert record["appointment_at"] == vn(2025, 3, 11, 9)  # 2 days left: Tuesday


def test_fee_before_acceptance_starts_the_clock_when_paid(rig: Rig) -> None:
    rig.feed(event("HS-FA", "DOSSIER_SUBMITTED", vn(2025, 3, 3, 8)),
             event("HS-FA", "FEE_REQUESTED", vn(2025, 3, 3, 8, 5)))  # fmt: skip
    assert rig.record("HS-FA")["clock"] == "NOT_STARTED"
    rig.feed(event("HS-FA", "FEE_PAID", vn(2025, 3, 5, 14)))
    record = rig.record("HS-FA")
    assert (record["status"], record["clock"]) == ("ACCEPTED", "RUNNING")
    assert record["appointment_at"] == vn(2025, 3, 10, 14)


def test_alerts_fire_once_at_their_time(rig: Rig) -> None:
    rig.feed(*accepted("HS-A", vn(2025, 3, 3, 9)))  # appointment Thu 6 Mar 09:00
    assert rig.fire(vn(2025, 3, 5, 8, 59)) == []
    first = rig.fire(vn(2025, 3, 5, 9))
    assert kinds(first) == ["DUE_SOON", "APOLOGY_DUE"]
    assert first[0]["working_minutes_left"] == 8 * 60
    assert rig.fire(vn(2025, 3, 5, 12)) == []  # raised once
    overdue = rig.fire(vn(2025, 3, 6, 9, 1))
    assert kinds(overdue) == ["OVERDUE", "OVERDUE_WITHOUT_APOLOGY"]
    assert {a["due_at"] for a in overdue} == {vn(2025, 3, 6, 9)}
    assert rig.record("HS-A")["late"] is True
    assert rig.due("HS-A") == vn(2025, 3, 11, 9)  # the explanation's: 3 working days later
    assert kinds(rig.fire(vn(2025, 3, 20))) == ["EXPLANATION_OVERDUE"]
    assert rig.due("HS-A") is None
    assert rig.fire(vn(2025, 3, 21)) == []


def test_alert_ids_are_deterministic(registry: RegistryClient, topic_prefix: str) -> None:
    """Two runs of the same history raise the same alert ids (a re-fired timer is a duplicate)."""
    ids = []
    for _ in range(2):
        rig = Rig(registry, topic_prefix)
        rig.feed(*accepted("HS-ID", vn(2025, 3, 3, 9)))
        ids.append([a["alert_id"] for a in rig.fire(vn(2025, 3, 10))])
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 2


def test_apology_reappoints_once_and_a_second_is_refused(rig: Rig) -> None:
    rig.feed(*accepted("HS-AP", vn(2025, 3, 3, 9)))
    first = event(
        "HS-AP", "APOLOGY_ISSUED", vn(2025, 3, 5, 8), new_appointment_at=vn(2025, 3, 12, 9)
    )
    result = rig.feed(first)
    assert result.letters == []
    record = rig.record("HS-AP")
    assert record["appointment_at"] == vn(2025, 3, 12, 9)
    assert record["original_appointment_at"] == vn(2025, 3, 6, 9)
    assert record["apology_reason"] == "Quá tải"
    second = event(
        "HS-AP", "APOLOGY_ISSUED", vn(2025, 3, 6, 8), new_appointment_at=vn(2025, 3, 20, 9)
    )
    refused = rig.feed(second)
    (letter,) = refused.letters
    assert letter.reason_code == "REAPPOINTMENT_REFUSED"
    assert "only once" in letter.reason
    assert letter.original_value == rig.events.encode(second)
    assert rig.record("HS-AP")["appointment_at"] == vn(2025, 3, 12, 9)
    # the original date passing: overdue (apologised); the new one passing: re-appointment missed
    assert kinds(rig.fire(vn(2025, 3, 6, 10))) == ["OVERDUE"]
    # late since the original date: its explanation is due 3 working days later, unrecorded
    assert kinds(rig.fire(vn(2025, 3, 11, 9))) == ["DUE_SOON", "EXPLANATION_OVERDUE"]
    assert kinds(rig.fire(vn(2025, 3, 12, 10))) == ["REAPPOINTMENT_MISSED"]


def test_ending_statuses_stop_the_timers(rig: Rig) -> None:
    rig.feed(*accepted("HS-W", vn(2025, 3, 3, 9)), *accepted("HS-S", vn(2025, 3, 3, 9)))
    rig.feed(event("HS-W", "FEE_REQUESTED", vn(2025, 3, 3, 10)),
             event("HS-W", "DOSSIER_WITHDRAWN", vn(2025, 3, 3, 11)),
             event("HS-S", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
             event("HS-S", "PROCESSING_STOPPED", vn(2025, 3, 4, 10)))  # fmt: skip
    for dossier in ("HS-W", "HS-S"):
        record = rig.record(dossier)
        assert record["clock"] == "STOPPED"
        assert record["late"] is False
        assert rig.due(dossier) is None
    rig.feed(event("HS-X", "DOSSIER_SUBMITTED", vn(2025, 3, 3, 8)),
             event("HS-X", "DOSSIER_REFUSED", vn(2025, 3, 3, 9)))  # fmt: skip
    assert rig.record("HS-X")["finished_status"] == "REFUSED"
    assert rig.fire(vn(2025, 4, 1)) == []


def test_result_ready_after_the_appointment_is_late(rig: Rig) -> None:
    rig.feed(*accepted("HS-L", vn(2025, 3, 3, 9)), *accepted("HS-OK", vn(2025, 3, 3, 9)))
    rig.feed(event("HS-L", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
             event("HS-L", "RESULT_READY", vn(2025, 3, 7, 9)),
             event("HS-OK", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
             event("HS-OK", "RESULT_READY", vn(2025, 3, 5, 9)))  # fmt: skip
    late, on_time = rig.record("HS-L"), rig.record("HS-OK")
    assert (late["late"], late["working_ms_late"]) == (True, 8 * 3600 * 1000)
    assert (on_time["late"], on_time["working_ms_late"]) == (False, None)
    assert late["clock"] == on_time["clock"] == "STOPPED"


def test_duplicate_events_change_nothing(rig: Rig) -> None:
    events = accepted("HS-D", vn(2025, 3, 3, 9))
    rig.feed(*events)
    before = rig.record("HS-D")
    result = rig.feed(*events)
    assert result.outcomes["duplicate"] == 2
    assert rig.record("HS-D") == before


def test_transitions_the_machine_refuses_are_not_the_slas_to_judge(rig: Rig) -> None:
    result = rig.feed(event("HS-U", "DOSSIER_ACCEPTED", vn(2025, 3, 3, 9)))
    assert result.outcomes["not_tracked"] == 1
    assert result.letters == []


def test_timers_survive_a_restart_and_fire_what_came_due_meanwhile(rig: Rig) -> None:
    rig.feed(*accepted("HS-RS", vn(2025, 3, 3, 9)))
    rig.restart()  # the due-index comes back from the table's timer entries
    assert rig.due("HS-RS") == vn(2025, 3, 5, 9)
    # down until after the appointment: only what still matters is emitted
    assert kinds(rig.fire(vn(2025, 3, 7, 9))) == ["OVERDUE", "OVERDUE_WITHOUT_APOLOGY"]
    rig.restart()
    assert rig.due("HS-RS") == vn(2025, 3, 11, 9)  # only the explanation's is left


def test_an_overdue_pause_stays_overdue_when_resumed(rig: Rig) -> None:
    rig.feed(*accepted("HS-OP", vn(2025, 3, 3, 9)))
    rig.feed(
        event("HS-OP", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
        event("HS-OP", "SUPPLEMENT_REQUESTED", vn(2025, 3, 7, 9)),
    )  # 1 day overdue
    assert rig.record("HS-OP")["working_ms_left"] == -8 * 3600 * 1000
    rig.feed(event("HS-OP", "SUPPLEMENT_RECEIVED", vn(2025, 3, 12, 9)))
    assert rig.record("HS-OP")["appointment_at"] == vn(2025, 3, 11, 9)  # still a day behind
    assert kinds(rig.fire(vn(2025, 3, 12, 9) + timedelta(seconds=1))) == [
        "OVERDUE", "OVERDUE_WITHOUT_APOLOGY", "EXPLANATION_OVERDUE"  # late since Thu 6, due Tue 11
    ]  # fmt: skip
