"""Helpers of the late-list tests: hand-built ``DossierDeadline`` records and a fake calendar.

The calendar is a fake (``WeekdayCalendar``): Monday to Friday count whole 24-hour days in
Vietnam time, weekends count nothing, so a working day is 24 h and expected lateness is easy
to compute by hand. The real ``WorkingCalendar`` (office hours, holidays) is tested elsewhere.

Most cases report March 2025 (1 March is a Saturday, 31 March a Monday) as of 15 April.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.sla._late import LateDossier, Period, late_dossiers

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_MS = 24 * 3600 * 1000


class WeekdayCalendar:
    """Mon–Fri are working days of 24 h (Vietnam time); Saturday and Sunday do not count."""

    day_length: timedelta = timedelta(hours=24)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta(0)
        cursor, end = start.astimezone(VN), end.astimezone(VN)
        while cursor < end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(), tzinfo=VN)
            step = min(midnight, end)
            if cursor.weekday() < 5:
                total += step - cursor
            cursor = step
        return total


CALENDAR = WeekdayCalendar()
MARCH = Period.month("2025-03")
APRIL = Period.month("2025-04")


def vn(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    """A 2025 Vietnam wall time, as fastavro decodes it: aware, in UTC."""
    return datetime(2025, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


AS_OF = vn(4, 15, 9)


def deadline(dossier_id: str, **overrides: Any) -> dict[str, Any]:
    """A decoded DossierDeadline: a dossier accepted 3 March, running, due 20 March.

    ``original_appointment_at`` follows ``appointment_at`` unless given: the processor keeps
    them equal until an apology sets a new date, the original staying the pre-apology one.
    """
    record: dict[str, Any] = {
        "dossier_id": dossier_id,
        "procedure_code": "1.001234",
        "agency_code": "STP",
        "agency_name": "Sở Tư pháp",
        "department": "Phòng Hành chính tư pháp",
        "handler": {
            "official_id": "cb-01",
            "official_name": "Nguyễn Văn An",
            "title": "Chuyên viên",
            "department": "Phòng Hành chính tư pháp",
            "agency_code": "STP",
        },
        "status": "PROCESSING",
        "deadline_working_days": 10,
        "supplement_policy": "PAUSE",
        "accepted_at": vn(3, 3),
        "clock_started_at": vn(3, 3),
        "original_appointment_at": vn(3, 20),
        "appointment_at": vn(3, 20),
        "apology_issued_at": None,
        "apology_reason": None,
        "clock": "RUNNING",
        "pause_reason": "NONE",
        "paused_since": None,
        "working_ms_left": None,
        "due_soon_at": None,
        "apology_due_at": None,
        "finished_at": None,
        "finished_status": None,
        "returned_at": None,
        "late": False,
        "working_ms_late": None,
        "alerts_raised": [],
        "seen_events": b"",
        "last_event_id": "",
        "version": 1,
        "updated_at": vn(3, 3),
        "late_at": None,
        "explanation_due_at": None,
        "explanation_recorded_at": None,
        "explanation": None,
    }
    unknown = set(overrides) - set(record)
    assert not unknown, f"not DossierDeadline fields: {unknown}"
    if "appointment_at" in overrides and "original_appointment_at" not in overrides:
        # As the processor keeps them: equal until an apology sets a new date.
        overrides["original_appointment_at"] = overrides["appointment_at"]
    record.update(overrides)
    return record


def finished(
    dossier_id: str, at: datetime | int, status: str = "RESULT_READY", **overrides: Any
) -> dict[str, Any]:
    fields: dict[str, Any] = {"status": status, "clock": "STOPPED", "finished_at": at}
    return deadline(dossier_id, **(fields | {"finished_status": status} | overrides))


def explanation(unit_code: str = "STP-HCTP", unit_name: str | None = "Phòng Hành chính tư pháp",
                ) -> dict[str, Any]:  # fmt: skip
    """An ExplanationRecorded payload as the SLA keeps it in the record."""
    return {"unit_code": unit_code, "unit_name": unit_name, "official_id": "cb-07",
            "official_name": "Lê Thị Bình", "reason": "Thiếu cán bộ thụ lý",
            "document_id": "giai-trinh", "sha256": "12" * 32, "recorded_at": vn(3, 14)}  # fmt: skip


def by_id(entries: list[LateDossier]) -> dict[str, LateDossier]:
    return {entry.dossier_id: entry for entry in entries}


def march(*records: Mapping[str, Any], as_of: datetime = AS_OF) -> dict[str, LateDossier]:
    return by_id(late_dossiers(records, MARCH, as_of=as_of, calendar=CALENDAR))
