"""The partners' side of ``dvchub audit``: a partner simulator's ledger as a
``hub.audit.PartnerLedger``, so the audit can check that each command the partner accepted was
applied there exactly once (and in order where the partner cares).

Each partner's ``Workload.ledger(sim)`` reads its own simulator into ``PartnerCall``s (the calls
it applied, in order; the repeats it deduplicated left out; ``hub.audit`` imported when the
audit reads them, so a connector never loads it); ``ledgers`` collects them for the
simulators at hand (tests, the demo, ``dvchub simulate``). Against a real deployment there is no
simulator: a partner's reconciliation export could answer the same Protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors.common._server import SimulatorServer

if TYPE_CHECKING:  # hub.audit folds the whole log: imported by the audit, not by a connector
    from connectors.common._spec import PartnerSpec
    from hub.audit import PartnerCall, PartnerLedger


def same_key(idempotency_key: str) -> str:
    """A partner that deduplicates on the command's own idempotency key."""
    return idempotency_key


@dataclass(frozen=True)
class SimulatorLedger:
    """A ``PartnerLedger`` read from a running simulator when the audit asks."""

    partner: str
    command_types: frozenset[str]
    read: Callable[[], Sequence[PartnerCall]] = field(repr=False)
    ordered: bool = False
    derive: Callable[[str], str] = field(default=same_key, repr=False)

    def key_of(self, idempotency_key: str) -> str:
        return self.derive(idempotency_key)

    def applied(self) -> Sequence[PartnerCall]:
        return self.read()


def ledgers(
    specs: Iterable[PartnerSpec], simulators: Mapping[str, SimulatorServer]
) -> list[PartnerLedger]:
    """The ledger of every partner in ``specs`` whose simulator is in ``simulators`` (by partner
    name) and whose workload can read one."""
    found: list[PartnerLedger] = []
    for spec in specs:
        sim = simulators.get(spec.name)
        if sim is not None and (ledger := spec.workload.ledger(sim)) is not None:
            found.append(ledger)
    return found
