"""The late list's explanation column and the list of late dossiers still owing one, from
hand-built records on the 24-hour weekday calendar of ``_late_support`` (pure)."""

from __future__ import annotations

from hub.sla import late_counts, missing_explanations
from tests.sla._late_support import CALENDAR, deadline, explanation, finished, march, vn

AS_OF = vn(4, 15, 9)
STP = {"agency_code": "STP", "agency_name": "Sở Tư pháp"}
XA = {"agency_code": "UBND-X", "agency_name": "UBND xã Tân Phú", "department": None}


def late(dossier_id: str, **overrides: object) -> dict[str, object]:
    """Due Thu 20 March, running, late since then, its explanation due Tue 25 March."""
    fields = {"late_at": vn(3, 20), "explanation_due_at": vn(3, 25)} | overrides
    return deadline(dossier_id, **fields)


def explained(at_month: int, at_day: int) -> dict[str, object]:
    return {"explanation_recorded_at": vn(at_month, at_day), "explanation": explanation()}


def test_the_month_shows_the_explanation_as_at_its_cutoff() -> None:
    entries = march(
        late("IN-MARCH", **explained(3, 24)),
        late("IN-APRIL", **explained(4, 10)),  # after the March cutoff: not in March's list
        late("NONE"),
    )
    assert entries["IN-MARCH"].explanation == "Đã giải trình"
    assert entries["IN-MARCH"].explanation_unit == "Phòng Hành chính tư pháp"
    assert entries["IN-MARCH"].explanation_due_at == vn(3, 25)
    assert entries["IN-APRIL"].explanation == "Chưa giải trình"
    assert entries["IN-APRIL"].explanation_recorded_at is None
    assert entries["NONE"].explanation == "Chưa giải trình"


def test_missing_explanations_across_periods_per_agency() -> None:
    records = [
        late("X-OVERDUE", **XA),
        late("STP-EXPLAINED", **STP, **explained(3, 24)),
        late("STP-AFTER-AS-OF", **STP, **explained(4, 16)),  # not yet, as of 15 April
        finished("STP-FEB", vn(2, 20), appointment_at=vn(2, 17), late_at=vn(2, 17), **STP),
        finished("STP-ON-TIME", vn(3, 19), appointment_at=vn(3, 20), **STP),
        finished("STP-STOPPED", vn(3, 24), "STOPPED", late_at=vn(3, 20), **STP),
        deadline("STP-NOT-YET-DUE", appointment_at=vn(4, 16), **STP),
    ]
    missing = missing_explanations(records, as_of=AS_OF, calendar=CALENDAR)
    assert [(e.agency_code, e.dossier_id, e.kind) for e in missing] == [
        ("STP", "STP-AFTER-AS-OF", "OVERDUE"),
        ("STP", "STP-FEB", "LATE_RETURNED"),
        ("UBND-X", "X-OVERDUE", "OVERDUE"),
    ]
    agencies = [c for c in late_counts(missing) if c.level == "agency"]
    assert [(c.agency_code, c.total, c.without_explanation) for c in agencies] == [
        ("STP", 2, 2),
        ("UBND-X", 1, 1),
    ]


def test_nothing_is_missing_before_anything_is_late() -> None:
    assert missing_explanations([late("A")], as_of=vn(3, 20, 7), calendar=CALENDAR) == []
    assert missing_explanations([], as_of=AS_OF, calendar=CALENDAR) == []
