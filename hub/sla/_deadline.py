"""The deadline rules (DOMAIN.md §3), pure: a DossierDeadline record folded over events and time.

The record (``schemas/vn.dvchub.DossierDeadline.avsc``, as the Avro-shaped dict) is changed by:

* the transition into ACCEPTED (DossierAccepted, or FeePaid of a fee asked before acceptance):
  the clock starts; the appointment is the acceptance plus the procedure's working days on the
  working calendar (after closing, that counts from the next working morning);
* SupplementRequested and FeeRequested: the clock pauses, keeping the working time left;
* SupplementReceived: the clock resumes under the supplement policy (PAUSE: the time left;
  RESTART: the full deadline again); FeePaid resumes with the time left;
* ApologyIssued: the appointment moves to the new date, once; a second one is refused;
* ResultReady: handling ends, late or not; refusal, withdrawal and stop end it without judgement;
* ExplanationRecorded (báo cáo giải trình, DOMAIN.md §3 and §8): the responsible unit's
  explanation of a late dossier; refused (VALIDATION_FAILED, a dead letter, as a second apology
  is refused) before the dossier is late and after a first one.

A dossier is *late* from its pre-apology appointment once that passed with handling not ended:
``late_at`` is set when an event finds it so (event time) or when OVERDUE is raised, so replay
and live agree; a finish judged on time or a restarted clock (RESTART supplement policy) clears
it while no explanation was recorded. The explanation is then due ``explanation_days`` working
days after ``late_at`` (``explanation_due_at``). A dossier that ends without a result (withdrawn,
stopped) owes none: the late lists do not count it.

The alerts the record schedules are ``hub.sla._alerts``'.

A dossier with an apology is late (it ends after its pre-apology appointment, which
``original_appointment_at`` keeps); a pause shifts both until the apology, only the new date after.
Events the status machine would refuse are not this processor's to judge: the lifecycle
dead-letters them, the SLA ignores them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from hub.dossier import CatalogEntry, DossierEvent, StatusView
from hub.events import event_digest
from hub.records import (
    ApologyIssued,
    DossierAccepted,
    DossierDeadline,
    DossierStatus,
    DossierSubmitted,
    ExplanationRecorded,
    PauseReason,
    ProcessingStepRecorded,
)
from hub.sla._calendar import WorkingCalendar

#: Statuses that end handling; only RESULT_READY is judged on time or late.
ENDING: Final = frozenset({"RESULT_READY", "REFUSED", "WITHDRAWN", "STOPPED"})


@dataclass(frozen=True)
class SlaPolicy:
    """The province's deadline configuration."""

    calendar: WorkingCalendar
    #: working time before the appointment at which DUE_SOON is raised
    due_soon: timedelta
    #: supplement policy where the procedure states none: "PAUSE" or "RESTART"
    supplement_policy: str = "PAUSE"
    #: working days after a dossier became late within which its explanation is due; DOMAIN.md
    #: names no figure, so 3 by default (``DVC_SLA_EXPLANATION_WORKING_DAYS``)
    explanation_days: int = 3

    @property
    def apology_notice(self) -> timedelta:
        """An apology is due one working day before the appointment (DOMAIN.md §3)."""
        return self.calendar.hours.day_length


@dataclass(frozen=True)
class Refusal:
    """Why an event cannot be applied to the deadline; ``reason_code`` is a dead-letter code."""

    reason_code: str
    reason: str


def new_record(dossier_id: str) -> DossierDeadline:
    return {
        "dossier_id": dossier_id, "procedure_code": None, "agency_code": None,
        "agency_name": None, "department": None, "handler": None, "status": "UNKNOWN",
        "status_before_fee": None, "deadline_working_days": None,
        "supplement_policy": "UNKNOWN", "accepted_at": None, "clock_started_at": None,
        "original_appointment_at": None, "appointment_at": None, "apology_issued_at": None,
        "apology_reason": None, "clock": "NOT_STARTED", "pause_reason": "NONE",
        "paused_since": None, "working_ms_left": None, "due_soon_at": None,
        "apology_due_at": None, "finished_at": None, "finished_status": None,
        "returned_at": None, "late": False, "working_ms_late": None, "alerts_raised": [],
        "seen_events": b"", "last_event_id": "", "version": 0, "updated_at": None,
        "late_at": None, "explanation_due_at": None, "explanation_recorded_at": None,
        "explanation": None,
    }  # fmt: skip


