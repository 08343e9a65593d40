"""Reading deadlines back: the ``sla.deadlines`` topic, and a record as seen at a given moment.

A stored record says where the clock stood at the last change; what an integrator asks is how
much working time is left *now* and whether the dossier is late *now*. ``deadline_view`` answers
that from the record and the clock, with the same calendar the processor used.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from hub.materialized import read_compacted
from hub.records import DossierDeadline
from hub.serde import AvroSerde
from hub.settings import Settings
from hub.sla._calendar import WorkingCalendar
from hub.topics import SLA_DEADLINES


class DeadlineView(TypedDict):
    """A dossier's deadline as of ``as_of`` (the ``deadline`` of the query API's answer)."""

    appointment_at: datetime | None
    original_appointment_at: datetime | None
    apology_issued_at: datetime | None
    clock: str
    pause_reason: str
    paused_since: datetime | None
    working_minutes_left: int | None
    late: bool
    as_of: datetime


def deadline_view(
    record: DossierDeadline, as_of: datetime, calendar: WorkingCalendar
) -> DeadlineView:
    clock = str(record["clock"])
    left: timedelta | None = None
    late = record["late"]
    appointment, ms_left = record["appointment_at"], record["working_ms_left"]
    if clock == "RUNNING" and appointment is not None:
        left = calendar.working_time_between(as_of, appointment)
        late = late or left < timedelta(0)
    elif clock == "PAUSED" and ms_left is not None:
        left = timedelta(milliseconds=ms_left)
        late = late or left < timedelta(0)
    return {
        "appointment_at": record["appointment_at"],
        "original_appointment_at": record["original_appointment_at"],
        "apology_issued_at": record["apology_issued_at"],
        "clock": clock,
        "pause_reason": str(record["pause_reason"]),
        "paused_since": record["paused_since"],
        "working_minutes_left": None if left is None else int(left.total_seconds() // 60),
        "late": late,
        "as_of": as_of,
    }


def read_deadlines(
    settings: Settings, serde: AvroSerde, *, timeout_s: float = 60.0
) -> dict[str, DossierDeadline]:
    """dossier id -> latest DossierDeadline on ``sla.deadlines`` (read to its current end)."""
    topic = SLA_DEADLINES.name(settings.topic_prefix)
    return read_compacted(settings, topic, serde, DossierDeadline, timeout_s=timeout_s)
