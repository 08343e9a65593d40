"""The receiving desks' own work (acceptance anywhere in the province, DOMAIN.md §7), pure.

KPIs stay counted by competent agency (``hub.kpi``'s folds follow ``AgencyTransferred``); a
desk that receives dossiers for other agencies is reported separately, one row per desk and
period, from the dossiers filed there (``DossierSubmitted.receiving_desk``) and their transfer
steps (``hub.sla.Transfers``: the same deadlines the SLA judges):

* **received**: dossiers filed at the desk in the period;
* **forwarded** / **forwarded on time**: its dossiers forwarded (``DossierForwarded``) in the
  period, and those forwarded by the FORWARD step's deadline;
* **results received**: results the agencies sent back that reached the desk in the period
  (its TO_DESK steps done by ``ResultReceivedByDesk``);
* **returned** / **returned on time**: results the desk returned to the applicant in the
  period (``ResultReturned``), and those returned by the appointment (``DossierAccepted``'s
  ``appointment_at``, moved by an ``ApologyIssued``); a dossier with no appointment known is
  returned but not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from hub.dossier import DeskDirectory, DossierEvent
from hub.records import ApologyIssued, DossierAccepted
from hub.sla import TransferDeadlines, Transfers, WorkingCalendar


@dataclass
class _Desk:
    received: int = 0
    returned: int = 0
    returned_on_time: int = 0
    dossiers: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class DeskRow:
    """One desk's own work in a period."""

    desk_code: str
    desk_name: str
    kind: str
    received: int
    forwarded: int
    forwarded_on_time: int
    results_received: int
    returned: int
    returned_on_time: int


def desk_report(
    events: Iterable[DossierEvent],
    calendar: WorkingCalendar,
    deadlines: TransferDeadlines,
    desks: DeskDirectory,
    start: datetime,
    end: datetime,
) -> list[DeskRow]:
    """One row per desk with a dossier filed at it (events of any period, in each dossier's
    order), counting what it did in ``[start, end)``; by desk code."""
    transfers: dict[str, Transfers] = {}
    appointments: dict[str, datetime | None] = {}
    work: dict[str, _Desk] = {}
    for event in events:
        dossier = event.dossier_id
        now = (transfers.get(dossier) or Transfers(dossier)).after(event, calendar, deadlines)
        transfers[dossier] = now
        desk = now.placement.receiving_desk
        if desk is None:
            continue
        mine = work.setdefault(desk, _Desk())
        mine.dossiers.add(dossier)
        at, kind = event.occurred_at, event.event_type
        if kind == "DOSSIER_ACCEPTED":
            appointments[dossier] = event.payload_as(DossierAccepted).get("appointment_at")
        elif kind == "APOLOGY_ISSUED":
            appointments[dossier] = event.payload_as(ApologyIssued)["new_appointment_at"]
        if not start <= at < end:
            continue
        if kind == "DOSSIER_SUBMITTED":
            mine.received += 1
        elif kind == "RESULT_RETURNED":
            mine.returned += 1
            due = appointments.get(dossier)
            mine.returned_on_time += due is not None and at <= due
    return [_row(code, work[code], transfers, calendar, desks, start, end) for code in sorted(work)]


def _row(
    code: str,
    work: _Desk,
    transfers: dict[str, Transfers],
    calendar: WorkingCalendar,
    desks: DeskDirectory,
    start: datetime,
    end: datetime,
) -> DeskRow:
    steps = [
        s
        for dossier in sorted(work.dossiers)
        for s in transfers[dossier].steps
        if s.done_at is not None and start <= s.done_at < end
    ]
    forwarded = [s for s in steps if s.closed_by == "DOSSIER_FORWARDED"]
    desk = desks.get(code)
    return DeskRow(
        desk_code=code, desk_name=desks.name(code), kind=desk.kind if desk else "",
        received=work.received, forwarded=len(forwarded),
        forwarded_on_time=sum(s.late_days(calendar, end) == 0 for s in forwarded),
        results_received=sum(s.closed_by == "RESULT_RECEIVED_BY_DESK" for s in steps),
        returned=work.returned, returned_on_time=work.returned_on_time,
    )  # fmt: skip
