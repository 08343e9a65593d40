"""``dvchub simulate``: a configurable province on every part of the hub at once, on an
accelerated clock (``_province``: the configuration; ``_script``: each dossier's seeded script;
``_run``: the chain, the feed, the live summary, the figures and the audit)."""

from dvchub.simulate._province import DEFAULT_CONFIG, Province, ProvinceError, load_province
from dvchub.simulate._script import Action, Callback, Script, Step, scripts

__all__ = ["DEFAULT_CONFIG", "Action", "Callback", "Province", "ProvinceError", "Script", "Step",
           "load_province", "scripts"]  # fmt: skip
