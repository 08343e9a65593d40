"""The postal legs of a dossier (QĐ 45/2016, DOMAIN.md §5 and §7), pure.

VNPost reports on ``dossier.events``: ``PostalOrderCreated`` when it registers an order (a
pickup of the dossier from the applicant, or a delivery of the result to them, with the cash to
collect on delivery), ``PostalStatusChanged`` as the order moves. A leg is counted once, when it
is done, in the period it was done in:

* **picked up** at the first ``COLLECTED`` of the pickup;
* **returned** at the first ``DELIVERED`` of the delivery, with its cash on delivery collected.

On time: done no later than the postal deadline, that many working days (``PostalDeadlines``,
the SLA's working calendar) after the order was registered. A leg done with no order seen is
late: nothing shows when its deadline started.

Only the applicant's legs count. A dossier filed at another desk of the province travels between
offices by post too (``DESK_TO_AGENCY``, ``AGENCY_TO_AGENCY``, ``AGENCY_TO_DESK``, docs/desks.md),
and VNPost reports those consignments as pickups (its callbacks name the service, not the leg):
their waybills, from their ``PostalOrderCreated``, are kept in ``office_waybills`` so their
statuses are told apart and never counted as the applicant's intake or return.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from hub.dossier import DossierEvent
from hub.kpi._config import PostalDeadlines
from hub.kpi._counts import Counted
from hub.records import KpiDossier, PostalOrderCreated, PostalStatusChanged
from hub.sla import WorkingCalendar

#: A receiving desk's office-to-office legs (``hub.routing``'s transfer orders).
OFFICE_LEGS: Final = frozenset({"DESK_TO_AGENCY", "AGENCY_TO_AGENCY", "AGENCY_TO_DESK"})


def postal(
    r: KpiDossier, event: DossierEvent, calendar: WorkingCalendar, deadlines: PostalDeadlines
) -> list[Counted]:
    """Record a postal event on ``r``; the fact of a leg it completes."""
    at = event.occurred_at
    if event.event_type == "POSTAL_ORDER_CREATED":
        order = event.payload_as(PostalOrderCreated)
        if order["direction"] in OFFICE_LEGS:
            r["office_waybills"] = [*r.get("office_waybills", []), order["waybill_number"]]
        elif order["direction"] == "INTAKE_PICKUP" and r["pickup_ordered_at"] is None:
            r["pickup_ordered_at"] = at
        elif order["direction"] == "RESULT_DELIVERY" and r["delivery_ordered_at"] is None:
            r["delivery_ordered_at"] = at
            r["cod_amount_vnd"] = order["cod_amount_vnd"]
        return []
    if event.event_type != "POSTAL_STATUS_CHANGED":
        return []
    change = event.payload_as(PostalStatusChanged)
    if change["waybill_number"] in r.get("office_waybills", []):
        return []
    leg, status = change["direction"], change["status"]
    if leg == "INTAKE_PICKUP" and status == "COLLECTED" and not r["picked_up"]:
        r["picked_up"] = True
        on_time = _in_time(calendar, r["pickup_ordered_at"], deadlines.pickup_days, at)
        return [("POSTAL_PICKUP", at, {"on_time": on_time})]
    if leg == "RESULT_DELIVERY" and status == "DELIVERED" and not r["returned_by_post"]:
        r["returned_by_post"] = True
        on_time = _in_time(calendar, r["delivery_ordered_at"], deadlines.return_days, at)
        return [("POSTAL_RETURN", at, {"on_time": on_time, "amount_vnd": r["cod_amount_vnd"]})]
    return []


def _in_time(
    calendar: WorkingCalendar, ordered_at: datetime | None, days: int, done_at: datetime
) -> bool:
    if ordered_at is None:
        return False
    return done_at <= calendar.add_working_days(ordered_at, days)
