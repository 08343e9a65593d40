"""What a processor is to the runner: a ``ProcessorSpec``.

Each processor package exports one spec (the KPI package one per fold): its name, the factory of
its live fold, the side-input topics it reads besides its own, which of the runner's
processor-specific options it honours and the environment variables its factory reads. The hub's
specs are listed by name in ``hub.processors``. A processor that is not a fold exports a
``LoopSpec`` instead: how it runs on the shared consume loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.processing._options import RunnerOptions
from hub.processing._types import NO_SIDE_INPUTS, Processor
from hub.processors import Option
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import TopicSpec

#: ``(settings, registry client, runner options) -> the live fold``.
Factory = Callable[[Settings, RegistryClient, RunnerOptions], Processor[Any]]


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


#: ``(settings, runner options) -> None``: runs the processor until SIGTERM / SIGINT.
Runs = Callable[[Settings, RunnerOptions], None]


@dataclass(frozen=True)
class LoopSpec:
    """A processor that is not a fold (a signature, a partner call): ``dvchub worker NAME``
    calls ``run``, which runs its handler on ``hub.processing.ConsumeLoop``."""

    name: str
    run: Runs
    side_topics: tuple[TopicSpec, ...] = ()
    #: neither --clock nor --catalog-grace: a loop has no timers and no side inputs
    honours: frozenset[Option] = frozenset()
    environment: tuple[str, ...] = ()
