"""Running a processor as a worker process until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import faust

from hub.kafka import KafkaSecurityError, create_topic, ensure_topics, wait_visible
from hub.logs import configure_logging
from hub.processing._faust import RunnerOptions, changelog_for, create_app
from hub.processing._types import Processor
from hub.settings import Settings
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


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``worker`` options every processor shares (``runner_options`` reads them)."""
    env = os.environ.get
    parser.add_argument("--web-port", type=int, default=int(env("DVC_WEB_PORT", "6066")))
    parser.add_argument("--no-web", action="store_true", help="run without the web server")
    parser.add_argument(
        "--catalog-grace", type=float, default=2.0, help="seconds a message waits for a side input"
    )
    parser.add_argument("--session-timeout", type=float, default=10.0)
    parser.add_argument(
        "--commit-interval", type=float, default=5.0, help="seconds between commits"
    )
    parser.add_argument("--batch-max", type=int, default=1000, help="messages per batch at most")
    parser.add_argument(
        "--store",
        default=env("DVC_STATE_STORE", "rocksdb://"),
        help="faust table store: memory:// or rocksdb:// (DVC_STATE_STORE)",
    )
    parser.add_argument(
        "--datadir", default=env("DVC_STATE_DIR"), help="table data (DVC_STATE_DIR)"
    )
    parser.add_argument(
        "--clock", default=env("DVC_CLOCK"), help="wall, accelerated:... or file:... (DVC_CLOCK)"
    )
    parser.add_argument("--loglevel", default="info")


def runner_options(args: argparse.Namespace) -> RunnerOptions:
    return RunnerOptions(
        web_port=args.web_port, web_enabled=not args.no_web, grace_s=args.catalog_grace,
        session_timeout_s=args.session_timeout, commit_interval_s=args.commit_interval,
        batch_max=args.batch_max, store=args.store, datadir=args.datadir, clock=args.clock,
    )  # fmt: skip


def worker_main(
    prog: str, what: str, run: Callable[..., None], argv: Sequence[str] | None = None
) -> None:
    """``python -m <package> worker [options]``: the shared options, then
    ``run(options=..., loglevel=...)`` (a package's ``run_worker``)."""
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="command", required=True)
    add_runner_arguments(commands.add_parser("worker", help=f"run {what}"))
    args = parser.parse_args(argv)
    try:
        run(options=runner_options(args), loglevel=args.loglevel)
    except KafkaSecurityError as exc:
        # One line naming the setting, no traceback, a non-zero exit for the supervisor.
        print(f"{prog}: refusing to start: {exc}", file=sys.stderr)
        sys.exit(2)
