"""The demo's last section: a month of a mid-sized province on every part at once
(``dvchub simulate`` on ``infra/province.toml``, issue #23).

The province's agencies, catalogue, shares and office hours as configured; fewer dossiers a day
than the file's, so the section fits a demo on a small machine (``dvchub simulate`` runs the
file's volume). The live progress and summary while it runs, then the figures (by partner and by
agency, with the agencies' names) and the audit's table. An audit that is not clean, or a run
that did not end as its scripts say, ends the demo with exit status 1.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dvchub.demo._console import console
from dvchub.simulate import Province, load_province
from hub.serde import RegistryClient
from hub.settings import REPO_ROOT, Settings

if TYPE_CHECKING:
    from dvchub.simulate import Figures

#: Dossiers per working day and the real time aimed at: a month in a few minutes here (the
#: clock waits for the hub, so a loaded machine takes longer; README "Simulating a province").
DEMO_PER_DAY = 30
DEMO_REAL_S = 150.0
LOG_ROOT = REPO_ROOT / ".cache" / "demo" / "simulate"


@dataclass(frozen=True)
class MonthSize:
    """How big the demo's month is: dossiers per working day, and the real time aimed at (the
    suite's demo test runs a smaller one: ``dvchub demo run --month-per-day``)."""

    per_day: int = DEMO_PER_DAY
    real_s: float = DEMO_REAL_S


#: ``make run``'s month.
DEMO_MONTH = MonthSize()


def demo_province(path: Path | None = None, size: MonthSize = DEMO_MONTH) -> Province:
    """The configured province (``infra/province.toml``) at the demo's volume and pace."""
    base = load_province() if path is None else load_province(path)
    return base.overridden(dossiers_per_day=size.per_day, target_real_s=size.real_s)


def show_simulated_month(
    settings: Settings, registry: RegistryClient, size: MonthSize = DEMO_MONTH
) -> Figures:
    """Simulate the month, show it; ``SystemExit(1)`` unless it ended as its scripts say and
    the audit is clean."""
    # here, not at the top: the runner starts the demo's partner chain (``dvchub.demo``)
    from dvchub.simulate import SimulationFailed, run_simulation

    province = demo_province(size=size)
    console.rule(f"A month of {province.name}, simulated on every part (dvchub simulate)")
    run_id = uuid.uuid4().hex[:8]
    try:
        figures = run_simulation(settings, registry, province, run_id, LOG_ROOT / run_id)
    except SimulationFailed as exc:
        console.print(f"[bold red]the simulated month failed: {exc}")
        raise SystemExit(1) from exc
    if figures.audit_clean is not True:
        console.print("[bold red]the audit of the simulated month is not clean (table above)")
        raise SystemExit(1)
    return figures
