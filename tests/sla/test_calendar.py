"""The working calendar (``hub.sla._calendar``): examples (its laws are in test_calendar_laws).

Examples are hand-checked against the 2024-2025 Vietnamese calendar (Tết, the swapped
Saturdays, the province's overrides).

Speed (timeit, best of 3 over 10 000 random aware starts 2024-2026 in Asia/Ho_Chi_Minh, warm
cache, one core of the dev container, CPython 3.11): ``add_working_days(start, 15)`` ≈ 4 µs per
call (6 µs in a plain loop), ``subtract_working_time`` ≈ 4 µs, ``working_time_between`` ≈ 3 µs.
Building a year costs ≈ 1 ms once per process (≈ 0.03 ms for a further calendar), plus ≈ 100 ms
for the very first one (``holidays`` loads its Vietnam data).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays
import pytest

from hub.sla._calendar import TZ, CalendarOverrides, OfficeHours, WorkingCalendar
from tests.sla._calendar_support import CAL, CUSTOM, US, UTC, H, dates, vn


def test_default_office_hours() -> None:
    assert OfficeHours().day_length == 8 * H
    assert CAL.hours.day_length == CAL.day_length == 8 * H
    assert CAL.tz is TZ
    assert OfficeHours.parse(str(OfficeHours())) == OfficeHours()


def test_tet_2025_is_skipped() -> None:
    # Accepted Friday 24 Jan 2025, 14:00, just before Tết (25 Jan - 2 Feb off).
    accepted = vn(2025, 1, 24, 14)
    assert [d.day for d in dates(date(2025, 1, 24), date(2025, 2, 3)) if CAL.is_working_day(d)] == [
        24,
        3,
    ]
    # 3 h on Friday, Mon 3 + Tue 4 Feb (16 h), 5 h on Wednesday: 07:00-11:30, 13:30-14:00.
    assert CAL.add_working_days(accepted, 3) == vn(2025, 2, 5, 14)
    assert CAL.working_time_between(vn(2025, 1, 24, 17), vn(2025, 2, 3, 7)) == timedelta(0)
    assert CAL.next_working_instant(vn(2025, 1, 29, 9)) == vn(2025, 2, 3, 7)


def test_swapped_saturday_is_a_working_day() -> None:
    # 2025: Friday 2 May off (bridging 30 Apr / 1 May), paid back on Saturday 26 Apr.
    assert CAL.is_working_day(date(2025, 4, 26))
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.add_working_days(vn(2025, 4, 25, 16), 1) == vn(2025, 4, 26, 16)
    # Tue 29 Apr 16:00: 1 h, then 30 Apr, 1-2 May, the weekend off, Monday 07:00 + 7 h.
    assert CAL.add_working_days(vn(2025, 4, 29, 16), 1) == vn(2025, 5, 5, 16)
    # 2024: Saturday 4 May worked for Monday 29 Apr.
    assert CAL.is_working_day(date(2024, 5, 4))
    assert not CAL.is_working_day(date(2024, 4, 29))


def test_swaps_across_new_year() -> None:
    # Saturday 27 Dec 2014 was worked for Friday 2 Jan 2015; 5 Jan 2019 for 31 Dec 2018.
    # Fresh calendars, so only the year asked for has been built.
    assert WorkingCalendar().is_working_day(date(2014, 12, 27))
    assert not WorkingCalendar().is_working_day(date(2015, 1, 2))
    assert WorkingCalendar().is_working_day(date(2019, 1, 5))
    assert not WorkingCalendar().is_working_day(date(2018, 12, 31))
    # Tue 31 Dec 2024 16:00 + 1 day: 1 Jan is a holiday, so Thursday 2 Jan.
    assert CAL.add_working_days(vn(2024, 12, 31, 16), 1) == vn(2025, 1, 2, 16)


def test_acceptance_after_hours_counts_from_next_morning() -> None:
    evening = vn(2025, 3, 10, 18, 30)  # Monday
    assert not CAL.is_working_time(evening)
    assert CAL.next_working_instant(evening) == vn(2025, 3, 11, 7)
    # A whole working day from Tuesday 07:00 ends at Tuesday's closing, not Wednesday 07:00.
    assert CAL.add_working_days(evening, 1) == vn(2025, 3, 11, 17)
    assert CAL.add_working_days(vn(2025, 3, 11, 6, 59), 1) == vn(2025, 3, 11, 17)
    assert CAL.add_working_time(evening, timedelta(0)) == vn(2025, 3, 11, 7)


def test_friday_afternoon_lands_next_week() -> None:
    friday = vn(2025, 3, 14, 15)
    assert CAL.add_working_days(friday, 1) == vn(2025, 3, 17, 15)  # Monday
    assert CAL.add_working_days(friday, 2) == vn(2025, 3, 18, 15)  # Tuesday
    assert CAL.add_working_time(friday, 2 * H) == vn(2025, 3, 14, 17)  # closing, same day
    assert CAL.add_working_time(friday, 2 * H + US) == vn(2025, 3, 17, 7) + US
    assert CAL.working_time_between(friday, vn(2025, 3, 17, 15)) == 8 * H


def test_lunch_break_is_skipped() -> None:
    assert CAL.add_working_time(vn(2025, 3, 10, 10, 30), 2 * H) == vn(2025, 3, 10, 14, 30)
    assert CAL.add_working_time(vn(2025, 3, 10, 10, 30), H) == vn(2025, 3, 10, 11, 30)
    assert CAL.add_working_time(vn(2025, 3, 10, 12), H) == vn(2025, 3, 10, 14, 30)
    assert CAL.working_time_between(vn(2025, 3, 10, 11), vn(2025, 3, 10, 14)) == H
    assert CAL.is_working_time(vn(2025, 3, 10, 11, 30))  # both ends included
    assert CAL.is_working_time(vn(2025, 3, 10, 13, 30))
    assert not CAL.is_working_time(vn(2025, 3, 10, 12))
    assert CAL.next_working_instant(vn(2025, 3, 10, 12)) == vn(2025, 3, 10, 13, 30)


def test_subtract_lands_on_openings_and_zero_on_previous_closing() -> None:
    assert CAL.subtract_working_time(vn(2025, 3, 10, 14, 30), H) == vn(2025, 3, 10, 13, 30)
    assert CAL.subtract_working_time(vn(2025, 3, 11, 8), H) == vn(2025, 3, 11, 7)
    assert CAL.subtract_working_time(vn(2025, 3, 11, 8), 2 * H) == vn(2025, 3, 10, 16)
    # Monday 17:00 minus a day: Monday 07:00 (the latest instant), not Friday 17:00.
    assert CAL.subtract_working_time(vn(2025, 3, 10, 17), 8 * H) == vn(2025, 3, 10, 7)
    assert CAL.subtract_working_time(vn(2025, 3, 15, 10), timedelta(0)) == vn(2025, 3, 14, 17)
    assert CAL.subtract_working_time(vn(2025, 3, 10, 12), timedelta(0)) == vn(2025, 3, 10, 11, 30)
    assert CAL.subtract_working_time(vn(2025, 3, 10, 9), timedelta(0)) == vn(2025, 3, 10, 9)


def test_override_day_off_storm() -> None:
    storm = WorkingCalendar(overrides=CalendarOverrides(days_off=frozenset({date(2025, 8, 25)})))
    friday = vn(2025, 8, 22, 16)
    assert CAL.add_working_days(friday, 1) == vn(2025, 8, 25, 16)
    assert not storm.is_working_day(date(2025, 8, 25))
    assert storm.add_working_days(friday, 1) == vn(2025, 8, 26, 16)
    assert storm.working_time_between(friday, vn(2025, 8, 26, 16)) == 8 * H
    # Overrides win over the national calendar, swapped Saturdays included.
    cancelled = WorkingCalendar(
        overrides=CalendarOverrides(days_off=frozenset({date(2025, 4, 26)}))
    )
    assert not cancelled.is_working_day(date(2025, 4, 26))


def test_override_working_day() -> None:
    extra = WorkingCalendar(overrides=CalendarOverrides(working_days=frozenset({date(2025, 5, 3)})))
    assert extra.is_working_day(date(2025, 5, 3))  # a Saturday
    assert extra.add_working_days(vn(2025, 4, 29, 16), 1) == vn(2025, 5, 3, 16)
    # Even a national holiday can be declared worked.
    worked = WorkingCalendar(
        overrides=CalendarOverrides(working_days=frozenset({date(2025, 5, 1)}))
    )
    assert worked.is_working_day(date(2025, 5, 1))


def test_custom_office_hours() -> None:
    hours = OfficeHours.parse("07:30-11:30,13:00-17:00")
    assert hours.periods == ((time(7, 30), time(11, 30)), (time(13), time(17)))
    assert hours.day_length == 8 * H
    cal = WorkingCalendar(hours)
    assert cal.next_working_instant(vn(2025, 3, 10, 7)) == vn(2025, 3, 10, 7, 30)
    assert cal.add_working_time(vn(2025, 3, 10, 11), H) == vn(2025, 3, 10, 13, 30)
    half_days = WorkingCalendar(OfficeHours.parse(" 08:00:00 - 12:00 "))
    assert half_days.hours.day_length == 4 * H
    assert half_days.add_working_days(vn(2025, 3, 10, 9), 1) == vn(2025, 3, 11, 9)
    assert CUSTOM.day_length == timedelta(hours=8, minutes=45)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty period"),
        ("07:00-11:30,", "empty period"),
        ("07:00-11:30,11:00-17:00", "overlaps"),
        ("13:30-17:00,07:00-11:30", "in order"),
        ("07:00-11:30,11:30-17:00", "touches"),
        ("11:30-07:00", "start must be before end"),
        ("07:00-07:00", "start must be before end"),
        ("7am-11am", "7am"),
        ("07:00-11:30-12:00", "not 'HH:MM-HH:MM'"),
        ("07:00", "not 'HH:MM-HH:MM'"),
        ("07:00-24:00", "24:00"),
    ],
)
def test_bad_office_hours(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OfficeHours.parse(text)


def test_office_hours_checked_when_built_directly() -> None:
    with pytest.raises(ValueError, match="at least one period"):
        OfficeHours(())
    with pytest.raises(ValueError, match="naive"):
        OfficeHours(((time(7, tzinfo=TZ), time(11, tzinfo=TZ)),))


def test_load_override_file(tmp_path: Path) -> None:
    path = tmp_path / "overrides.toml"
    path.write_text(
        "# extra days off (storm closure) and extra working days, decided by the province\n"
        '[[day_off]]\ndate = 2025-09-06\nreason = "Bão Kajiki"\n'
        "[[day_off]]\ndate = 2025-08-25\n"
        '[[working_day]]\ndate = 2025-05-03\nreason = "Làm bù"\n',
        encoding="utf-8",
    )
    overrides = CalendarOverrides.load(path)
    assert overrides == CalendarOverrides(
        days_off=frozenset({date(2025, 9, 6), date(2025, 8, 25)}),
        working_days=frozenset({date(2025, 5, 3)}),
    )
    assert not WorkingCalendar(overrides=overrides).is_working_day(date(2025, 8, 25))
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing decided yet\n", encoding="utf-8")
    assert CalendarOverrides.load(empty) == CalendarOverrides()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[day_off]\ndate = 2025-09-06\n", r"not valid TOML"),
        ('[[day_off]]\ndate = "2025-09-06"\n', r"day_off\[0\]: date must be a bare TOML date"),
        ("[[day_off]]\ndate = 2025-09-06T08:00:00\n", r"day_off\[0\]: date must be a bare"),
        ('[[working_day]]\nreason = "Làm bù"\n', r"working_day\[0\]: missing date"),
        (
            "[[day_off]]\ndate = 2025-09-06\n[[day_off]]\ndate = 2025-09-07\nwhy = 1\n",
            r"day_off\[1\]: unknown key\(s\) why",
        ),
        ("[[days_off]]\ndate = 2025-09-06\n", r"unknown key\(s\) days_off"),
        ("day_off = 2025-09-06\n", r"day_off must be an array of tables"),
        ("day_off = [1]\n", r"day_off\[0\]: must be a table"),
        ("[[day_off]]\ndate = 2025-09-06\nreason = 3\n", r"day_off\[0\]: reason must be a string"),
        ("[[day_off]]\ndate = 0025-09-06\n", r"day_off\[0\]: 0025-09-06 outside 1990-2100"),
        (
            "[[day_off]]\ndate = 2025-05-03\n[[working_day]]\ndate = 2025-05-03\n",
            r"2025-05-03 is both a day off \(day_off\[0\]\) and a working day \(working_day\[0\]\)",
        ),
    ],
)
def test_bad_override_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        CalendarOverrides.load(path)
    assert str(path) in str(caught.value)


def test_overrides_refuse_a_day_both_off_and_working() -> None:
    day = frozenset({date(2025, 5, 3)})
    with pytest.raises(ValueError, match="2025-05-03 both a day off and a working day"):
        CalendarOverrides(days_off=day, working_days=day)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2025, 3, 10, 9)  # noqa: DTZ001 - the point of the test
    aware = vn(2025, 3, 10, 9)
    calls: list[Callable[[], object]] = [
        lambda: CAL.is_working_time(naive),
        lambda: CAL.is_working_day(naive),
        lambda: CAL.next_working_instant(naive),
        lambda: CAL.add_working_time(naive, H),
        lambda: CAL.add_working_time(naive, timedelta(0)),
        lambda: CAL.subtract_working_time(naive, H),
        lambda: CAL.subtract_working_time(naive, timedelta(0)),
        lambda: CAL.add_working_days(naive, 1),
        lambda: CAL.working_time_between(naive, aware),
        lambda: CAL.working_time_between(aware, naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_negative_amounts_and_years_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_time(vn(2025, 3, 10), -H)
    with pytest.raises(ValueError, match="negative"):
        CAL.subtract_working_time(vn(2025, 3, 10), -H)
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(vn(2025, 3, 10), -1)
    with pytest.raises(ValueError, match="1990-2100"):
        CAL.is_working_day(date(2101, 1, 3))
    with pytest.raises(ValueError, match="1990-2100"):
        CAL.add_working_days(vn(2100, 12, 30, 9), 5)
    with pytest.raises(ValueError, match="1990-2100"):
        CAL.subtract_working_time(vn(1990, 1, 3, 9), 40 * H)
    assert CAL.is_working_day(date(1990, 1, 2))
    assert CAL.is_working_day(date(2100, 12, 31))  # a Friday


def test_other_zones_in_calendar_zone_out() -> None:
    utc = datetime(2025, 3, 10, 2, tzinfo=UTC)  # 09:00 in Vietnam
    result = CAL.add_working_time(utc, H)
    assert result == vn(2025, 3, 10, 10)
    assert result.tzinfo is TZ
    assert CAL.next_working_instant(utc).tzinfo is TZ
    assert CAL.subtract_working_time(utc, timedelta(0)).tzinfo is TZ
    # 23:30 UTC on Sunday is Monday 06:30 in Vietnam.
    assert CAL.is_working_day(datetime(2025, 3, 9, 23, 30, tzinfo=UTC))
    assert CAL.next_working_instant(datetime(2025, 3, 9, 23, 30, tzinfo=UTC)) == vn(2025, 3, 10, 7)


def test_between_over_years_matches_a_count_of_days() -> None:
    national = holidays.country_holidays("VN", years=range(2022, 2027))
    days = sum(1 for d in dates(date(2023, 1, 1), date(2026, 1, 1)) if national.is_working_day(d))
    assert CAL.working_time_between(vn(2023, 1, 1), vn(2026, 1, 1)) == days * 8 * H
    assert CAL.working_time_between(vn(2026, 1, 1), vn(2023, 1, 1)) == -days * 8 * H
