"""Explanations on the SLA processor as workers run it: real Avro serdes (real registry), the
in-memory runner's durable timers, redelivery and restarts (the rules: test_explanations.py).

Hand-computed: a procedure of 3 working days accepted Mon 3 March 2025 09:00 is due Thu 6 March
09:00; late from then, the explanation is due 3 working days later, Tue 11 March 09:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from hub.serde import RegistryClient
from tests.sla._support import Rig, accepted, event, kinds, vn

APPOINTMENT = vn(2025, 3, 6, 9)
EXPLANATION_DUE = vn(2025, 3, 11, 9)


@pytest.fixture
def rig(registry: RegistryClient, topic_prefix: str) -> Rig:
    return Rig(registry, topic_prefix)


def explained(dossier_id: str, at: datetime) -> dict[str, Any]:
    return event(dossier_id, "EXPLANATION_RECORDED", at, recorded_at=at)


def test_overdue_schedules_the_explanation_timer(rig: Rig) -> None:
    rig.feed(*accepted("HS-1", vn(2025, 3, 3, 9)))
    assert kinds(rig.fire(APPOINTMENT)) == ["OVERDUE", "OVERDUE_WITHOUT_APOLOGY"]
    record = rig.record("HS-1")
    assert (record["late_at"], record["explanation_due_at"]) == (APPOINTMENT, EXPLANATION_DUE)
    assert rig.due("HS-1") == EXPLANATION_DUE


def test_recorded_in_time_cancels_the_timer(rig: Rig) -> None:
    rig.feed(*accepted("HS-2", vn(2025, 3, 3, 9)))
    rig.fire(APPOINTMENT)
    rig.feed(explained("HS-2", vn(2025, 3, 10, 15)))
    assert rig.due("HS-2") is None
    assert rig.fire(vn(2025, 3, 14, 9)) == []
    stored = rig.record("HS-2")["explanation"]
    assert stored is not None
    assert stored["sha256"] == "12" * 32


def test_missing_explanation_alerts_exactly_once_across_redelivery_and_restart(rig: Rig) -> None:
    events = accepted("HS-3", vn(2025, 3, 3, 9))
    rig.feed(*events)
    rig.fire(APPOINTMENT)
    alerts = rig.fire(EXPLANATION_DUE)
    assert kinds(alerts) == ["EXPLANATION_OVERDUE"]
    assert (alerts[0]["due_at"], alerts[0]["agency_code"]) == (EXPLANATION_DUE, "STP")
    assert rig.fire(EXPLANATION_DUE) == []  # the timer fired again
    rig.feed(*events)  # the events delivered again (new offsets): duplicates by event id
    assert rig.fire(vn(2025, 3, 12, 9)) == []
    rig.restart()  # a worker restarted on the table: its timers are rebuilt from it
    assert rig.fire(vn(2025, 3, 13, 9)) == []
    assert (
        rig.record("HS-3")["alerts_raised"].count(
            f"EXPLANATION_OVERDUE@{int(EXPLANATION_DUE.timestamp() * 1000)}"
        )
        == 1
    )


def test_a_premature_explanation_is_a_dead_letter(rig: Rig) -> None:
    rig.feed(*accepted("HS-4", vn(2025, 3, 3, 9)))
    early = explained("HS-4", vn(2025, 3, 5, 9))
    (letter,) = rig.feed(early).letters
    assert letter.reason_code == "VALIDATION_FAILED"
    assert "not late" in letter.reason
    assert letter.original_value == rig.events.encode(early)
    assert rig.record("HS-4")["explanation"] is None


def test_replay_equals_live(registry: RegistryClient, topic_prefix: str) -> None:
    """Live: the timers fire as the clock passes; replay: every event first, the clock at now.
    The records are the log's: the same lateness and explanation. Alerts are the clock's: an
    explanation recorded late but before the replay's now cancels that alert in replay; one
    still owed is raised alike, with the same id (consumers drop the copy)."""
    late_result = [*accepted("HS-R", vn(2025, 3, 3, 9)),
                   event("HS-R", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 10)),
                   event("HS-R", "RESULT_READY", vn(2025, 3, 7, 9))]  # fmt: skip
    explained_late = [*accepted("HS-X", vn(2025, 3, 3, 9)), explained("HS-X", vn(2025, 3, 12, 9))]
    live, replay = Rig(registry, topic_prefix), Rig(registry, topic_prefix)
    live_alerts: list[dict[str, Any]] = []
    timeline = sorted([*late_result, *explained_late], key=lambda e: e["occurred_at"])
    for record in timeline:
        live_alerts += live.fire(record["occurred_at"])
        live.feed(record)
    now = vn(2025, 3, 20, 9)
    live_alerts += live.fire(now)
    replay.feed(*timeline)
    replay_alerts = replay.fire(now)
    fields = ("late", "late_at", "explanation_due_at", "explanation_recorded_at", "explanation")
    for dossier in ("HS-R", "HS-X"):
        mine, theirs = live.record(dossier), replay.record(dossier)
        assert [mine.get(f) for f in fields] == [theirs.get(f) for f in fields], dossier

    def explanation_alerts(alerts: list[dict[str, Any]]) -> dict[str, str]:
        return {str(a["dossier_id"]): str(a["alert_id"]) for a in alerts
                if a["kind"] == "EXPLANATION_OVERDUE"}  # fmt: skip

    live_ids, replay_ids = explanation_alerts(live_alerts), explanation_alerts(replay_alerts)
    # both owed one by Tue 11 Mar 09:00; HS-X explained on Wed 12, HS-R never
    assert sorted(live_ids) == ["HS-R", "HS-X"]
    assert replay_ids == {"HS-R": live_ids["HS-R"]}
