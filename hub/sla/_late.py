"""Late-dossier lists for publication: who has late dossiers, whether they apologised and
whether the responsible unit explained the delay.

The province must publish, per period, the agencies, departments and officials with late
dossiers and the apology status of each ("Phiếu xin lỗi và hẹn lại ngày trả kết quả"); every
late dossier also needs the unit's explanation to the head of the agency (báo cáo giải trình),
and ``missing_explanations`` lists those still owing one. This
module turns ``DossierDeadline`` records (decoded Avro dicts, as the SLA processor keeps them)
into those lists, counts and exports. It is pure: no Kafka, no clock — the caller passes
``as_of`` and a working calendar.

Lateness counts, as the processor judges it, from ``original_appointment_at`` (the pre-apology
appointment): an apology's new date does not make a dossier on time.

A record is the dossier's *current* state, so a past period is rebuilt as well as it can be
"as at the cutoff" (``min(period.end, as_of)``): a finish, apology or pause after the cutoff is
ignored, so a published month does not change when it is regenerated later.

The lists are counted by ``hub.sla._late_counts`` and exported by ``hub.sla._late_export``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

OVERDUE = "OVERDUE"
LATE_RETURNED = "LATE_RETURNED"

APOLOGISED = "Đã xin lỗi"
NOT_APOLOGISED = "Chưa xin lỗi"
EXPLAINED = "Đã giải trình"
NOT_EXPLAINED = "Chưa giải trình"

# Handling ended without a result: never a late return (refusal happens before the clock).
NOT_A_RESULT = frozenset({"REFUSED", "WITHDRAWN", "STOPPED"})

_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: Before any dossier: where the periods of ``Period.until`` begin.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


class LatenessCalendar(Protocol):
    """What lateness needs from a working calendar (the ``WorkingCalendar`` keeps the length
    of a day as ``hours.day_length``: pass it through a property or a small adapter)."""

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day: turns working time into working days."""
        ...

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (both aware)."""
        ...


def _require_aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
    return moment


@dataclass(frozen=True)
class Period:
    """A reporting period, half-open ``[start, end)``, as published (a month)."""

    start: datetime
    end: datetime
    label: str

    def __post_init__(self) -> None:
        _require_aware(self.start, "Period.start")
        _require_aware(self.end, "Period.end")
        if self.end <= self.start:
            raise ValueError(f"Period {self.label!r} ends ({self.end}) before it starts")

    @classmethod
    def month(cls, text: str, tz: ZoneInfo = VN_TZ) -> Period:
        """The calendar month ``"YYYY-MM"`` in ``tz`` (business months begin at local midnight)."""
        match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"period must be a month written YYYY-MM (e.g. 2025-03), got {text!r}")
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"period month must be 01 to 12, got {text!r}")
        if not 1 <= year <= 9998:
            raise ValueError(f"period year out of range, got {text!r}")
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        return cls(
            start=datetime(year, month, 1, tzinfo=tz),
            end=datetime(*following, 1, tzinfo=tz),
            label=f"{year:04d}-{month:02d}",
        )

    @classmethod
    def until(cls, as_of: datetime, tz: ZoneInfo = VN_TZ) -> Period:
        """Every period up to ``as_of``: what is late at all, labelled by ``as_of``'s local day."""
        return cls(_BEGINNING, _require_aware(as_of, "as_of"),
                   f"until {as_of.astimezone(tz).date().isoformat()}")  # fmt: skip


@dataclass(frozen=True)
class LateDossier:
    """One late dossier in a period: OVERDUE (unfinished at the cutoff) or LATE_RETURNED."""

    kind: str
    dossier_id: str
    procedure_code: str | None
    agency_code: str | None
    agency_name: str | None
    department: str | None
    official_id: str | None
    official_name: str | None
    accepted_at: datetime | None
    original_appointment_at: datetime | None
    appointment_at: datetime | None
    reappointed: bool
    apology_issued_at: datetime | None
    apology_reason: str | None
    finished_at: datetime | None
    finished_status: str | None
    working_days_late: float
    #: when the unit's explanation is due (None for a record kept before explanations)
    explanation_due_at: datetime | None = None
    #: when it was recorded, if before the cutoff
    explanation_recorded_at: datetime | None = None
    #: the unit that explained (its name, else its code)
    explanation_unit: str | None = None
    #: the desk that received it when not the agency's own (acceptance anywhere, docs/desks.md)
    receiving_desk: str | None = None

    @property
    def apology(self) -> str:
        """The published apology status."""
        return APOLOGISED if self.apology_issued_at is not None else NOT_APOLOGISED

    @property
    def explanation(self) -> str:
        """The published explanation status."""
        return EXPLAINED if self.explanation_recorded_at is not None else NOT_EXPLAINED

    @property
    def due_at(self) -> datetime | None:
        """The appointment lateness counts from: the pre-apology one (shifted by pauses)."""
        return self.original_appointment_at or self.appointment_at

    @property
    def reappointed_at(self) -> datetime | None:
        """The new date set by the apology, if any."""
        return self.appointment_at if self.reappointed else None


