"""TRANSFER_OVERDUE: the SLA worker's alert for a transfer step past its deadline (pure).

A dossier filed at a desk other than its agency's own travels desk -> agency -> desk, each step
with its own deadline (``hub.sla._transfers``, docs/desks.md). The worker's record keeps the step
awaited (``DossierDeadline.transfer``, a ``vn.dvchub.OpenTransfer``): ``track_transfer`` moves it
with each event, exactly as ``Transfers.after`` does for the late lists, so the alert and the
lists agree. When the awaited step's due time passes before the event that ends it, the timer
raises one TRANSFER_OVERDUE naming the step, the competent agency and the receiving desk; the
next step, with its own due time, is another alert. Raised whatever the dossier's own clock (a
dossier waits at a desk while its fee clock is paused too), never once the step is done or moot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from hub.dossier import DossierEvent, Placement
from hub.records import DossierDeadline, OpenTransfer, SlaAlert
from hub.sla._alerts import alert_id, alert_tag
from hub.sla._calendar import WorkingCalendar
from hub.sla._transfers import StepKind, TransferDeadlines, Transfers, TransferStep

KIND: Final = "TRANSFER_OVERDUE"


def track_transfer(
    r: DossierDeadline, event: DossierEvent, calendar: WorkingCalendar, deadlines: TransferDeadlines
) -> None:
    """Move ``r``'s awaited transfer step past ``event`` (in place; None: filed at the agency's
    own desk)."""
    after = _transfers(r).after(event, calendar, deadlines)
    placement = after.placement
    if event.event_type == "AGENCY_TRANSFERRED" and placement.competent_agency is not None:
        # the dossier's deadline, alerts and late lists go with the competent agency (its
        # catalogue name was the old agency's)
        r["agency_code"], r["agency_name"] = placement.competent_agency, None
    if not placement.via_desk or placement.competent_agency is None:
        r["transfer"] = None
        return
    step = after.open_step()
    r["transfer"] = {
        "receiving_desk": str(placement.receiving_desk), "competent_agency":
        placement.competent_agency, "where": placement.where,
        "step": None if step is None else step.kind,
        "method": "UNKNOWN" if step is None else step.method,
        "started_at": None if step is None else step.started_at,
        "due_at": None if step is None else step.due_at,
    }  # fmt: skip


def transfer_due(r: DossierDeadline) -> datetime | None:
    """When the awaited step's alert is due, None when none is (or it was raised)."""
    open_ = _awaited(r)
    return None if open_ is None else open_[1]


def raise_transfer_alert(
    r: DossierDeadline, now: datetime, calendar: WorkingCalendar
) -> tuple[DossierDeadline, list[SlaAlert]]:
    """The record with the awaited step's alert raised if it is due at ``now``, and the alert."""
    open_ = _awaited(r)
    if open_ is None or open_[1] > now:
        return r, []
    step, due, transfer = open_
    new = r.copy()
    new["alerts_raised"] = [*r["alerts_raised"], _tag(step, due)]
    new["version"] = int(r["version"]) + 1
    alert: SlaAlert = {
        "alert_id": alert_id(str(r["dossier_id"]), f"{KIND}:{step}", due),
        "dossier_id": r["dossier_id"], "kind": KIND,
        "agency_code": transfer["competent_agency"], "procedure_code": r["procedure_code"] or "",
        "due_at": due, "raised_at": now,
        "working_minutes_left": int(calendar.working_time_between(now, due).total_seconds() // 60),
        "handler": r["handler"], "transfer_step": step,
        "receiving_desk": transfer["receiving_desk"],
    }  # fmt: skip
    return new, [alert]


def _awaited(r: DossierDeadline) -> tuple[str, datetime, OpenTransfer] | None:
    transfer = r.get("transfer")
    if transfer is None:
        return None
    step, due = transfer.get("step"), transfer.get("due_at")
    if step is None or due is None or _tag(step, due) in r["alerts_raised"]:
        return None
    return step, due, transfer


def _tag(step: str, due: datetime) -> str:
    return alert_tag(f"{KIND}:{step}", due)


def _transfers(r: DossierDeadline) -> Transfers:
    """The ``Transfers`` the record's awaited step stands for (the done steps are not kept)."""
    transfer = r.get("transfer")
    if transfer is None:
        return Transfers(str(r["dossier_id"]))
    placement = Placement(transfer["competent_agency"], transfer["receiving_desk"],
                          transfer["where"])  # type: ignore[arg-type]  # fmt: skip
    kind, started, due = transfer.get("step"), transfer.get("started_at"), transfer.get("due_at")
    steps: tuple[TransferStep, ...] = ()
    if kind is not None and started is not None and due is not None:
        step_kind: StepKind = kind  # type: ignore[assignment]
        steps = (TransferStep(step_kind, transfer["competent_agency"], transfer["receiving_desk"],
                              transfer.get("method", "UNKNOWN"), started, due),)  # fmt: skip
    return Transfers(str(r["dossier_id"]), placement, steps)
