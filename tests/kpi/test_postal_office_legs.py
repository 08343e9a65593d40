"""QĐ 45's postal counts take the applicant's legs only: a dossier filed at another desk travels
between offices by VNPost too, reported by VNPost as pickups (docs/desks.md), and is told apart by
its waybills. Hand-computed, March 2025, postal deadlines 1 (pickup) and 2 (return) working days.

* P1 (applicant's postal intake, UBND-LX): pickup ordered Mon 3 08:10, collected Tue 4 08:10:
  one pickup, on time.
* D1 (filed at MC-CHOMOI for UBND-LX): DESK_TO_AGENCY ordered Mon 3 16:00, collected Tue 4,
  delivered Wed 5; AGENCY_TO_DESK ordered Fri 7, collected Mon 10, delivered Tue 11 (as VNPost
  reports them: INTAKE_PICKUP). Neither is a pickup or a return of the applicant's.
"""

from __future__ import annotations

from typing import Any

from hub.kpi import postal_figures
from tests.kpi._support import Record, Rig, dossier, event, procedure, vn

VERSIONS = [procedure("LX-F", "UBND-LX", "UBND TP Long Xuyên", "FULL_ONLINE")]
CATALOG = {"LX-F": VERSIONS[0]}
W_INTAKE, W_TO_AGENCY, W_TO_DESK = "EE000000017VN", "EE000000025VN", "EE000000034VN"


def _leg(dossier_id: str, direction: str, waybill: str, *times: Any) -> list[Record]:
    """An order at ``times[0]``, then VNPost's statuses (reported by service) at the others."""
    ordered, *moves = times
    reported = "INTAKE_PICKUP"  # every leg here is a pickup at VNPost
    out = [event(dossier_id, "POSTAL_ORDER_CREATED", ordered, direction=direction,
                 waybill_number=waybill, cod_amount_vnd=0)]  # fmt: skip
    for at, status in zip(moves, ("COLLECTED", "DELIVERED"), strict=False):
        out.append(event(dossier_id, "POSTAL_STATUS_CHANGED", at, direction=reported,
                         waybill_number=waybill, status=status))  # fmt: skip
    return out


def _events() -> list[Record]:
    p1 = dossier("P1", CATALOG, "LX-F", "POSTAL", vn(2025, 3, 3, 9))
    p1[0]["occurred_at"] = vn(2025, 3, 3, 8)
    p1[1:1] = _leg("P1", "INTAKE_PICKUP", W_INTAKE, vn(2025, 3, 3, 8, 10), vn(2025, 3, 4, 8, 10))
    d1 = dossier("D1", CATALOG, "LX-F", "DIRECT", vn(2025, 3, 3, 10))
    d1[0]["payload"][1]["receiving_desk"] = "MC-CHOMOI"
    d1 += _leg("D1", "DESK_TO_AGENCY", W_TO_AGENCY, vn(2025, 3, 3, 16), vn(2025, 3, 4, 9),
               vn(2025, 3, 5, 9))  # fmt: skip
    d1 += _leg("D1", "AGENCY_TO_DESK", W_TO_DESK, vn(2025, 3, 7, 14), vn(2025, 3, 10, 9),
               vn(2025, 3, 11, 9))  # fmt: skip
    return p1 + d1


def test_a_desks_office_legs_are_not_the_applicants_postal_legs(rig: Rig) -> None:
    kpis = rig.compute(_events(), VERSIONS)
    rows, total = postal_figures(kpis, "2025-03")
    [lx] = rows
    assert (lx.picked_up, lx.returned, lx.cod_vnd) == (1, 0, 0)  # P1's pickup alone
    assert total.picked_up == 1
    d1, p1 = kpis.dossiers["D1"], kpis.dossiers["P1"]
    assert d1["office_waybills"] == [W_TO_AGENCY, W_TO_DESK]
    assert (d1["picked_up"], d1["pickup_ordered_at"], d1["returned_by_post"]) == (
        False, None, False)  # fmt: skip
    assert (p1["picked_up"], p1["office_waybills"]) == (True, [])
