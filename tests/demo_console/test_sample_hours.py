"""Sample dossiers move in office hours, and the sample catalogue names its agencies."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from dvchub.demo._sla import START
from hub.sample import (
    PROCEDURES,
    SAMPLE_HOURS,
    VN_TZ,
    agency_name,
    catalog_entry,
    office_calendar,
    sample_events,
)
from hub.sla import WorkingCalendar

#: The working calendar of the domain (DOMAIN.md: working days, holidays, make-up Saturdays).
_DOMAIN = WorkingCalendar()


def _in_sample_hours(moment: datetime) -> bool:
    local = moment.astimezone(VN_TZ).time()
    return any(start <= local <= end for start, end in SAMPLE_HOURS)


@pytest.mark.parametrize(
    "start",
    [datetime(2025, 3, 3, tzinfo=VN_TZ),  # the demo's dossiers: a Monday
     datetime(2025, 1, 25, tzinfo=VN_TZ),  # a Saturday, then the Tết holiday
     datetime(2025, 4, 26, 21, 0, tzinfo=VN_TZ),  # a make-up working Saturday, at night
     datetime(2025, 8, 31, 12, 0, tzinfo=VN_TZ)],  # a Sunday noon before National Day
)  # fmt: skip
def test_every_sample_instant_is_in_office_hours_of_a_working_day(start: datetime) -> None:
    events = [e for seed in range(8) for e in sample_events(40, seed=seed, start=start)]
    outside = [
        (e["dossier_id"], e["event_type"], e["occurred_at"].astimezone(VN_TZ).isoformat())
        for e in events
        if not (_DOMAIN.is_working_time(e["occurred_at"]) and _in_sample_hours(e["occurred_at"]))
    ]
    assert not outside, outside[:10]
    # and not all at one instant of the day: the morning and the afternoon both have dossiers
    halves = {e["occurred_at"].astimezone(VN_TZ).time() < time(12) for e in events}
    assert halves == {True, False}


def test_each_dossier_moves_forward_in_time() -> None:
    by_dossier: dict[str, list[datetime]] = {}
    for event in sample_events(200, seed=3):
        by_dossier.setdefault(event["dossier_id"], []).append(event["occurred_at"])
    assert all(times == sorted(times) for times in by_dossier.values())
    assert all(len(set(times)) == len(times) for times in by_dossier.values())


def test_the_sla_sections_clock_starts_at_an_opening() -> None:
    assert office_calendar().is_working_time(START)
    assert START.astimezone(VN_TZ).time() == SAMPLE_HOURS[0][0]


def test_every_sample_agency_has_a_name_in_the_catalogue() -> None:
    for procedure in PROCEDURES:
        entry = catalog_entry(procedure)
        assert entry["agency_name"] == agency_name(procedure.agency_code) != "-", procedure
    assert agency_name("NOT-AN-AGENCY") == "-"
    assert agency_name(None) == "-"
