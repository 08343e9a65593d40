"""``PartnerSpec``: one partner declared once, in its package (``connectors/<partner>/_spec.py``).

The outbox CLI, the bench, the demo, docker-compose's test and the spec contract test read a
partner only through its spec, so a new partner is its package (with its ``_spec.py``), its
schemas and its entry in the routing ``KINDS`` (or the payments rules), and its name in
``connectors.partners.NAMES``; tests check the rest (``tests/connectors/test_partner_specs.py``).

A spec names:

- ``command_types``: the PartnerCommand types the partner's client handles (their union over the
  specs is the schema's ``CommandType``, checked by a test);
- ``client``: the outbox's ``PartnerClient``, built from the partner's ``DVC_*`` variables,
  checking its secrets first (``hub.secrets.SecretError`` before anything is consumed);
- ``simulator``: the real SOAP/HTTP simulator server of the partner's protocol;
- ``inbound``: how the partner calls the hub (callbacks, IPN, intake), each a ``dvchub``
  command and a docker-compose service of the same name;
- ``workload``: the commands the bench and the contract test send, and what the simulator
  recorded of them (the demo's counts too);
- ``demo``: what ``make run`` shows of the partner (``connectors.common.demo.DemoPart``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.common._server import SimulatorServer
from connectors.common.audit import SimulatorLedger
from connectors.common.demo import DemoPart

if TYPE_CHECKING:  # connectors.outbox is imported by the clients, never by common at run time
    from connectors.outbox import PartnerClient

#: (command type, payload record name, payload): one PartnerCommand's body. The payload is an
#: Avro record for ``hub.serde`` (strings, numbers, nested records, None), read back only by
#: the workload that wrote it.
Payload = tuple[str, str, Mapping[str, object]]


@dataclass(frozen=True)
class Received:
    """What a simulator holds after a run: effects (one per command applied), the repeated
    calls it deduplicated, a line for people, and anything it found wrong."""

    effects: int
    duplicates: int
    detail: str
    problems: tuple[str, ...] = ()


class Workload(ABC):
    """A partner's commands and its simulator's records, for the bench, the demo and the spec
    contract test. ``sim`` is the spec's simulator, started: a workload takes its own kind
    with ``<its simulator class>.of(sim)`` (the specs are listed together, so the base cannot
    name it)."""

    #: Commands per dossier beyond which the payloads would stop making sense.
    max_per_dossier: int = 10_000
    #: When the sample dossiers' life starts (08:00 in Vietnam).
    started: datetime = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    @staticmethod
    def dossier_id(dossier: int) -> str:
        """The id of sample dossier number ``dossier``."""
        return f"000.00.22.H01-260302-{dossier:05d}"

    def url(self, sim: SimulatorServer) -> str:
        """The address the client is pointed at."""
        return sim.url

    @abstractmethod
    def env(self, url: str) -> dict[str, str]:
        """The ``DVC_*`` variables pointing the partner's client at ``url``."""

    @abstractmethod
    def payload(self, dossier: int, step: int) -> Payload:
        """The ``step``-th command of dossier number ``dossier`` (bench: round robin)."""

    def samples(self) -> tuple[Payload, ...]:
        """One command of each type the partner handles, in an order one dossier may get them
        (by default the first steps of ``payload``)."""
        return tuple(self.payload(0, step) for step in range(self.sample_steps))

    #: How many of ``payload``'s first steps cover every command type.
    sample_steps: int = 1
    #: Command types that change nothing at the partner (a status query): a redelivery is a
    #: second call by design.
    read_only: frozenset[str] = frozenset()

    def before(  # noqa: B027 (a hook, optional)
        self, sim: SimulatorServer, payload: Payload
    ) -> None:
        """What the partner's side does before ``payload`` is sent (a payer paying before a
        refund); nothing by default."""

    @abstractmethod
    def calls(self, sim: SimulatorServer) -> Counter[str]:
        """Effects the simulator recorded, by command type (a repeated key is not one)."""

    @abstractmethod
    def received(self, sim: SimulatorServer) -> Received:
        """The simulator's records, summed up."""

    @abstractmethod
    def fail_next(self, sim: SimulatorServer, count: int) -> None:
        """The next ``count`` calls get a 5xx, before the simulator does anything."""

    def ledger(self, sim: SimulatorServer) -> SimulatorLedger | None:
        """What the simulator applied, for ``dvchub audit`` (``connectors.common.audit``);
        None: this partner's simulator keeps no ledger the audit can read."""
        return None


@dataclass(frozen=True)
class Inbound:
    """An endpoint by which the partner calls the hub: served by ``dvchub <name>`` and run by the
    docker-compose service ``<name>``."""

    name: str
    #: The command's help text.
    summary: str
    #: Serves until interrupted, from the ``DVC_*`` variables; raises ``SecretError`` before
    #: serving anything when a secret or TLS is refused.
    serve: Callable[[], None]


@dataclass(frozen=True)
class PartnerSpec:
    """One partner, as everything outside its package sees it."""

    name: str
    command_types: frozenset[str]
    client: Callable[[], PartnerClient]
    simulator: Callable[[], SimulatorServer]
    workload: Workload
    inbound: tuple[Inbound, ...] = ()
    #: What ``make run`` shows of it; None: the demo leaves it out.
    demo: DemoPart[Any] | None = None
