"""The demo's simulated month (``dvchub.demo._simulate``): its wiring, no broker. The month
itself runs in ``make run`` (the lead's full runs) and, short, in ``test_simulate_live``."""

from __future__ import annotations

import ast
import inspect
from collections import Counter
from pathlib import Path

import pytest

from dvchub.demo import _run as demo_run
from dvchub.demo import _simulate as section
from dvchub.simulate import _run as simulate_run
from dvchub.simulate import load_province, scripts
from dvchub.simulate._run import Figures, SimulationFailed
from hub.settings import Settings


def _figures(audit_clean: bool | None) -> Figures:
    return Figures(dossiers=1, events=1, real_s=1.0, speed=1.0, per_partner={}, received={},
                   to_state_ms=None, planned_late=0, observed_late=0, callbacks={},
                   dead_letters={}, wrong_final={}, without_outcome=(),
                   audit_clean=audit_clean)  # fmt: skip


def test_the_month_is_the_configured_province_at_the_demo_volume() -> None:
    configured, month = load_province(), section.demo_province()
    assert month.days == configured.days
    assert month.agencies == configured.agencies
    assert month.shares == configured.shares
    assert month.dossiers_per_day == section.DEMO_PER_DAY < configured.dossiers_per_day
    found = scripts(month)
    by_agency = Counter(s.agency_code for s in found)
    assert set(by_agency) == {a.code for a in month.agencies}, "every agency files"
    assert all(a.name and a.name != a.code for a in month.agencies), "tables show names"


def test_the_demo_ends_with_the_month() -> None:
    body = ast.parse(inspect.getsource(demo_run.run_demo)).body[0]
    found = [n for n in ast.walk(body) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    calls = [n.func.id for n in sorted(found, key=lambda n: (n.lineno, n.col_offset))
             if isinstance(n.func, ast.Name)]  # fmt: skip
    assert calls[-1] == "show_simulated_month"
    assert calls.index("show_desks") < calls.index("show_simulated_month")


@pytest.mark.parametrize("clean", [False, None])
def test_an_audit_not_clean_ends_the_demo_with_status_one(
    clean: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulate_run, "run_simulation", lambda *a, **k: _figures(clean))
    with pytest.raises(SystemExit) as ended:
        section.show_simulated_month(Settings(), None)  # type: ignore[arg-type]
    assert ended.value.code == 1


def test_a_run_that_did_not_end_as_scripted_ends_the_demo_with_status_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failed(*_: object, **__: object) -> Figures:
        raise SimulationFailed("2 dossiers not in their final state")

    monkeypatch.setattr(simulate_run, "run_simulation", failed)
    with pytest.raises(SystemExit) as ended:
        section.show_simulated_month(Settings(), None)  # type: ignore[arg-type]
    assert ended.value.code == 1


def test_a_clean_month_goes_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[Path] = []

    def clean(*args: object, **_: object) -> Figures:
        seen.append(Path(str(args[4])))
        return _figures(True)

    monkeypatch.setattr(simulate_run, "run_simulation", clean)
    monkeypatch.setattr(section, "LOG_ROOT", tmp_path)
    assert section.show_simulated_month(Settings(), None).audit_clean is True  # type: ignore[arg-type]
    assert seen[0].parent == tmp_path
