"""The working calendar's laws, checked with hypothesis on two calendars (the default and a
custom one with three periods and overrides) against a day-by-day reference implementation.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.sla._calendar import TZ, WorkingCalendar
from tests.sla._calendar_support import CAL, CUSTOM, US, H, dates

NATIONAL = holidays.country_holidays("VN", years=range(2023, 2028))


def reference_is_working_day(cal: WorkingCalendar, day: date) -> bool:
    if day in cal.overrides.days_off:
        return False
    return day in cal.overrides.working_days or NATIONAL.is_working_day(day)


def reference_between(cal: WorkingCalendar, a: datetime, b: datetime) -> timedelta:
    """Day by day, period by period: slow and obvious."""
    if b < a:
        return -reference_between(cal, b, a)
    total = timedelta(0)
    for day in dates(a.astimezone(TZ).date(), b.astimezone(TZ).date()):
        if reference_is_working_day(cal, day):
            for s, e in cal.hours.periods:
                lo = max(datetime.combine(day, s, TZ), a)
                hi = min(datetime.combine(day, e, TZ), b)
                total += max(hi - lo, timedelta(0))
    return total


BOUNDARIES = [
    time(0),
    time(6, 59, 59, 999_999),
    time(7),
    time(8),
    time(11, 30),
    time(12),
    time(13),
    time(13, 30),
    time(16, 30),
    time(17),
    time(18),
    time(19, 15),
    time(23, 59, 59, 999_999),
]
calendars = st.sampled_from([CAL, CUSTOM])
moments = st.builds(
    lambda d, t: datetime.combine(d, t, TZ),
    st.dates(date(2024, 5, 1), date(2025, 6, 30)),
    st.one_of(st.sampled_from(BOUNDARIES), st.times()),
)
DAY_US = 8 * 3600 * 10**6
amounts = st.one_of(
    st.integers(1, 25 * DAY_US).map(lambda us: timedelta(microseconds=us)),
    st.integers(1, 200).map(lambda k: k * timedelta(minutes=15)),
    st.sampled_from([H, 4.5 * H, 3.5 * H, 8 * H, timedelta(hours=8, minutes=45)]),
)
amounts0 = st.one_of(st.just(timedelta(0)), amounts)
law = settings(max_examples=150, deadline=None)


@law
@given(calendars, moments, moments)
def test_between_matches_reference_and_is_antisymmetric(
    cal: WorkingCalendar, a: datetime, b: datetime
) -> None:
    assert cal.working_time_between(a, b) == reference_between(cal, a, b)
    assert cal.working_time_between(b, a) == -cal.working_time_between(a, b)


@law
@given(calendars, moments, moments, moments)
def test_between_is_additive(cal: WorkingCalendar, a: datetime, b: datetime, c: datetime) -> None:
    between = cal.working_time_between
    assert between(a, b) + between(b, c) == between(a, c)


@law
@given(calendars, moments, amounts)
def test_add_is_the_earliest_instant_with_that_much_working_time(
    cal: WorkingCalendar, t: datetime, d: timedelta
) -> None:
    u = cal.add_working_time(t, d)
    assert u >= t
    assert cal.working_time_between(t, u) == d == reference_between(cal, t, u)
    assert u - US < t or cal.working_time_between(t, u - US) < d
    assert cal.is_working_time(u)
    assert reference_is_working_day(cal, u.date())
    assert u.tzinfo is TZ


@law
@given(calendars, moments, amounts)
def test_subtract_is_the_latest_instant_with_that_much_working_time(
    cal: WorkingCalendar, t: datetime, d: timedelta
) -> None:
    u = cal.subtract_working_time(t, d)
    assert u <= t
    assert cal.working_time_between(u, t) == d == reference_between(cal, u, t)
    assert u + US > t or cal.working_time_between(u + US, t) < d
    assert cal.is_working_time(u)
    assert reference_is_working_day(cal, u.date())


@law
@given(calendars, moments)
def test_zero_amounts(cal: WorkingCalendar, t: datetime) -> None:
    nxt = cal.add_working_time(t, timedelta(0))
    prev = cal.subtract_working_time(t, timedelta(0))
    assert nxt == cal.next_working_instant(t)
    assert cal.is_working_time(nxt)
    assert cal.is_working_time(prev)
    assert prev <= t <= nxt
    assert cal.working_time_between(prev, nxt) == timedelta(0)
    if cal.is_working_time(t):
        assert prev == t == nxt
    else:
        assert prev < t < nxt
        assert prev.time() in {e for _, e in cal.hours.periods}  # a closing
        assert nxt.time() in {s for s, _ in cal.hours.periods}  # an opening


@law
@given(calendars, moments, moments, amounts0)
def test_add_is_monotone_in_start(
    cal: WorkingCalendar, t1: datetime, t2: datetime, d: timedelta
) -> None:
    t1, t2 = min(t1, t2), max(t1, t2)
    assert cal.add_working_time(t1, d) <= cal.add_working_time(t2, d)
    assert cal.subtract_working_time(t1, d) <= cal.subtract_working_time(t2, d)


@law
@given(calendars, moments, amounts0, amounts0)
def test_add_is_monotone_in_amount(
    cal: WorkingCalendar, t: datetime, d1: timedelta, d2: timedelta
) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    assert cal.add_working_time(t, d1) <= cal.add_working_time(t, d2)
    assert cal.subtract_working_time(t, d1) >= cal.subtract_working_time(t, d2)


@law
@given(calendars, moments, amounts0, amounts0)
def test_add_and_subtract_are_additive(
    cal: WorkingCalendar, t: datetime, a: timedelta, b: timedelta
) -> None:
    # Exact for all a, b >= 0: add lands on the earliest instant (a closing, never the next
    # opening), so the second add starts where the first one stopped counting.
    add, sub = cal.add_working_time, cal.subtract_working_time
    assert add(add(t, a), b) == add(t, a + b)
    assert sub(sub(t, a), b) == sub(t, a + b)


@law
@given(calendars, moments, amounts)
def test_add_and_subtract_undo_each_other_up_to_working_time(
    cal: WorkingCalendar, t: datetime, d: timedelta
) -> None:
    there_and_back = cal.subtract_working_time(cal.add_working_time(t, d), d)
    back_and_there = cal.add_working_time(cal.subtract_working_time(t, d), d)
    assert cal.working_time_between(there_and_back, t) == timedelta(0)
    assert cal.working_time_between(back_and_there, t) == timedelta(0)
    # Exactly t when t is strictly inside a period; else the next opening / previous closing.
    if cal.is_working_time(t) and t.time() not in {e for _, e in cal.hours.periods}:
        assert there_and_back == t
    if cal.is_working_time(t) and t.time() not in {s for s, _ in cal.hours.periods}:
        assert back_and_there == t


@law
@given(calendars, moments, st.integers(0, 30))
def test_add_working_days_is_add_working_time(cal: WorkingCalendar, t: datetime, n: int) -> None:
    assert cal.add_working_days(t, n) == cal.add_working_time(t, n * cal.hours.day_length)