def apply_event(
    record: DossierDeadline | None,
    event: DossierEvent,
    procedure: CatalogEntry | None,
    policy: SlaPolicy,
) -> DossierDeadline | Refusal | None:
    """The record after ``event``; None when the event is not the SLA's to track (an unknown
    dossier, a transition the status machine refuses). ``procedure`` is the catalogue entry of
    a DossierSubmitted's procedure."""
    event_type = event.event_type
    before: DossierStatus = "UNKNOWN" if record is None else record["status"]
    view = StatusView() if record is None else StatusView(before, record["status_before_fee"])
    after = view.after(event_type)
    if after is None or after.status is None:
        return None
    r = new_record(event.dossier_id) if record is None else record.copy()
    target = after.status
    at: datetime = event.occurred_at
    mark_late(r, at, policy, passed=lambda due: due < at)  # as things stood before the event
    if event_type == "EXPLANATION_RECORDED":
        refused = _explain(r, event.payload_as(ExplanationRecorded), at)
        if refused is not None:
            return refused
    elif event_type == "APOLOGY_ISSUED":
        refused = _apologise(r, event.payload_as(ApologyIssued), at, policy)
        if refused is not None:
            return refused
    elif event_type == "DOSSIER_SUBMITTED":
        _submitted(r, event.payload_as(DossierSubmitted), procedure, policy)
    elif event_type == "PROCESSING_STEP_RECORDED":
        step = event.payload_as(ProcessingStepRecorded)
        r["department"] = step.get("to_department") or r["department"]
        r["agency_code"] = step.get("to_agency_code") or r["agency_code"]
    elif event_type == "DOSSIER_ACCEPTED":
        days = event.payload_as(DossierAccepted).get("deadline_working_days")
        if days is not None:
            r["deadline_working_days"] = int(days)
    elif event_type == "RESULT_RETURNED":
        r["returned_at"] = at
    r["status_before_fee"] = after.before_fee
    _move_clock(r, before, target, event_type, at, policy)
    actor = event.actor
    if actor is not None:
        r["handler"] = actor.copy()
        r["department"] = actor.get("department") or r["department"]
    r["status"] = target
    r["seen_events"] = bytes(r["seen_events"]) + event_digest(event.event_id)
    r["last_event_id"] = event.event_id
    r["version"] = int(r["version"]) + 1
    r["updated_at"] = at
    return r


def _submitted(
    r: DossierDeadline, payload: DossierSubmitted, procedure: CatalogEntry | None, policy: SlaPolicy
) -> None:
    r["procedure_code"] = payload["procedure_code"]
    r["agency_code"] = payload["agency_code"]
    if procedure is not None:
        r["agency_name"] = procedure.get("agency_name")
        r["deadline_working_days"] = int(procedure["deadline_working_days"])
        stated = procedure.get("supplement_clock_policy")
        r["supplement_policy"] = stated if stated == "PAUSE" or stated == "RESTART" else "UNKNOWN"
    if r["supplement_policy"] not in ("PAUSE", "RESTART"):
        r["supplement_policy"] = "RESTART" if policy.supplement_policy == "RESTART" else "PAUSE"


def _move_clock(
    r: DossierDeadline,
    before: DossierStatus,
    target: DossierStatus,
    event_type: str,
    at: datetime,
    policy: SlaPolicy,
) -> None:
    clock = r["clock"]
    if target == "ACCEPTED" and clock == "NOT_STARTED":
        _start(r, at, policy)
    elif target in ("SUPPLEMENT_REQUESTED", "FEE_REQUESTED") and clock == "RUNNING":
        _pause(r, at, "SUPPLEMENT" if target == "SUPPLEMENT_REQUESTED" else "FEE", policy)
    elif (
        clock == "PAUSED"
        and before in ("SUPPLEMENT_REQUESTED", "FEE_REQUESTED")
        and target not in ENDING
        and target != before
    ):
        restart = event_type == "SUPPLEMENT_RECEIVED" and r["supplement_policy"] == "RESTART"
        _resume(r, at, policy, restart=restart)
    if target in ENDING and r["finished_at"] is None:
        _finish(r, at, target, policy)


def _start(r: DossierDeadline, at: datetime, policy: SlaPolicy) -> None:
    calendar = policy.calendar
    days = int(r["deadline_working_days"] or 0)
    r["accepted_at"] = r["accepted_at"] or at
    r["clock_started_at"] = calendar.next_working_instant(at)
    r["clock"] = "RUNNING"
    _appoint(r, calendar.add_working_days(at, days), policy, original=True)


def _pause(r: DossierDeadline, at: datetime, reason: PauseReason, policy: SlaPolicy) -> None:
    appointment = r["appointment_at"]
    assert appointment is not None, "a running clock has an appointment"
    r["working_ms_left"] = _ms(policy.calendar.working_time_between(at, appointment))
    r["clock"] = "PAUSED"
    r["pause_reason"] = reason
    r["paused_since"] = at


def _resume(r: DossierDeadline, at: datetime, policy: SlaPolicy, *, restart: bool) -> None:
    calendar = policy.calendar
    if restart:
        appointment = calendar.add_working_days(at, int(r["deadline_working_days"] or 0))
        r["late"] = False
        _forgive(r)
    else:
        left = timedelta(milliseconds=int(r["working_ms_left"] or 0))
        if left >= timedelta(0):
            appointment = calendar.add_working_time(at, left)
        else:  # paused while overdue: still as far past the appointment
            appointment = calendar.subtract_working_time(calendar.next_working_instant(at), -left)
    r["clock"] = "RUNNING"
    r["pause_reason"] = "NONE"
    r["paused_since"] = None
    r["working_ms_left"] = None
    _appoint(r, appointment, policy, original=r["apology_issued_at"] is None)


