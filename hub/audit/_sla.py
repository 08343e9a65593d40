"""The SLA's timers and alerts against the log (``sla.deadlines``, ``sla.alerts``).

* every alert at most once: its id is deterministic (``hub.sla.alert_id`` of dossier, kind and
  the instant it is about), so the same id twice is a double and an id that is not the one of
  its fields disagrees;
* no overdue alert for a dossier that ended (a result, a refusal, a withdrawal, a stop) at or
  before the instant it is about, and no EXPLANATION_OVERDUE for one that ended without a
  result (it owes none). The advance notices (DUE_SOON, APOLOGY_DUE) are left out: they are
  raised ahead of the instant they name, so it says nothing of when they were due;
* a deadline record for every accepted dossier still open, in the status the log says.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Final

from hub.audit._log import LogReader
from hub.audit._model import CheckResult, Finding, result
from hub.audit._states import Replayed
from hub.dossier import TERMINAL
from hub.records import DossierState
from hub.sla import alert_id
from hub.topics import SLA_ALERTS, SLA_DEADLINES

TIMERS, ALERTS = "timers", "alerts"

#: The statuses that end handling (``hub.sla._deadline.ENDING``); only a result is judged late.
ENDING: Final = frozenset({"RESULT_READY", "REFUSED", "WITHDRAWN", "STOPPED"})
_OVERDUE: Final = frozenset({"OVERDUE", "OVERDUE_WITHOUT_APOLOGY", "REAPPOINTMENT_MISSED"})


def ended(state: DossierState) -> tuple[datetime, str] | None:
    """When and how handling of the dossier first ended, by its history."""
    for entry in state["history"]:
        if entry["to_status"] in ENDING and entry["from_status"] != entry["to_status"]:
            return entry["occurred_at"], str(entry["to_status"])
    return None


def check_alerts(reader: LogReader, replayed: Replayed) -> CheckResult:
    if not reader.exists(SLA_DEADLINES):
        return CheckResult(ALERTS, 0, skipped=f"no {reader.name(SLA_DEADLINES)} (no SLA worker)")
    alerts = [s for s in reader.records(SLA_ALERTS) if s.value is not None]
    findings: list[Finding] = []
    seen: Counter[str] = Counter()
    for stored in alerts:
        a = stored.value
        assert a is not None
        dossier_id, kind, about = str(a["dossier_id"]), str(a["kind"]), a["due_at"]
        assert isinstance(about, datetime)
        given = str(a["alert_id"])
        seen[given] += 1
        if seen[given] > 1:
            findings.append(
                Finding(
                    ALERTS, "duplicated", given, f"{kind} of {dossier_id} again at {stored.where}"
                )
            )
            continue
        if given != alert_id(dossier_id, kind, about):
            findings.append(
                Finding(
                    ALERTS,
                    "disagreeing",
                    given,
                    f"not the id of {kind} of {dossier_id} at {about:%Y-%m-%d %H:%M}",
                )
            )
        state = replayed.states.get(dossier_id)
        if state is None:
            findings.append(
                Finding(ALERTS, "disagreeing", given, f"{kind} of a dossier not in the log")
            )
            continue
        end = ended(state)
        if end is not None and kind in _OVERDUE and end[0] <= about:
            findings.append(
                Finding(
                    ALERTS,
                    "disagreeing",
                    given,
                    f"{kind} of {dossier_id}, which ended ({end[1]}) before it was due",
                )
            )
        if end is not None and kind == "EXPLANATION_OVERDUE" and end[1] != "RESULT_READY":
            findings.append(
                Finding(
                    ALERTS, "disagreeing", given, f"{kind} of {dossier_id}, which ended {end[1]}"
                )
            )
    return result(ALERTS, len(alerts), findings)


def check_timers(reader: LogReader, replayed: Replayed) -> CheckResult:
    if not reader.exists(SLA_DEADLINES):
        return CheckResult(TIMERS, 0, skipped=f"no {reader.name(SLA_DEADLINES)} (no SLA worker)")
    deadlines = reader.latest(SLA_DEADLINES)
    findings: list[Finding] = []
    for dossier_id, state in sorted(replayed.states.items()):
        record = deadlines.get(dossier_id)
        if record is None:
            if state["accepted_at"] is not None and state["status"] not in TERMINAL:
                findings.append(
                    Finding(
                        TIMERS,
                        "lost",
                        dossier_id,
                        f"accepted, {state['status']}, no deadline record",
                    )
                )
        elif record["status"] != state["status"]:
            findings.append(
                Finding(
                    TIMERS,
                    "disagreeing",
                    dossier_id,
                    f"deadline record {record['status']}, the log says {state['status']}",
                )
            )
    for dossier_id in sorted(deadlines.keys() - replayed.states.keys()):
        findings.append(Finding(TIMERS, "disagreeing", dossier_id, "a deadline, not in the log"))
    return result(TIMERS, len(deadlines.keys() | replayed.states.keys()), findings)
