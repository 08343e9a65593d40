"""The hub's processors by name, and the one command line that runs any of them.

``HUB_PROCESSORS`` lists every processor (a ``hub.processing.ProcessorSpec`` exported by its
package) and imports a package only when its spec is asked for; ``worker_main`` is ``dvchub
worker NAME [options]`` and ``python -m hub.processing worker NAME [options]``: the same options
for every processor (``add_runner_arguments``). Nothing here imports faust, so ``dvchub --help``
and ``dvchub worker NAME --help`` stay light; running a worker or ``--list`` imports the runtime.

Errors: ``UnknownProcessor`` (a ``LookupError``) for a name the registry does not list, which the
command line reports as a usage error (exit 2, the known names); a refused start
(``KafkaSecurityError``, ``SecretError``) is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from hub.kafka import KafkaSecurityError
from hub.logs import configure_logging
from hub.secrets import SecretError
from hub.settings import get_settings

if TYPE_CHECKING:
    from hub.processing import LoopSpec, ProcessorSpec


class Option(StrEnum):
    """The runner options that matter only to some processors (every other one matters to all):
    a spec says which of these it honours, the others are accepted and have no effect."""

    #: how long a message waits for a side input (``Deferred``): processors with side inputs
    CATALOG_GRACE = "--catalog-grace"
    #: the clock durable timers fire on: processors with timers
    CLOCK = "--clock"


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

    def spec(self, name: str) -> ProcessorSpec | LoopSpec:
        from hub.processing import LoopSpec, ProcessorSpec

        entry = self.entry(name)
        spec = getattr(importlib.import_module(entry.module), entry.attribute)
        if not isinstance(spec, ProcessorSpec | LoopSpec) or spec.name != name:
            raise TypeError(f"{entry.module}.{entry.attribute} is not the spec of {name!r}")
        return spec


#: Every processor of the hub. A new one: its package exports a ``ProcessorSpec``, one line here,
#: a compose service and a scrape target (tests/processing/test_registry.py checks all three).
#: The processors outside ``hub`` (signing) join these in ``dvchub.processors``.
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


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``worker`` options every processor shares (``hub.processing.runner_options`` reads
    them)."""
    env = os.environ.get
    parser.add_argument("--web-port", type=int, default=int(env("DVC_WEB_PORT", "6066")),
                        help="port of /ready and /metrics (DVC_WEB_PORT)")  # fmt: skip
    parser.add_argument("--no-web", action="store_true", help="run without the web server")
    parser.add_argument(
        Option.CATALOG_GRACE, type=float, default=2.0,
        help="seconds a message waits for a side input (processors with side inputs)",
    )  # fmt: skip
    parser.add_argument("--session-timeout", type=float, default=10.0)
    parser.add_argument(
        "--commit-interval", type=float, default=5.0, help="seconds between commits"
    )
    parser.add_argument("--batch-max", type=int, default=1000, help="messages per batch at most")
    parser.add_argument(
        "--store",
        default=None,
        help="faust table store: rocksdb:// (the default) or memory:// (DVC_STATE_STORE)",
    )
    parser.add_argument(
        "--datadir", default=env("DVC_STATE_DIR"), help="table data (DVC_STATE_DIR)"
    )
    parser.add_argument(
        Option.CLOCK, default=env("DVC_CLOCK"),
        help="wall, accelerated:... or file:... (DVC_CLOCK; processors with timers)",
    )  # fmt: skip
    parser.add_argument("--loglevel", default=env("DVC_LOG_LEVEL", "info"))


def parser_for(prog: str, registry: Registry = HUB_PROCESSORS) -> argparse.ArgumentParser:
    """``prog worker (--list | NAME [options])``."""
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run a worker of one processor")
    worker.add_argument(
        "--list", action="store_true", help="list the processors, what each honours, and exit"
    )
    names = worker.add_subparsers(dest="name", metavar="NAME", title="processors")
    for entry in registry:
        add_runner_arguments(names.add_parser(
            entry.name, help=entry.summary, description=entry.summary,
            epilog=f"What it honours and reads: {prog} worker --list.",
        ))  # fmt: skip
    return parser


def describe(spec: ProcessorSpec | LoopSpec) -> str:
    """What ``spec`` honours and reads, one line each (``worker --list``)."""
    ignored = sorted(set(Option) - spec.honours)
    lines = [
        f"side inputs: {', '.join(t.suffix for t in spec.side_topics) or 'none'}",
        f"honours: {', '.join(sorted(spec.honours)) or 'the common options only'}"
        + (f" (accepts, without effect: {', '.join(ignored)})" if ignored else ""),
        f"configured by: {', '.join(spec.environment) or 'the common settings only'}",
    ]
    return "\n".join(lines)


def print_list(registry: Registry = HUB_PROCESSORS) -> None:
    for entry in registry:
        details = describe(registry.spec(entry.name)).replace("\n", "\n    ")
        print(f"{entry.name}: {entry.summary}\n    {details}")


def worker_main(
    argv: Sequence[str] | None = None,
    *,
    prog: str = "python -m hub.processing",
    registry: Registry = HUB_PROCESSORS,
) -> None:
    """``prog worker NAME [options]``: run ``NAME``'s spec with the shared options;
    ``prog worker --list``: the registry. A refused start is one line on stderr, exit 2."""
    parser = parser_for(prog, registry)
    args = parser.parse_args(argv)
    if args.list:
        print_list(registry)
        return
    if args.name is None:
        parser.error(f"worker: a processor NAME is required, one of {', '.join(registry.names)}")
    from hub.processing import LoopSpec, run_spec, runner_options  # the runtime: faust

    try:
        spec = registry.spec(args.name)
        if isinstance(spec, LoopSpec):  # not a fold: it runs on the shared consume loop
            configure_logging(args.loglevel.upper())
            spec.run(get_settings(), runner_options(args))
        else:
            run_spec(spec, get_settings(), runner_options(args), loglevel=args.loglevel)
    except (KafkaSecurityError, SecretError) as exc:
        # One line naming the setting (never its value), no traceback, a non-zero exit for the
        # supervisor.
        print(f"{prog}: refusing to start: {exc}", file=sys.stderr)
        sys.exit(2)
