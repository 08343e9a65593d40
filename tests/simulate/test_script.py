"""The province's generator: deterministic, and its shares are the configuration's (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from dvchub.simulate._province import (
    DEFAULT_CONFIG,
    LEVELS,
    TAIL_DAYS,
    Province,
    ProvinceError,
    Shares,
    automatic_start,
    load_province,
)
from dvchub.simulate._script import Action, Callback, scripts
from hub.sla import SlaSettings

#: Enough dossiers for the shares to be within a few points of the configuration's.
DAYS, PER_DAY = 10, 300


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(today=date(2026, 12, 7)).overridden(days=DAYS, dossiers_per_day=PER_DAY)


def test_same_seed_same_scripts_other_seed_others(province: Province) -> None:
    small = province.overridden(days=3, dossiers_per_day=20)
    assert scripts(small) == scripts(small)
    assert scripts(small) != scripts(small.overridden(seed=small.seed + 1))


def _share(part: int, whole: int) -> float:
    assert whole > 0
    return part / whole


def test_shares_match_the_configuration(province: Province) -> None:
    found = scripts(province)
    shares, n = province.shares, len(found)
    assert n == PER_DAY * sum(1 for s in {x.filed_at.date() for x in found})
    tolerance = 0.03
    assert _share(sum(s.final_status == "REFUSED" for s in found), n) == pytest.approx(
        shares.refused, abs=tolerance)  # fmt: skip
    timed = [s for s in found if s.final_status != "REFUSED" and s.procedure.deadline_days]
    assert _share(sum(s.supplement for s in timed if not s.late),
                  sum(not s.late for s in timed)) == pytest.approx(
        shares.supplement, abs=tolerance)  # fmt: skip
    online = [s for s in found if s.procedure.level != "DIRECT_ONLY"]
    assert _share(sum(s.national for s in online), len(online)) == pytest.approx(
        shares.national_portal, abs=tolerance)  # fmt: skip
    assert _share(sum(s.late for s in timed), len(timed)) == pytest.approx(
        shares.late, abs=tolerance)  # fmt: skip
    paid = [s for s in found if s.fee_online]
    callbacks = Counter(s.callback for s in paid)
    assert _share(callbacks[Callback.LOST], len(paid)) == pytest.approx(
        shares.callback_lost, abs=tolerance)  # fmt: skip
    assert _share(callbacks[Callback.DUPLICATED], len(paid)) == pytest.approx(
        shares.callback_duplicated, abs=tolerance)  # fmt: skip
    # every level of the catalogue is filed, at agencies of both kinds
    assert {s.procedure.level for s in found} == LEVELS
    kinds = {province.agency(s.agency_code).kind for s in found}
    assert "PROVINCIAL_DEPARTMENT" in kinds
    assert kinds & {"DISTRICT", "COMMUNE"}


def test_office_hours_with_a_burst_at_opening(province: Province) -> None:
    found = scripts(province)
    tz = province.office_hours.tz
    local = [s.filed_at.astimezone(tz) for s in found]
    sessions = province.office_hours.sessions
    assert all(any(a <= t.time() <= b for a, b in sessions) for t in local)
    assert all(t.weekday() < 5 for t in local)
    burst = province.office_hours.burst_minutes * 60
    in_burst = sum(any(0 <= (t - t.replace(hour=a.hour, minute=a.minute, second=0,
                                           microsecond=0)).total_seconds() <= burst
                       for a, _ in sessions) for t in local)  # fmt: skip
    # the bursts are a small part of the day but take burst_share (plus their even share)
    assert _share(in_burst, len(local)) >= province.office_hours.burst_share


def test_each_script_is_in_order_and_ends_as_it_says(province: Province) -> None:
    for s in scripts(province.overridden(days=2, dossiers_per_day=100)):
        instants = [step.at for step in s.steps]
        assert instants == sorted(instants), s.dossier_id
        kinds = [e["event_type"] for step in s.steps for e in step.events]
        first = s.steps[0]
        assert (first.action is Action.FILE_NATIONAL) == s.national
        if s.final_status == "REFUSED":
            assert kinds[-1] == "DOSSIER_REFUSED"
            continue
        assert ("APOLOGY_ISSUED" in kinds) == s.late
        assert ("FEE_REQUESTED" in kinds) == s.fee_online
        assert [st.direction for st in s.steps if st.action is Action.POSTAL] == (
            ["INTAKE_PICKUP", "RESULT_DELIVERY"] if s.postal else [])  # fmt: skip
        # a postal return is the hub's (VNPost's callback), any other the desk's
        assert ("RESULT_RETURNED" in kinds) != s.postal


def test_the_file_in_the_repository_loads_and_bad_ones_are_refused() -> None:
    province = load_province(DEFAULT_CONFIG, today=date(2026, 12, 7))
    assert province.start.weekday() == 0
    with pytest.raises(ProvinceError, match=r"shares\.late"):
        province.overridden(shares=replace(Shares(), late=1.5))
    with pytest.raises(ProvinceError, match="DISTRICT or COMMUNE"):
        province.overridden(agencies=tuple(a for a in province.agencies
                                           if a.kind == "PROVINCIAL_DEPARTMENT"))  # fmt: skip
    with pytest.raises(ProvinceError, match="unknown setting"):
        province.overridden(volume=3)


def test_an_automatic_start_leaves_room_for_the_handling() -> None:
    start = automatic_start(30, date(2026, 12, 7))
    assert start.weekday() == 0
    assert (date(2026, 12, 7) - start).days >= 30 + TAIL_DAYS


def test_a_procedure_of_no_working_day_has_its_result_at_acceptance(province: Province) -> None:
    """The SLA's appointment of a 0-day procedure is its acceptance: ready then is on time."""
    found = [s for s in scripts(province.overridden(days=2, dossiers_per_day=100))
             if s.procedure.deadline_days == 0 and s.final_status != "REFUSED"]  # fmt: skip
    assert found
    for s in found:
        at = {e["event_type"]: step.at for step in s.steps for e in step.events}
        assert at["RESULT_READY"] == at["DOSSIER_ACCEPTED"], s.dossier_id
        assert (s.late, s.supplement) == (False, False), s.dossier_id


def test_a_supplement_is_asked_before_the_deadline(province: Province) -> None:
    """Else the dossier is late before its pause, whatever the script plans."""
    calendar = SlaSettings().calendar()
    found = [s for s in scripts(province.overridden(days=3, dossiers_per_day=150)) if s.supplement]
    assert any(s.procedure.deadline_days == 1 for s in found)
    for s in found:
        at = {e["event_type"]: step.at for step in s.steps for e in step.events}
        deadline = calendar.add_working_days(at["DOSSIER_ACCEPTED"], s.procedure.deadline_days)
        assert at["SUPPLEMENT_REQUESTED"] < deadline, s.dossier_id
