"""What the feed tells the run's clock, and the partners' clock (pure, no broker)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from dvchub.simulate import Action, load_province, scripts
from dvchub.simulate._feed import PartnerClock, _Cursor

RUN_NOW = datetime(2026, 9, 21, 1, 0, tzinfo=UTC)


def test_a_dossier_holds_the_clock_at_its_next_office_step_not_at_a_partners() -> None:
    province = load_province(today=date(2026, 12, 7)).overridden(days=2, dossiers_per_day=60)
    script = next(s for s in scripts(province) if s.fee_online and s.postal)
    cursor = _Cursor(script)
    for index, step in enumerate(script.steps):
        cursor.next = index
        office = [s.at for s in script.steps[index:] if s.action in (Action.PUSH, Action.PUBLISH)]
        assert cursor.holds == (office[0] if office else None)
        if step.action in (Action.PAY, Action.POSTAL):
            assert cursor.holds is None or cursor.holds > step.at, "a partner's step holds nothing"
    cursor.next = len(script.steps)
    assert cursor.holds is None


def test_a_partners_step_happens_at_its_instant_on_its_own_thread_only() -> None:
    clock = PartnerClock(lambda: RUN_NOW)
    step_at = datetime(2026, 9, 22, 3, 30, tzinfo=UTC)
    seen: list[datetime] = []
    clock.at(step_at)
    other = threading.Thread(target=lambda: seen.append(clock()))
    other.start()
    other.join()
    assert (clock(), seen) == (step_at, [RUN_NOW])
    clock.at(None)
    assert clock() == RUN_NOW