# --- reading records -----------------------------------------------------------------------


def _text(record: Mapping[str, object], name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) and value else None


def _moment(record: Mapping[str, object], name: str) -> datetime | None:
    """A timestamp field: aware datetime as fastavro decodes it (epoch ms tolerated)."""
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        return _require_aware(value, f"{name} of dossier {record.get('dossier_id')!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    raise TypeError(f"{name} of dossier {record.get('dossier_id')!r} is not a time: {value!r}")


def _millis(record: Mapping[str, object], name: str) -> int | None:
    value = record.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _enum(record: Mapping[str, object], name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) else None


def _days(working: timedelta, calendar: LatenessCalendar) -> float:
    if working <= timedelta(0):
        return 0.0
    return round(working / calendar.day_length, 1)


def _working_days(start: datetime, end: datetime, calendar: LatenessCalendar) -> float:
    return _days(calendar.working_time_between(start, end), calendar) if end > start else 0.0


# --- classifying ---------------------------------------------------------------------------
#
# As the SLA processor (``hub.sla._deadline``) keeps the record, ``original_appointment_at`` is
# the appointment a dossier is judged against: the first one, shifted by pauses until an
# apology, kept when the apology sets a new ``appointment_at``. A dossier with an apology is
# late: it ends after its pre-apology appointment.


def _deadline(record: Mapping[str, object]) -> datetime | None:
    """The appointment lateness counts from: the pre-apology one."""
    return _moment(record, "original_appointment_at") or _moment(record, "appointment_at")


def _apology_at(record: Mapping[str, object], cutoff: datetime) -> datetime | None:
    """The apology, if issued before the cutoff (a later one did not exist at the cutoff)."""
    issued = _moment(record, "apology_issued_at")
    return issued if issued is not None and issued < cutoff else None


def _late_returned_days(
    record: Mapping[str, object], period: Period, cutoff: datetime, calendar: LatenessCalendar
) -> float | None:
    """Working days late of a result finished late within the period, else None.

    Recomputed from the record's times as the processor judges a finish, so a record whose
    ``late`` flag lags (or predates it) is still right; the flag decides only without times.
    """
    finished = _moment(record, "finished_at")
    if finished is None or not period.start <= finished < cutoff:
        return None
    if _enum(record, "finished_status") in NOT_A_RESULT:
        return None
    left = _millis(record, "working_ms_left")
    if left is not None:  # finished during a pause: judged on the time left at the pause
        return _days(timedelta(milliseconds=-left), calendar) if left < 0 else None
    deadline = _deadline(record)
    if deadline is not None:
        return _working_days(deadline, finished, calendar) if finished > deadline else None
    late_ms = _millis(record, "working_ms_late")
    if record.get("late") is True and late_ms is not None and late_ms > 0:
        return _days(timedelta(milliseconds=late_ms), calendar)
    return None


def _overdue_days(
    record: Mapping[str, object], cutoff: datetime, calendar: LatenessCalendar
) -> float | None:
    """Working days late at the cutoff of a dossier still being handled then, else None."""
    finished = _moment(record, "finished_at")
    if finished is not None and finished < cutoff:
        return None
    deadline = _deadline(record)
    if finished is None:  # still open: the clock says whether it is running
        clock = _enum(record, "clock")
        paused_since = _moment(record, "paused_since")
        if clock == "PAUSED" and (paused_since is None or paused_since < cutoff):
            # Paused at the cutoff: late only if it paused while overdue, as late as then.
            if deadline is not None and paused_since is not None:
                if deadline < paused_since:
                    return _working_days(deadline, paused_since, calendar)
                return None
            left = _millis(record, "working_ms_left")
            return _days(timedelta(milliseconds=-left), calendar) if left and left < 0 else None
        if clock not in ("RUNNING", "PAUSED"):
            return None
    # Running at the cutoff (or finished after it, its clock then unknown: taken as running).
    if deadline is None or deadline >= cutoff:
        return None
    return _working_days(deadline, cutoff, calendar)


def _explanation(
    record: Mapping[str, object], cutoff: datetime
) -> tuple[datetime | None, str | None]:
    """When the explanation was recorded and by which unit, if before the cutoff."""
    recorded = _moment(record, "explanation_recorded_at")
    explanation = record.get("explanation")
    if recorded is None or recorded >= cutoff or not isinstance(explanation, Mapping):
        return None, None
    return recorded, _text(explanation, "unit_name") or _text(explanation, "unit_code")


def _entry(record: Mapping[str, object], kind: str, days: float, cutoff: datetime) -> LateDossier:
    handler = record.get("handler")
    official: Mapping[str, object] = handler if isinstance(handler, Mapping) else {}
    apology_at = _apology_at(record, cutoff)
    explained_at, explained_by = _explanation(record, cutoff)
    finished = kind == LATE_RETURNED  # an overdue dossier was not finished at the cutoff
    return LateDossier(
        kind=kind,
        dossier_id=str(record["dossier_id"]),
        procedure_code=_text(record, "procedure_code"),
        agency_code=_text(record, "agency_code"),
        agency_name=_text(record, "agency_name"),
        department=_text(record, "department"),
        official_id=_text(official, "official_id"),
        official_name=_text(official, "official_name"),
        accepted_at=_moment(record, "accepted_at"),
        original_appointment_at=_moment(record, "original_appointment_at"),
        # Before its apology the dossier's appointment was the pre-apology one.
        appointment_at=_moment(record, "appointment_at") if apology_at else _deadline(record),
        reappointed=apology_at is not None,
        apology_issued_at=apology_at,
        apology_reason=_text(record, "apology_reason") if apology_at is not None else None,
        finished_at=_moment(record, "finished_at") if finished else None,
        finished_status=_enum(record, "finished_status") if finished else None,
        working_days_late=days,
        explanation_due_at=_moment(record, "explanation_due_at"),
        explanation_recorded_at=explained_at,
        explanation_unit=explained_by,
        receiving_desk=_receiving_desk(record),
    )


def _receiving_desk(record: Mapping[str, object]) -> str | None:
    transfer = record.get("transfer")
    return _text(transfer, "receiving_desk") if isinstance(transfer, Mapping) else None


def publication_order(entry: LateDossier) -> tuple[str, str, str, str]:
    """Agency code, department, official, dossier: the order the lists are published in."""
    return (
        entry.agency_code or "",
        entry.department or "",
        entry.official_name or entry.official_id or "",
        entry.dossier_id,
    )


def late_dossiers(
    deadlines: Iterable[Mapping[str, object]],
    period: Period,
    *,
    as_of: datetime,
    calendar: LatenessCalendar,
) -> list[LateDossier]:
    """The dossiers late in ``period`` as known at ``as_of``, sorted for publication.

    LATE_RETURNED: a result finished in the period (before ``as_of``) after its pre-apology
    appointment. OVERDUE: not finished at the cutoff ``min(period.end, as_of)``, that
    appointment before it. The two are exclusive; lateness is working days past the
    appointment (1 decimal) at the finish, at the cutoff, or — paused while overdue — at the
    pause. Refusals, withdrawals and stops are never late returns.
    """
    _require_aware(as_of, "as_of")
    cutoff = min(period.end, as_of)
    entries: list[LateDossier] = []
    if cutoff <= period.start:
        return entries
    for record in deadlines:
        days = _late_returned_days(record, period, cutoff, calendar)
        if days is not None:
            entries.append(_entry(record, LATE_RETURNED, days, cutoff))
            continue
        days = _overdue_days(record, cutoff, calendar)
        if days is not None:
            entries.append(_entry(record, OVERDUE, days, cutoff))
    entries.sort(key=publication_order)
    return entries


def missing_explanations(
    deadlines: Iterable[Mapping[str, object]], *, as_of: datetime, calendar: LatenessCalendar
) -> list[LateDossier]:
    """The dossiers late at ``as_of`` (overdue then, or returned late at any time before it)
    whose unit has not recorded its explanation yet, sorted for publication (per agency).

    The late list of every period up to ``as_of`` at once, so a dossier is in it exactly when
    a late list shows it without an explanation; one that ended without a result is in none.
    """
    if _require_aware(as_of, "as_of") <= _BEGINNING:
        return []
    entries = late_dossiers(deadlines, Period.until(as_of), as_of=as_of, calendar=calendar)
    return [entry for entry in entries if entry.explanation_recorded_at is None]
