"""Running a processor as a worker process until SIGTERM/SIGINT: ``dvchub worker NAME`` and
``python -m hub.processing worker NAME``, one parser with the same options for every processor."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import faust

from hub.kafka import KafkaSecurityError, create_topic, ensure_topics, wait_visible
from hub.logs import configure_logging
from hub.processing._faust import RunnerOptions, changelog_for, create_app
from hub.processing._registry import HUB_PROCESSORS, Option, ProcessorSpec, Registry
from hub.processing._types import Processor
from hub.secrets import SecretError
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings
from hub.topics import DEADLETTER, TopicSpec


def topics_of(processor: Processor[Any]) -> tuple[TopicSpec, ...]:
    """Every hub topic a processor reads or writes (its input, state, outputs, dead letters)."""
    state = () if processor.state_topic is None else (processor.state_topic,)
    return (processor.source, *state, *processor.outputs, DEADLETTER)


def run_worker(
    processor: Processor[Any],
    settings: Settings,
    options: RunnerOptions | None = None,
    *,
    extra_topics: Iterable[TopicSpec] = (),
    loglevel: str = "info",
) -> None:
    """Run one worker of ``processor`` in this process (blocks; exits the process at the end)."""
    configure_logging(loglevel.upper())
    specs = (*topics_of(processor), *extra_topics)
    ensure_topics(settings, specs)
    # The table's changelog too, as faust would make it, so that it is visible before faust's
    # producer first asks for it (see wait_visible).
    changelog = changelog_for(processor, settings, options)
    create_topic(settings, changelog, config={"cleanup.policy": "compact"})
    wait_visible(settings, (*(spec.name(settings.topic_prefix) for spec in specs), changelog))
    app = create_app(processor, settings, options)
    # quiet: faust's banner and its own log set-up stay out; records go through configure_logging
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, override_logging=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per registry call otherwise
    worker.execute_from_commandline()


def run_spec(
    spec: ProcessorSpec,
    settings: Settings,
    options: RunnerOptions | None = None,
    *,
    loglevel: str = "info",
) -> None:
    """Run one worker of ``spec``'s live fold (blocks; exits the process at the end)."""
    opts = options or RunnerOptions()
    # Not closed: the process ends with the worker, and the fold's serdes use it until then.
    registry = RegistryClient(settings.schema_registry_url)
    processor = spec.build(settings, registry, opts)
    run_worker(processor, settings, opts, extra_topics=spec.side_topics, loglevel=loglevel)


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``worker`` options every processor shares (``runner_options`` reads them)."""
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
        default=env("DVC_STATE_STORE", "memory://"),
        help="faust table store: memory:// or rocksdb:// (DVC_STATE_STORE)",
    )
    parser.add_argument(
        "--datadir", default=env("DVC_STATE_DIR"), help="table data (DVC_STATE_DIR)"
    )
    parser.add_argument(
        Option.CLOCK, default=env("DVC_CLOCK"),
        help="wall, accelerated:... or file:... (DVC_CLOCK; processors with timers)",
    )  # fmt: skip
    parser.add_argument("--loglevel", default=env("DVC_LOG_LEVEL", "info"))


def runner_options(args: argparse.Namespace) -> RunnerOptions:
    return RunnerOptions(
        web_port=args.web_port, web_enabled=not args.no_web, grace_s=args.catalog_grace,
        session_timeout_s=args.session_timeout, commit_interval_s=args.commit_interval,
        batch_max=args.batch_max, store=args.store, datadir=args.datadir, clock=args.clock,
    )  # fmt: skip


def describe(spec: ProcessorSpec) -> str:
    """What ``spec`` honours and reads, in one line each (``--list``, ``NAME --help``)."""
    ignored = sorted(set(Option) - spec.honours)
    lines = [
        f"side inputs: {', '.join(t.suffix for t in spec.side_topics) or 'none'}",
        f"honours: {', '.join(sorted(spec.honours)) or 'the common options only'}"
        + (f" (accepts, without effect: {', '.join(ignored)})" if ignored else ""),
        f"configured by: {', '.join(spec.environment) or 'the common settings only'}",
    ]
    return "\n".join(lines)


class _ProcessorParser(argparse.ArgumentParser):
    """One processor's ``worker NAME`` parser: its help loads the spec (and so imports its
    package) only when asked for."""

    # parser_for sets both on each processor's parser
    registry: Registry = HUB_PROCESSORS
    processor: str = ""

    def format_help(self) -> str:
        self.epilog = describe(self.registry.spec(self.processor))
        return super().format_help()


def parser_for(prog: str, registry: Registry = HUB_PROCESSORS) -> argparse.ArgumentParser:
    """``prog worker (--list | NAME [options])``."""
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run a worker of one processor")
    worker.add_argument("--list", action="store_true", help="list the processors and exit")
    names = worker.add_subparsers(
        dest="name", metavar="NAME", title="processors",
        parser_class=_ProcessorParser,
    )  # fmt: skip
    for entry in registry:
        one = names.add_parser(
            entry.name, help=entry.summary, description=entry.summary,
            formatter_class=argparse.RawDescriptionHelpFormatter,  # the epilog's lines as written
        )  # fmt: skip
        one.registry, one.processor = registry, entry.name
        add_runner_arguments(one)
    return parser


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
    try:
        run_spec(registry.spec(args.name), get_settings(), runner_options(args),
                 loglevel=args.loglevel)  # fmt: skip
    except (KafkaSecurityError, SecretError) as exc:
        # One line naming the setting (never its value), no traceback, a non-zero exit for the
        # supervisor.
        print(f"{prog}: refusing to start: {exc}", file=sys.stderr)
        sys.exit(2)
