"""The partners the hub calls: each package's ``PartnerSpec`` (``connectors/<name>/_spec.py``).

``NAMES`` is the registry: adding a partner adds its package and its name here (and its inbound
endpoints' names to ``INBOUND``). Importing a
partner's package costs about a second (zeep, pydantic models, FastAPI), so ``spec(name)``
imports only the partner asked for, and ``NAMES`` serves help texts and choices without
importing any.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # the CLI imports this module to list names: no partner, no faust, no zeep
    from connectors.common import PartnerSpec

NAMES: Final = ("vnpost", "national", "emc", "bank", "notify")
#: Each inbound endpoint's name (a ``dvchub`` command, a compose service) -> its partner, so
#: the CLI lists them without importing a spec; a test checks it against the specs' ``inbound``.
INBOUND: Final[Mapping[str, str]] = {
    "vnpost-callbacks": "vnpost",
    "bank-ipn": "bank",
    "national-intake": "national",
}


class UnknownPartner(ValueError):
    """A partner name that is not in ``NAMES``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown partner {name!r}: one of {', '.join(NAMES)}")
        self.name = name


def spec(name: str) -> PartnerSpec:
    """The spec of partner ``name``; ``UnknownPartner`` names the known ones."""
    if name not in NAMES:
        raise UnknownPartner(name)
    found: PartnerSpec = importlib.import_module(f"connectors.{name}._spec").SPEC
    return found


def all_specs() -> tuple[PartnerSpec, ...]:
    """Every partner's spec, in ``NAMES`` order (imports them all)."""
    return tuple(spec(name) for name in NAMES)