def _apologise(
    r: DossierDeadline, payload: ApologyIssued, at: datetime, policy: SlaPolicy
) -> Refusal | None:
    if r["apology_issued_at"] is not None:
        return Refusal(
            "REAPPOINTMENT_REFUSED",
            f"an apology already set a new date ({_iso(r['appointment_at'])}, issued "
            f"{_iso(r['apology_issued_at'])}); a new date may be set only once",
        )
    new_date = payload["new_appointment_at"]
    if r["appointment_at"] is not None and new_date <= r["appointment_at"]:
        return Refusal(
            "REAPPOINTMENT_REFUSED",
            f"the new date {_iso(new_date)} is not after the appointment "
            f"{_iso(r['appointment_at'])}",
        )
    r["apology_issued_at"] = at
    r["apology_reason"] = payload.get("reason")
    paused_since = r["paused_since"]
    if r["clock"] == "PAUSED":
        assert paused_since is not None, "a paused clock has paused_since"
        r["working_ms_left"] = _ms(policy.calendar.working_time_between(paused_since, new_date))
    _appoint(r, new_date, policy, original=r["original_appointment_at"] is None)
    return None


def mark_late(
    r: DossierDeadline, at: datetime, policy: SlaPolicy, *, passed: Callable[[datetime], bool]
) -> None:
    """Set ``late_at`` (and the explanation's due date) if the clock runs and ``passed`` says
    the pre-apology appointment passed at ``at``; an event asks strictly (a result exactly at
    the appointment is on time), the OVERDUE timer at the instant itself. A record judged late
    before ``late_at`` existed (its ``late`` flag) is late from that appointment too."""
    original = r["original_appointment_at"] or r["appointment_at"]
    if r["late_at"] is not None or original is None:
        return
    if r["late"] or (r["clock"] == "RUNNING" and passed(original)):
        r["late_at"] = original
        r["explanation_due_at"] = policy.calendar.add_working_days(
            original, policy.explanation_days
        )


def _forgive(r: DossierDeadline) -> None:
    """Not late after all (judged on time, or a restarted clock): no explanation is owed,
    unless one was already recorded (it stands)."""
    if r["explanation_recorded_at"] is None:
        r["late_at"] = None
        r["explanation_due_at"] = None


def _explain(r: DossierDeadline, payload: ExplanationRecorded, at: datetime) -> Refusal | None:
    if r["explanation_recorded_at"] is not None:
        return Refusal(
            "VALIDATION_FAILED",
            f"an explanation was already recorded ({_iso(r['explanation_recorded_at'])}); "
            "one explanation per late dossier",
        )
    if r["late_at"] is None:
        due = r["original_appointment_at"] or r["appointment_at"]
        return Refusal(
            "VALIDATION_FAILED",
            f"the dossier is not late at {_iso(at)} (appointment {_iso(due)}, clock "
            f"{r['clock']}): an explanation is recorded once the appointment passed",
        )
    r["explanation_recorded_at"] = at
    r["explanation"] = payload.copy()
    return None


def _appoint(
    r: DossierDeadline, appointment: datetime, policy: SlaPolicy, *, original: bool
) -> None:
    calendar = policy.calendar
    r["appointment_at"] = appointment
    if original:
        r["original_appointment_at"] = appointment
    r["due_soon_at"] = calendar.subtract_working_time(appointment, policy.due_soon)
    r["apology_due_at"] = (
        None
        if r["apology_issued_at"] is not None
        else calendar.subtract_working_time(appointment, policy.apology_notice)
    )


def _finish(r: DossierDeadline, at: datetime, target: DossierStatus, policy: SlaPolicy) -> None:
    r["finished_at"] = at
    r["finished_status"] = target
    if r["clock"] in ("RUNNING", "PAUSED") and target == "RESULT_READY":
        deadline = r["original_appointment_at"] or r["appointment_at"]
        if r["clock"] == "PAUSED":  # ready during a pause: judged on the time left then
            late_by = -timedelta(milliseconds=int(r["working_ms_left"] or 0))
        else:
            assert deadline is not None, "a running clock has an appointment"
            late_by = policy.calendar.working_time_between(deadline, at)
        r["late"] = late_by > timedelta(0)
        r["working_ms_late"] = _ms(late_by) if r["late"] else None
        if not r["late"]:
            _forgive(r)
    r["clock"] = "STOPPED" if r["clock"] != "NOT_STARTED" else "NOT_STARTED"
    r["pause_reason"] = "NONE"
    r["paused_since"] = None


def _ms(delta: timedelta) -> int:
    return int(delta / timedelta(milliseconds=1))


def _iso(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat()
