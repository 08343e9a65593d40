"""``dvchub simulate``: a configurable province on every part of the hub at once, on an
accelerated clock (``_province``: the configuration; ``_script``: each dossier's seeded script;
``_run``: the chain, the feed, the live summary, the figures and the audit; ``_faults*``: the
fault suite).

The runner's names are imported when first used (PEP 562): ``_run`` starts the demo's partner
chain (``dvchub.demo``), whose month section imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dvchub._lazy import lazy_names
from dvchub.simulate._province import DEFAULT_CONFIG, Province, ProvinceError, load_province
from dvchub.simulate._script import Action, Callback, Script, Step, scripts

if TYPE_CHECKING:
    from dvchub.simulate._faults_cli import fault_plan
    from dvchub.simulate._run import Figures, SimulationFailed, run_simulation

#: The runner's public names and their modules.
_HOME = {"Figures": "_run", "SimulationFailed": "_run", "run_simulation": "_run",
         "fault_plan": "_faults_cli"}  # fmt: skip


__getattr__ = lazy_names(__name__, _HOME)


__all__ = ["DEFAULT_CONFIG", "Action", "Callback", "Figures", "Province", "ProvinceError",
           "Script", "SimulationFailed", "Step", "fault_plan", "load_province", "run_simulation",
           "scripts"]  # fmt: skip
