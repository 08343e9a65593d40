"""The late lists a province publishes, from hand-built ``DossierDeadline`` records: which
dossiers are late, their apologies, periods and inputs (helpers in ``_late_support``).

Most cases report March 2025 (1 March is a Saturday, 31 March a Monday) as of 15 April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.sla._late import LATE_RETURNED, OVERDUE, Period, late_dossiers
from tests.sla._late_support import (
    APRIL,
    AS_OF,
    CALENDAR,
    DAY_MS,
    MARCH,
    VN,
    by_id,
    deadline,
    finished,
    march,
    vn,
)

# --- which dossiers are late ---------------------------------------------------------------


def test_a_result_finished_after_its_appointment_within_the_period_is_late_returned() -> None:
    # Due Monday 10 March 08:00, finished Wednesday 12 March 08:00: two working days late.
    record = finished(
        "LR-1", vn(3, 12), appointment_at=vn(3, 10), late=True, working_ms_late=2 * DAY_MS
    )
    entry = march(record)["LR-1"]
    assert entry.kind == LATE_RETURNED
    assert entry.working_days_late == 2.0
    assert entry.finished_at == vn(3, 12)
    assert entry.finished_status == "RESULT_READY"
    assert (entry.agency_code, entry.official_id, entry.official_name) == (
        "STP",
        "cb-01",
        "Nguyễn Văn An",
    )


def test_weekends_do_not_count_as_lateness() -> None:
    # Due Friday 14 March 08:00, finished Monday 17 March 08:00: 16 h Friday + 8 h Monday.
    record = finished("LR-W", vn(3, 17), appointment_at=vn(3, 14))
    assert march(record)["LR-W"].working_days_late == 1.0


def test_late_returns_outside_the_period_are_not_listed() -> None:
    february = finished("FEB", vn(2, 20), accepted_at=vn(2, 3), appointment_at=vn(2, 18), late=True)
    may = finished("MAY", vn(5, 6), appointment_at=vn(5, 2))
    assert march(february, may) == {}


def test_a_result_on_time_is_not_listed() -> None:
    assert march(finished("OK", vn(3, 19), appointment_at=vn(3, 20))) == {}


def test_timestamps_decide_over_the_processors_flag() -> None:
    on_time_but_flagged = finished("FLAG", vn(3, 19), late=True, working_ms_late=DAY_MS)
    assert march(on_time_but_flagged) == {}


def test_without_an_appointment_the_processors_lateness_is_used() -> None:
    record = finished(
        "NOAPPT", vn(3, 19), appointment_at=None, late=True, working_ms_late=3 * DAY_MS // 2
    )
    assert march(record)["NOAPPT"].working_days_late == 1.5


def test_a_running_dossier_past_its_appointment_is_overdue_at_the_period_end() -> None:
    # Due Tuesday 25 March 08:00; the March list is as at 1 April 00:00, though run on
    # 15 April: Tue 16 h + Wed, Thu, Fri, Mon = 112 h = 4.7 working days.
    entry = march(deadline("OD-1", appointment_at=vn(3, 25)))["OD-1"]
    assert entry.kind == OVERDUE
    assert entry.working_days_late == 4.7
    assert entry.finished_at is None


def test_a_dossier_not_yet_due_is_not_listed() -> None:
    assert march(deadline("LATER", appointment_at=vn(4, 10))) == {}


def test_the_current_period_is_as_of_now() -> None:
    # April as of Tuesday 15 April 09:00: due Thursday 10 April 08:00 → Thu 16 h + Fri + Mon
    # + Tue 9 h = 73 h; due 16 April → not yet.
    records = [
        deadline("APR-LATE", appointment_at=vn(4, 10)),
        deadline("APR-DUE", appointment_at=vn(4, 16)),
        finished("APR-FUTURE", vn(4, 20), appointment_at=vn(4, 14)),
    ]
    entries = by_id(late_dossiers(records, APRIL, as_of=AS_OF, calendar=CALENDAR))
    assert set(entries) == {"APR-LATE", "APR-FUTURE"}
    assert entries["APR-LATE"].working_days_late == 3.0
    # Finished after as_of: not known as finished at as_of, so overdue then.
    assert entries["APR-FUTURE"].kind == OVERDUE
    assert entries["APR-FUTURE"].finished_at is None


def test_overdue_at_the_period_end_and_finished_after_it_is_overdue_in_that_period() -> None:
    record = finished("CARRY", vn(4, 3), appointment_at=vn(3, 27), late=True)
    in_march = march(record)["CARRY"]
    assert in_march.kind == OVERDUE
    assert in_march.finished_at is None  # not finished at the March cutoff
    assert in_march.finished_status is None
    # Thu 27 March 08:00 → 1 April 00:00: Thu 16 h + Fri + Mon = 64 h.
    assert in_march.working_days_late == 2.7
    in_april = by_id(late_dossiers([record], APRIL, as_of=AS_OF, calendar=CALENDAR))["CARRY"]
    assert in_april.kind == LATE_RETURNED
    assert in_april.finished_at == vn(4, 3)


def test_a_paused_dossier_with_time_left_is_not_overdue() -> None:
    # The appointment kept in the record is stale while paused; the time left decides.
    record = deadline(
        "PAUSED-OK",
        clock="PAUSED",
        pause_reason="SUPPLEMENT",
        paused_since=vn(3, 12),
        appointment_at=vn(3, 14),
        working_ms_left=2 * DAY_MS,
    )
    assert march(record) == {}


def test_a_dossier_paused_while_overdue_is_overdue_by_its_lateness_at_the_pause() -> None:
    record = deadline(
        "PAUSED-LATE",
        clock="PAUSED",
        pause_reason="SUPPLEMENT",
        paused_since=vn(3, 18),
        appointment_at=vn(3, 14),
        working_ms_left=-2 * DAY_MS,
    )
    entry = march(record)["PAUSED-LATE"]
    assert entry.kind == OVERDUE
    # Fri 14 March 08:00 → Tue 18 March 08:00, the pause; the weeks paused do not count.
    assert entry.working_days_late == 2.0


def test_a_paused_dossier_without_times_is_judged_on_its_time_left() -> None:
    overdue = deadline("P-1", clock="PAUSED", paused_since=None, working_ms_left=-3 * DAY_MS // 2)
    in_time = deadline("P-2", clock="PAUSED", paused_since=None, working_ms_left=DAY_MS)
    entries = march(overdue, in_time)
    assert set(entries) == {"P-1"}
    assert entries["P-1"].working_days_late == 1.5


def test_a_result_ready_during_a_pause_is_judged_on_the_time_left_then() -> None:
    # Paused with a day left, ready during the pause after the stale appointment: on time.
    on_time = finished("R-1", vn(3, 25), appointment_at=vn(3, 14), working_ms_left=DAY_MS)
    late = finished("R-2", vn(3, 25), appointment_at=vn(3, 14), working_ms_left=-DAY_MS // 2)
    entries = march(on_time, late)
    assert set(entries) == {"R-2"}
    assert (entries["R-2"].kind, entries["R-2"].working_days_late) == (LATE_RETURNED, 0.5)


def test_stopped_or_unstarted_clocks_of_open_dossiers_are_not_overdue() -> None:
    assert march(deadline("NS", clock="NOT_STARTED"), deadline("UNK", clock="UNKNOWN")) == {}


@pytest.mark.parametrize("status", ["REFUSED", "WITHDRAWN", "STOPPED"])
def test_handling_ended_without_a_result_is_never_late_returned(status: str) -> None:
    record = finished("ENDED", vn(3, 25), status, appointment_at=vn(3, 20), late=True)
    assert march(record) == {}


def test_a_refusal_is_never_listed() -> None:
    record = finished(
        "REF",
        vn(3, 4),
        "REFUSED",
        accepted_at=None,
        clock_started_at=None,
        original_appointment_at=None,
        appointment_at=None,
        clock="NOT_STARTED",
    )
    assert march(record) == {}
    assert late_dossiers([record], APRIL, as_of=AS_OF, calendar=CALENDAR) == []


# --- apologies -----------------------------------------------------------------------------


def test_apology_status_and_the_new_date() -> None:
    apologised = finished(
        "APO",
        vn(3, 25),
        original_appointment_at=vn(3, 14),
        appointment_at=vn(3, 21),
        apology_issued_at=vn(3, 13),
        apology_reason="Chờ ý kiến cơ quan phối hợp",
    )
    silent = finished("SILENT", vn(3, 25), appointment_at=vn(3, 21))
    entries = march(apologised, silent)
    assert entries["APO"].apology == "Đã xin lỗi"
    assert entries["APO"].reappointed
    assert entries["APO"].apology_reason == "Chờ ý kiến cơ quan phối hợp"
    assert (entries["APO"].due_at, entries["APO"].reappointed_at) == (vn(3, 14), vn(3, 21))
    assert entries["SILENT"].apology == "Chưa xin lỗi"
    assert not entries["SILENT"].reappointed
    assert (entries["SILENT"].due_at, entries["SILENT"].reappointed_at) == (vn(3, 21), None)
    # Lateness runs from the pre-apology appointment: Fri 14 March 08:00 → Tue 25 March
    # 08:00 is 7 working days; the silent one, due Fri 21 March, is 2 days late.
    assert entries["APO"].working_days_late == 7.0
    assert entries["SILENT"].working_days_late == 2.0


def test_an_apology_does_not_make_a_result_by_the_new_date_on_time() -> None:
    record = finished(
        "APO-NEW-DATE",
        vn(3, 18),
        original_appointment_at=vn(3, 14),
        appointment_at=vn(3, 21),
        apology_issued_at=vn(3, 13),
    )
    entry = march(record)["APO-NEW-DATE"]
    assert (entry.kind, entry.apology, entry.working_days_late) == (
        LATE_RETURNED,
        "Đã xin lỗi",
        2.0,
    )


def test_an_apology_after_the_cutoff_did_not_exist_at_the_cutoff() -> None:
    # Overdue at the end of March (due 20 March); the apology of 3 April set 20 April.
    record = deadline(
        "LATE-APO",
        original_appointment_at=vn(3, 20),
        appointment_at=vn(4, 20),
        apology_issued_at=vn(4, 3),
        apology_reason="Hồ sơ phức tạp",
    )
    in_march = march(record)["LATE-APO"]
    assert in_march.kind == OVERDUE
    assert in_march.apology == "Chưa xin lỗi"
    assert (in_march.reappointed, in_march.apology_reason) == (False, None)
    assert (in_march.appointment_at, in_march.reappointed_at) == (vn(3, 20), None)
    # Thu 20 March 08:00 → 1 April 00:00: 16 h + 7 working days = 184 h.
    assert in_march.working_days_late == 7.7
    # In April it is still overdue (against 20 March), now with its apology and new date.
    in_april = by_id(late_dossiers([record], APRIL, as_of=AS_OF, calendar=CALENDAR))["LATE-APO"]
    assert (in_april.kind, in_april.apology) == (OVERDUE, "Đã xin lỗi")
    assert (in_april.due_at, in_april.reappointed_at) == (vn(3, 20), vn(4, 20))
    assert in_april.apology_reason == "Hồ sơ phức tạp"


# --- periods and inputs --------------------------------------------------------------------


def test_period_month() -> None:
    assert MARCH.start == datetime(2025, 3, 1, tzinfo=VN)
    assert MARCH.end == datetime(2025, 4, 1, tzinfo=VN)
    assert MARCH.label == "2025-03"
    december = Period.month("2025-12")
    assert december.end == datetime(2026, 1, 1, tzinfo=VN)
    assert december.end.astimezone(UTC) == datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    assert Period.month("2025-03", ZoneInfo("UTC")).start == datetime(2025, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2025-3", "2025-13", "2025-00", "March 2025", "", "2025-03-01", "03/2025", "0000-01"]
)
def test_period_month_rejects_anything_but_yyyy_mm(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        Period.month(text)


def test_period_must_be_aware_and_ordered() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Period(datetime(2025, 3, 1), datetime(2025, 4, 1), "naive")  # noqa: DTZ001
    with pytest.raises(ValueError, match="before it starts"):
        Period(MARCH.end, MARCH.start, "backwards")


def test_as_of_must_be_aware() -> None:
    with pytest.raises(ValueError, match="as_of"):
        late_dossiers([], MARCH, as_of=datetime(2025, 4, 1), calendar=CALENDAR)  # noqa: DTZ001


def test_a_period_after_as_of_has_no_late_dossiers() -> None:
    record = deadline("OD", appointment_at=vn(3, 25))
    may = Period.month("2025-05")
    assert late_dossiers([record], may, as_of=AS_OF, calendar=CALENDAR) == []


def test_a_naive_timestamp_in_a_record_is_an_error() -> None:
    record = deadline("NAIVE", appointment_at=datetime(2025, 3, 10, 8))  # noqa: DTZ001
    with pytest.raises(ValueError, match="appointment_at of dossier 'NAIVE'"):
        march(record)


def test_epoch_millis_are_tolerated() -> None:
    record = finished(
        "MS",
        int(vn(3, 12).timestamp() * 1000),
        appointment_at=int(vn(3, 10).timestamp() * 1000),
    )
    assert march(record)["MS"].finished_at == vn(3, 12)


def test_dates_are_days_of_vietnam() -> None:
    # A late return at 06:30 on 1 April, Vietnam time, is still 31 March in UTC: it is April's.
    record = finished("EDGE", vn(4, 1, 6, 30), appointment_at=vn(3, 28))
    assert march(record)["EDGE"].kind == OVERDUE
    april = by_id(late_dossiers([record], APRIL, as_of=AS_OF, calendar=CALENDAR))
    assert april["EDGE"].kind == LATE_RETURNED
    assert vn(4, 1, 6, 30).date() == date(2025, 3, 31)
