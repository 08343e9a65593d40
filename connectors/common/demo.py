"""What ``make run`` shows of a partner: its spec's ``DemoPart`` (``PartnerSpec.demo``).

The demo (``dvchub/demo/_partners.py``) iterates the specs, so a partner with a demo part is in
it: the endpoint its simulator calls (``CallsHub``) served over HTTPS with mutual TLS by a CA of
the partner's own, its simulator told where that is (``Calls``), its story told through the
demo's ``Stage`` (the sample dossiers of ``SampleEvents``, pushed through the portal connector),
and its column of the per-dossier table. Public, and apart from ``_spec``, so that a partner's
``_spec.py`` imports the demo's vocabulary in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from connectors.common._server import SimulatorServer

if TYPE_CHECKING:
    import ssl

    from fastapi import FastAPI

    from hub.serde import RegistryClient
    from hub.settings import Settings
    from hub.topics import TopicSpec

__all__ = ["Calls", "CallsHub", "DemoPart", "Event", "SampleEvents", "Stage"]

#: A DossierEvent record as the demo builds and reads them.
Event = dict[str, Any]
S = TypeVar("S", bound=SimulatorServer)
W = TypeVar("W")


class SampleEvents(Protocol):
    """The demo's sample dossier ``n`` (``dossier_id(n)``), its events as the one-stop system
    sends them."""

    def dossier_id(self, n: int) -> str: ...
    def submitted(self, n: int, channel: str, postal: bool) -> Event: ...
    def accepted(self, n: int) -> Event: ...
    def step(self, n: int) -> Event: ...
    def supplement_requested(self, n: int) -> Event: ...
    def supplement_received(self, n: int) -> Event: ...
    def fee_requested(self, n: int) -> Event: ...
    def apology(self, n: int) -> Event:
        """The agency's apology for the dossier's delay, with a new date a month on."""

    def result_ready(self, n: int, channel: str) -> Event: ...
    def result_signed(self, n: int) -> Event: ...
    def returned(self, n: int) -> Event: ...
    def stopped(self, n: int) -> Event: ...


class Stage(Protocol):
    """What a partner's demo story can do with the hub the demo runs (on the section's topics,
    every processor and outbox worker running)."""

    @property
    def run_id(self) -> str: ...
    @property
    def settings(self) -> Settings:
        """The section's (its own topic prefix)."""

    @property
    def registry(self) -> RegistryClient: ...
    @property
    def sample(self) -> SampleEvents: ...

    def push(self, *events: Event) -> None:
        """Through the portal connector, as the one-stop system would."""

    def publish(self, *events: Event) -> None:
        """Straight to ``dossier.events`` (what a processor of the hub would emit)."""

    def read(self, spec: TopicSpec) -> list[dict[str, Any]]:
        """Every record of a topic of the section, decoded."""

    def events(self, dossier_id: str, event_type: str | None = None) -> list[Event]: ...

    def wait(self, check: Callable[[], W | None], timeout_s: float, what: str) -> W:
        """``check()`` until it is truthy (its value), or the demo fails naming ``what``."""

    def serve(
        self, inbound: str, app: Callable[[Settings], FastAPI]
    ) -> AbstractContextManager[str]:
        """The app of the inbound endpoint ``inbound`` (built from its service's settings:
        logged in to Kafka as it) served over the demo's HTTPS; yields its base URL."""

    def say(self, text: str) -> None: ...

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None: ...


@dataclass(frozen=True)
class Calls:
    """Where a simulator calls the hub back: the demo's endpoint URL and the client TLS it
    presents (the partner's own certificate: mutual TLS)."""

    url: str
    tls: ssl.SSLContext


@dataclass(frozen=True)
class CallsHub:
    """The inbound endpoint the partner's simulator calls in the demo: served before the
    simulator, with a CA of the partner's own for its client certificate."""

    #: The inbound endpoint's name (``PartnerSpec.inbound``): the service it logs in as.
    inbound: str
    #: Its app, logged in as the service, sharing the demo's registry client.
    app: Callable[[Settings, RegistryClient], FastAPI]
    #: The path the simulator calls, after the endpoint's base URL.
    path: str
    #: The variables ``dvchub <inbound>`` binds by and takes the partner's client CA from: the
    #: chain serves it as a process of its own with them (``dvchub simulate``, whose fault
    #: suite kills it).
    host_variable: str
    port_variable: str
    client_ca_variable: str


@dataclass(frozen=True)
class DemoPart(Generic[S]):
    """What the demo shows of a partner."""

    #: How the section's title and tables name the partner ("VNPost (SOAP)").
    title: str
    #: The simulator, given where it calls the hub (``calls``), else None.
    simulator: Callable[[Calls | None], S]
    calls: CallsHub | None = None
    #: The partner's story (dossiers the stage pushes, what the simulator does), in the order
    #: of ``connectors.partners.NAMES``; None: the partner only gets the others' commands.
    story: Callable[[Stage, S], None] | None = None
    #: A column of the per-dossier table: its header and the simulator's line of a dossier.
    per_dossier: tuple[str, Callable[[S, str], str]] | None = None
