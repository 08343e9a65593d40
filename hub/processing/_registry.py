"""What a processor is to the runner (``ProcessorSpec``) and the hub's processors by name.

Each processor package exports one spec (the KPI package one per fold): its name, the factory of
its live fold, the side-input topics it reads besides its own, which of the runner's options it
honours and the environment variables its factory reads. ``HUB_PROCESSORS`` lists them by name
and imports a package only when its spec is asked for: the names (and their one-line summaries)
are known without importing faust, so ``dvchub --help`` stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hub.processing._faust import RunnerOptions
from hub.processing._types import NO_SIDE_INPUTS, Processor
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import TopicSpec

#: ``(settings, registry client, runner options) -> the live fold``.
Factory = Callable[[Settings, RegistryClient, RunnerOptions], Processor[Any]]


class Option(StrEnum):
    """The runner options that matter only to some processors (every other one matters to all):
    a spec says which of these it honours, the others are accepted and have no effect."""

    #: how long a message waits for a side input (``Deferred``): processors with side inputs
    CATALOG_GRACE = "--catalog-grace"
    #: the clock durable timers fire on: processors with timers
    CLOCK = "--clock"


@dataclass(frozen=True)
class ProcessorSpec:
    """How the runner makes one processor: ``dvchub worker NAME`` runs ``factory``'s fold."""

    name: str
    factory: Factory
    #: topics the fold reads besides its own input (side inputs), created before it starts
    side_topics: tuple[TopicSpec, ...] = ()
    honours: frozenset[Option] = frozenset()
    #: environment variables (or ``PREFIX_*`` families) the factory reads, for ``--list``
    environment: tuple[str, ...] = ()

    def build(
        self, settings: Settings, registry: RegistryClient, options: RunnerOptions
    ) -> Processor[Any]:
        """The live fold; ``ValueError`` if the factory made a processor of another name (its
        name is its consumer group and changelog, so a mix-up would share another's state)."""
        processor = self.factory(settings, registry, options)
        if processor.name != self.name:
            raise ValueError(f"spec {self.name!r} made the processor {processor.name!r}")
        return processor

    def expected_honours(self, processor: Processor[Any]) -> frozenset[Option]:
        """The options ``processor`` (this spec's fold) does use: what ``honours`` must say."""
        uses = {
            Option.CATALOG_GRACE: processor.side_inputs is not NO_SIDE_INPUTS,
            Option.CLOCK: processor.timers,
        }
        return frozenset(option for option, used in uses.items() if used)


@dataclass(frozen=True)
class Registered:
    """One registry entry: the spec is the attribute ``attribute`` of the module ``module``."""

    name: str
    module: str
    attribute: str
    summary: str


class UnknownProcessor(LookupError):
    """A processor name that is not in the registry (the message lists the known ones)."""


@dataclass(frozen=True)
class Registry:
    """Processors by name; a spec's package is imported when the spec is first asked for."""

    entries: tuple[Registered, ...]

    def __iter__(self) -> Iterator[Registered]:
        return iter(self.entries)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(entry.name for entry in self.entries)

    def entry(self, name: str) -> Registered:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise UnknownProcessor(f"no processor {name!r}; one of {', '.join(self.names)}")

    def spec(self, name: str) -> ProcessorSpec:
        entry = self.entry(name)
        spec = getattr(importlib.import_module(entry.module), entry.attribute)
        if not isinstance(spec, ProcessorSpec) or spec.name != name:
            raise TypeError(f"{entry.module}.{entry.attribute} is not the spec of {name!r}")
        return spec


#: Every processor of the hub. A new one: its package exports a ``ProcessorSpec``, one line here,
#: a compose service and a scrape target (tests/processing/test_registry.py checks all three).
HUB_PROCESSORS = Registry(
    (
        Registered("lifecycle", "hub.lifecycle", "SPEC",
                   "dossier events -> each dossier's state (dossier.state)"),
        Registered("sla", "hub.sla", "SPEC",
                   "deadlines on the working calendar, durable timers, alerts"),
        Registered("kpi-dossiers", "hub.kpi", "DOSSIERS_SPEC",
                   "dossier events -> how each dossier counts (kpi.dossiers, kpi.facts)"),
        Registered("kpi", "hub.kpi", "KPI_SPEC",
                   "kpi.facts -> KPI snapshots per agency and period"),
        Registered("kpi-procedures", "hub.kpi", "PROCEDURES_SPEC",
                   "the catalogue -> every procedure's versions (kpi.procedures)"),
        Registered("routing", "hub.routing", "SPEC",
                   "postal orders, national-portal syncs and progress, EMC records"),
        Registered("payments", "hub.payments", "SPEC",
                   "payment requests, status queries (timers), refunds"),
    )
)  # fmt: skip
