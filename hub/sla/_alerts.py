"""The SLA's alerts (DOMAIN.md §3), pure: what a DossierDeadline record schedules, and raising
the ones due at an instant. Raised by time, not events, each once per instant it is about:

    DUE_SOON                 ``due_soon`` working time before the current appointment
    APOLOGY_DUE              one working day before it, while no apology was issued
    OVERDUE                  the (pre-apology) appointment passed, handling not ended
    OVERDUE_WITHOUT_APOLOGY  ... and no apology was issued
    REAPPOINTMENT_MISSED     the apology's new date passed too
    EXPLANATION_OVERDUE      a late dossier's explanation is due (``explanation_due_at``) and
                             was not recorded; raised whatever the clock (a late result owes
                             one too), never for a dossier ended without a result

The deadline alerts follow the running clock only; raising OVERDUE marks the dossier late
(``hub.sla._deadline.mark_late``), which schedules its explanation.

APOLOGY_DUE and OVERDUE_WITHOUT_APOLOGY propose the apology's new date
(``proposed_appointment_at``) when a ``Reappointment`` is given: the later of the current
appointment and the raising instant, plus the extension in working days of the dossier's
procedure (else the default), on the SLA calendar. The apology letter (``signing._apology``)
sets that date; an officer's own letter may set another.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from hub.records import AlertKind, DossierDeadline, SlaAlert
from hub.sla._calendar import WorkingCalendar
from hub.sla._deadline import SlaPolicy, _ms, mark_late

ALERT_NAMESPACE: Final = uuid.UUID("5d7a1c9e-8f3b-4c2a-9e61-0b7f3d2a4c15")
ALERT_KINDS: Final[tuple[AlertKind, ...]] = (
    "DUE_SOON", "APOLOGY_DUE", "OVERDUE", "OVERDUE_WITHOUT_APOLOGY", "REAPPOINTMENT_MISSED",
    "EXPLANATION_OVERDUE",
)  # fmt: skip
_ADVANCE_NOTICE: Final = frozenset({"DUE_SOON", "APOLOGY_DUE"})
#: The alerts that ask for an apology, and so propose its new date.
_ASK_APOLOGY: Final = frozenset({"APOLOGY_DUE", "OVERDUE_WITHOUT_APOLOGY"})
#: Endings without a result: not late (the late lists do not count them), owing no explanation.
_NO_RESULT: Final = frozenset({"REFUSED", "WITHDRAWN", "STOPPED"})
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Plan = list[tuple[datetime, AlertKind, datetime]]


@dataclass(frozen=True)
class Reappointment:
    """How far an apology moves a dossier's appointment, in working days: ``by_procedure`` for
    the procedures the province names, else ``working_days`` (``DVC_SLA_APOLOGY_*``)."""

    working_days: int
    by_procedure: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        days = {"default": self.working_days, **self.by_procedure}
        if bad := {code: n for code, n in days.items() if n <= 0}:
            raise ValueError(f"apology extensions must be positive working days, got {bad}")

    def days_for(self, procedure_code: str | None) -> int:
        return self.by_procedure.get(procedure_code or "", self.working_days)

    def proposed(
        self, calendar: WorkingCalendar, appointment: datetime, now: datetime,
        procedure_code: str | None,
    ) -> datetime:  # fmt: skip
        """The new date: the extension counted from the appointment, or from ``now`` once the
        appointment passed (a date already behind would be no promise)."""
        return calendar.add_working_days(max(appointment, now), self.days_for(procedure_code))


def scheduled_alerts(r: DossierDeadline) -> Plan:
    """(when, kind, the instant it is about) of every alert of the record that was not raised
    yet: the current promise's while the clock runs, and the explanation's while it is owed."""
    raised = set(r["alerts_raised"])
    plan = _deadline_plan(r) + _explanation_plan(r)
    return [item for item in plan if alert_tag(item[1], item[2]) not in raised]


def _deadline_plan(r: DossierDeadline) -> Plan:
    if r["clock"] != "RUNNING" or r["appointment_at"] is None:
        return []
    appointment = r["appointment_at"]
    original = r["original_appointment_at"] or appointment
    apologised = r["apology_issued_at"] is not None
    plan: Plan = []
    if r["due_soon_at"] is not None:
        plan.append((r["due_soon_at"], "DUE_SOON", appointment))
    if not apologised and r["apology_due_at"] is not None:
        plan.append((r["apology_due_at"], "APOLOGY_DUE", appointment))
    plan.append((original, "OVERDUE", original))
    if not apologised:
        plan.append((original, "OVERDUE_WITHOUT_APOLOGY", original))
    else:
        plan.append((appointment, "REAPPOINTMENT_MISSED", appointment))
    return plan


def _explanation_plan(r: DossierDeadline) -> Plan:
    due = r.get("explanation_due_at")
    if due is None or r.get("explanation_recorded_at") is not None:
        return []
    if r["finished_status"] in _NO_RESULT:
        return []
    return [(due, "EXPLANATION_OVERDUE", due)]


def next_due(r: DossierDeadline) -> datetime | None:
    plan = scheduled_alerts(r)
    return min(when for when, _, _ in plan) if plan else None


def alert_tag(kind: str, about: datetime) -> str:
    return f"{kind}@{_ms(about - _EPOCH)}"


def alert_id(dossier_id: str, kind: str, about: datetime) -> str:
    """The same alert always has the same id: a re-fired timer is a duplicate consumers drop."""
    return str(uuid.uuid5(ALERT_NAMESPACE, f"{dossier_id}|{alert_tag(kind, about)}"))


def raise_due_alerts(
    r: DossierDeadline, now: datetime, policy: SlaPolicy,
    reappointment: Reappointment | None = None,
) -> tuple[DossierDeadline, list[SlaAlert]]:  # fmt: skip
    """The record with every alert due at ``now`` raised, and the SlaAlert records to emit;
    with ``reappointment``, the alerts asking for an apology propose its new date.

    Advance notices (due soon, apology due) whose appointment already passed are recorded as
    raised but not emitted: after downtime, "overdue" says it all. An OVERDUE that makes the
    dossier late may make its explanation due at once (after downtime): raised in the same go.
    """
    new = r.copy()
    raised = list(r["alerts_raised"])
    alerts: list[SlaAlert] = []
    while due := [item for item in scheduled_alerts(new) if item[0] <= now]:
        for _, kind, about in sorted(due, key=lambda item: (item[0], ALERT_KINDS.index(item[1]))):
            raised.append(alert_tag(kind, about))
            new["alerts_raised"] = raised
            appointment = r["appointment_at"]
            assert appointment is not None, "alerts are scheduled only with an appointment"
            if kind in _ADVANCE_NOTICE and appointment <= now:
                continue
            if kind in ("OVERDUE", "REAPPOINTMENT_MISSED"):
                new["late"] = True
            if kind == "OVERDUE":
                mark_late(new, now, policy, passed=lambda moment: moment <= now)
            left = policy.calendar.working_time_between(
                now, about if kind == "EXPLANATION_OVERDUE" else appointment
            )
            alert = _alert(new, kind, about, now, left)
            if reappointment is not None and kind in _ASK_APOLOGY:
                alert["proposed_appointment_at"] = reappointment.proposed(
                    policy.calendar, appointment, now, r["procedure_code"]
                )
            alerts.append(alert)
    if raised == r["alerts_raised"]:
        return new, []
    new["version"] = int(r["version"]) + 1
    return new, alerts


def _alert(
    r: DossierDeadline, kind: AlertKind, about: datetime, now: datetime, left: timedelta
) -> SlaAlert:
    return {
        "alert_id": alert_id(str(r["dossier_id"]), kind, about),
        "dossier_id": r["dossier_id"], "kind": kind,
        "agency_code": r["agency_code"] or "", "procedure_code": r["procedure_code"] or "",
        "due_at": about, "raised_at": now,
        "working_minutes_left": int(left.total_seconds() // 60),
        "handler": r["handler"], "proposed_appointment_at": None,
    }  # fmt: skip
