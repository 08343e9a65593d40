"""Explanations of late dossiers (báo cáo giải trình, DOMAIN.md §3 and §8): the rules, pure.

Hand-computed on the real working calendar (07:00-11:30, 13:30-17:00, Vietnam's holidays) and
the default of 3 working days: a procedure of 3 working days accepted on Monday 3 March 2025 at
09:00 is due Thursday 6 March 09:00; late from then, its explanation is due Friday 7, Monday 10,
Tuesday 11 March 09:00 (the weekend does not count). The same processor on the runner, with
Kafka's serdes and redelivery, is in test_explanations_live.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pytest

from hub.dossier import DossierEvent
from hub.records import DossierDeadline
from hub.sla import Refusal, SlaPolicy, WorkingCalendar, apply_event, next_due, raise_due_alerts
from tests.sla._support import CATALOG, accepted, event, kinds, vn

CALENDAR = WorkingCalendar()
POLICY = SlaPolicy(CALENDAR, CALENDAR.hours.day_length)
APPOINTMENT = vn(2025, 3, 6, 9)  # Mon 3 Mar 09:00 + 3 working days
EXPLANATION_DUE = vn(2025, 3, 11, 9)  # Thu 6 Mar 09:00 + Fri, Mon, Tue


def fold(records: Iterable[Mapping[str, Any]], state: DossierDeadline | None = None,
         policy: SlaPolicy = POLICY) -> DossierDeadline:  # fmt: skip
    for record in records:
        e = DossierEvent.from_record(record)
        procedure = CATALOG.get(e.procedure_code or "")
        result = apply_event(state, e, procedure, policy)
        assert result is not None, e.event_type
        assert not isinstance(result, Refusal), result
        state = result
    assert state is not None
    return state


def handled(dossier_id: str, *more: Mapping[str, Any], procedure: str = "P3") -> list[Any]:
    """Accepted Mon 3 Mar 09:00, in processing from 10:00, then ``more``."""
    step = event(dossier_id, "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10))
    return [*accepted(dossier_id, vn(2025, 3, 3, 9), procedure), step, *more]


def explained(dossier_id: str, at: datetime) -> dict[str, Any]:
    return event(dossier_id, "EXPLANATION_RECORDED", at, recorded_at=at)


def fire(state: DossierDeadline, now: datetime) -> tuple[DossierDeadline, list[str]]:
    new, alerts = raise_due_alerts(state, now, POLICY)
    return new, kinds(alerts)


def overdue(dossier_id: str = "HS-E") -> DossierDeadline:
    """Accepted Mon 3 Mar 09:00 (3 working days), its OVERDUE raised on time."""
    state = fold(accepted(dossier_id, vn(2025, 3, 3, 9)))
    state, raised = fire(state, APPOINTMENT)
    assert raised == ["OVERDUE", "OVERDUE_WITHOUT_APOLOGY"]  # the advance notices: too late
    return state


def test_late_from_the_appointment_explanation_due_three_working_days_later() -> None:
    state = fold(accepted("HS-E", vn(2025, 3, 3, 9)))
    assert state["late_at"] is None
    assert state["explanation_due_at"] is None
    state, _ = fire(state, vn(2025, 3, 5, 9))  # due soon, apology due: not late yet
    assert state["late_at"] is None
    state, raised = fire(state, APPOINTMENT)
    assert raised == ["OVERDUE", "OVERDUE_WITHOUT_APOLOGY"]
    assert state["late_at"] == APPOINTMENT
    assert state["explanation_due_at"] == EXPLANATION_DUE  # across the weekend
    assert next_due(state) == EXPLANATION_DUE


def test_the_explanation_deadline_skips_a_holiday() -> None:
    # Mon 31 Mar 09:00 + 3 working days = Thu 3 Apr 09:00; + 3 working days: Fri 4, (Sat 5,
    # Sun 6, Mon 7 Apr Giỗ Tổ Hùng Vương), Tue 8, Wed 9 Apr 09:00.
    state = fold(accepted("HS-H", vn(2025, 3, 31, 9)))
    state, _ = fire(state, vn(2025, 4, 3, 9))
    assert (state["late_at"], state["explanation_due_at"]) == (vn(2025, 4, 3, 9), vn(2025, 4, 9, 9))


def test_the_number_of_working_days_is_the_provinces() -> None:
    five = SlaPolicy(CALENDAR, CALENDAR.hours.day_length, explanation_days=5)
    state = fold(accepted("HS-5", vn(2025, 3, 3, 9)), policy=five)
    state = fold([event("HS-5", "PROCESSING_STEP_RECORDED", vn(2025, 3, 7, 9))], state, five)
    assert state["explanation_due_at"] == vn(2025, 3, 13, 9)  # Thu 6 + 5: Fri .. Thu 13


def test_recorded_in_time_no_alert() -> None:
    state = fold([explained("HS-E", vn(2025, 3, 10, 10))], overdue())
    assert state["explanation_recorded_at"] == vn(2025, 3, 10, 10)
    explanation = state["explanation"]
    assert explanation is not None
    assert explanation["unit_code"] == "STP-HCTP"
    assert next_due(state) is None
    _, raised = fire(state, vn(2025, 3, 20, 9))
    assert raised == []


def test_not_recorded_one_alert_exactly_once() -> None:
    state = overdue()
    state, raised = fire(state, vn(2025, 3, 11, 8, 59))
    assert raised == []
    state, alerts = raise_due_alerts(state, EXPLANATION_DUE, POLICY)
    assert kinds(alerts) == ["EXPLANATION_OVERDUE"]
    assert (alerts[0]["due_at"], alerts[0]["working_minutes_left"]) == (EXPLANATION_DUE, 0)
    assert next_due(state) is None
    for later in (EXPLANATION_DUE, vn(2025, 3, 12, 9)):  # a timer fired again: nothing more
        assert fire(state, later)[1] == []


def test_late_explanation_is_recorded_and_stops_nothing_already_raised() -> None:
    state, raised = fire(overdue(), EXPLANATION_DUE)
    assert raised == ["EXPLANATION_OVERDUE"]
    state = fold([explained("HS-E", vn(2025, 3, 12, 9))], state)
    assert state["explanation_recorded_at"] == vn(2025, 3, 12, 9)


def refusal(state: DossierDeadline | None, record: Mapping[str, Any]) -> Refusal:
    result = apply_event(state, DossierEvent.from_record(record), None, POLICY)
    assert isinstance(result, Refusal), result
    return result


def test_an_explanation_before_the_dossier_is_late_is_refused() -> None:
    state = fold(accepted("HS-E", vn(2025, 3, 3, 9)))
    early = refusal(state, explained("HS-E", vn(2025, 3, 6, 8)))
    assert early.reason_code == "VALIDATION_FAILED"
    assert "not late at 2025-03-06T01:00:00+00:00 (appointment 2025-03-06T09:00" in early.reason
    # an apology does not make it late yet: the appointment has not passed
    apologised = fold([event("HS-E", "APOLOGY_ISSUED", vn(2025, 3, 5, 9),
                             new_appointment_at=vn(2025, 3, 10, 9))], state)  # fmt: skip
    assert refusal(apologised, explained("HS-E", vn(2025, 3, 5, 10))).reason_code == (
        "VALIDATION_FAILED"
    )


def test_an_event_after_the_appointment_makes_it_late_without_the_timer() -> None:
    # replay: the timer has not fired, the explanation's own time says the dossier is late
    state = fold([*accepted("HS-E", vn(2025, 3, 3, 9)), explained("HS-E", vn(2025, 3, 7, 9))])
    assert (state["late_at"], state["explanation_due_at"]) == (APPOINTMENT, EXPLANATION_DUE)
    assert state["explanation_recorded_at"] == vn(2025, 3, 7, 9)


def test_a_second_explanation_is_refused() -> None:
    state = fold([explained("HS-E", vn(2025, 3, 7, 9))], overdue())
    again = refusal(state, explained("HS-E", vn(2025, 3, 7, 10)))
    assert again.reason_code == "VALIDATION_FAILED"
    assert "already recorded" in again.reason


def test_paused_before_the_appointment_is_not_late() -> None:
    state = fold(handled("HS-P", event("HS-P", "SUPPLEMENT_REQUESTED", vn(2025, 3, 4, 9))))
    assert refusal(state, explained("HS-P", vn(2025, 3, 10, 9))).reason_code == "VALIDATION_FAILED"


def test_a_late_result_owes_an_explanation_after_it() -> None:
    # Result Fri 7 Mar 09:00: one working day late, no timer fired (a replay's order)
    state = fold(handled("HS-R", event("HS-R", "RESULT_READY", vn(2025, 3, 7, 9))))
    assert state["late"]
    assert state["working_ms_late"] == 8 * 3600 * 1000
    assert (state["late_at"], state["explanation_due_at"]) == (APPOINTMENT, EXPLANATION_DUE)
    assert fire(state, EXPLANATION_DUE)[1] == ["EXPLANATION_OVERDUE"]  # clock stopped: still due
    returned = fold([event("HS-R", "RESULT_RETURNED", vn(2025, 3, 10, 9))], state)
    done = fold([explained("HS-R", vn(2025, 3, 10, 10))], returned)
    assert next_due(done) is None


def test_a_result_exactly_at_the_appointment_is_on_time_and_owes_none() -> None:
    state = overdue()  # the OVERDUE timer fired at the appointment itself
    assert state["late_at"] == APPOINTMENT
    state = fold([event("HS-E", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
                  event("HS-E", "RESULT_READY", APPOINTMENT)], state)  # fmt: skip
    assert not state["late"]
    assert (state["late_at"], state["explanation_due_at"], next_due(state)) == (None, None, None)


@pytest.mark.parametrize("ending", ["DOSSIER_WITHDRAWN", "PROCESSING_STOPPED"])
def test_ended_without_a_result_owes_none(ending: str) -> None:
    state = fold([event("HS-E", "PROCESSING_STEP_RECORDED", vn(2025, 3, 6, 10)),
                  event("HS-E", "SUPPLEMENT_REQUESTED", vn(2025, 3, 6, 11)),
                  event("HS-E", ending, vn(2025, 3, 7, 9))], overdue())  # fmt: skip
    assert state["late_at"] == APPOINTMENT  # it was late ...
    assert next_due(state) is None  # ... but no longer on any late list: nothing to explain
    assert fire(state, EXPLANATION_DUE)[1] == []


def test_a_restarted_clock_forgives_the_lateness() -> None:
    after_appointment = event("HS-R", "SUPPLEMENT_REQUESTED", vn(2025, 3, 7, 9))
    state = fold(handled("HS-R", after_appointment, procedure="P3R"))
    assert state["late_at"] == APPOINTMENT
    state = fold([event("HS-R", "SUPPLEMENT_RECEIVED", vn(2025, 3, 10, 9))], state)
    assert (state["late_at"], state["explanation_due_at"]) == (None, None)
    assert state["appointment_at"] == vn(2025, 3, 13, 9)


def test_replay_agrees_with_live() -> None:
    """Live: timers fire between the events; replay: the events at once, timers after. Same
    lateness, same explanation, same explanation alert (same id: consumers drop the copy)."""
    events = [
        *accepted("HS-L", vn(2025, 3, 3, 9)),
        event("HS-L", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
        event("HS-L", "RESULT_READY", vn(2025, 3, 7, 9)),
    ]
    live: DossierDeadline | None = None
    live_alerts = []
    for record in events:
        live = fold([record], live)
        due = next_due(live)
        while due is not None and due <= vn(2025, 3, 7, 8):  # the clock until the next event
            live, alerts = raise_due_alerts(live, due, POLICY)
            live_alerts += alerts
            due = next_due(live)
    assert live is not None
    live, alerts = raise_due_alerts(live, vn(2025, 3, 12, 9), POLICY)
    live_alerts += alerts
    replay, replay_alerts = raise_due_alerts(fold(events), vn(2025, 3, 12, 9), POLICY)
    fields = ("late", "late_at", "explanation_due_at", "explanation_recorded_at", "finished_at")
    assert [live.get(f) for f in fields] == [replay.get(f) for f in fields]
    explanation = [a for a in live_alerts if a["kind"] == "EXPLANATION_OVERDUE"]
    assert explanation == [a for a in replay_alerts if a["kind"] == "EXPLANATION_OVERDUE"]
    assert len(explanation) == 1
    assert "OVERDUE" in kinds(live_alerts)  # live did see the deadline pass


def test_a_record_judged_late_before_late_at_existed_takes_an_explanation() -> None:
    state = fold(handled("HS-OLD", event("HS-OLD", "RESULT_READY", vn(2025, 3, 7, 9))))
    legacy = state.copy()  # as kept before the field existed
    legacy["late_at"] = legacy["explanation_due_at"] = None
    assert legacy["late"]
    state = fold([explained("HS-OLD", vn(2025, 3, 10, 9))], legacy)
    assert (state["late_at"], state["explanation_due_at"]) == (APPOINTMENT, EXPLANATION_DUE)
    assert state["explanation_recorded_at"] == vn(2025, 3, 10, 9)
