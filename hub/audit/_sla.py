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

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from hub.audit._log import LogReader, Stored
from hub.audit._model import CheckResult, Finding, Kind, result
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
    findings = judge_alerts(alerts, replayed.states)
    redelivered = len(alerts) - len({str((s.value or {})["alert_id"]) for s in alerts})
    notes = [f"{redelivered} redelivered under their id (deduplicated)"] if redelivered else []
    return result(ALERTS, len(alerts), findings, notes)


def judge_alerts(alerts: list[Stored], states: Mapping[str, DossierState]) -> list[Finding]:
    """The findings about ``alerts`` (records of ``sla.alerts``, in topic order), judged by the
    dossiers' ``states`` as the log says they are.

    An alert's id is its dossier, kind and instant (checked here), so the same id again is the
    same alert: an SLA worker killed between publishing it and persisting the timer's fold fires
    it again on restart (at least once, ``hub.processing._timers``), and its consumers act once
    per id (the apology worker: one letter per dossier). It is counted, not a finding; an alert
    for the same instant under another id is one (not the id of its instant)."""
    findings: list[Finding] = []
    seen: set[str] = set()
    for stored in alerts:
        a = stored.value or {}
        given, dossier_id, kind, about = (str(a["alert_id"]), str(a["dossier_id"]),
                                          str(a["kind"]), a["due_at"])  # fmt: skip
        assert isinstance(about, datetime)  # the SlaAlert schema's timestamp

        def flag(kind_of_finding: Kind, what: str, alert: str = given) -> None:
            findings.append(Finding(ALERTS, kind_of_finding, alert, what))

        if given in seen:
            continue  # a redelivery (counted by ``check_alerts``)
        seen.add(given)
        if given != alert_id(dossier_id, kind, about):
            flag("disagreeing", f"not the id of {kind} of {dossier_id} at {about:%Y-%m-%d %H:%M}")
        state = states.get(dossier_id)
        end = None if state is None else ended(state)
        if state is None:
            flag("disagreeing", f"{kind} of a dossier not in the log")
        elif end is not None and kind in _OVERDUE and end[0] <= about:
            flag("disagreeing", f"{kind} of {dossier_id}, which ended ({end[1]}) before it was due")
        elif end is not None and kind == "EXPLANATION_OVERDUE" and end[1] != "RESULT_READY":
            flag("disagreeing", f"{kind} of {dossier_id}, which ended {end[1]}")
    return findings


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
