"""Running a processor as a worker process until SIGTERM/SIGINT (``run_spec``, behind ``dvchub
worker NAME`` and ``python -m hub.processing worker NAME``: ``hub.processors.worker_main``)."""

from __future__ import annotations

import argparse
import atexit
import cProfile
import dataclasses
import logging
import os
from collections.abc import Iterable

import faust

from hub.kafka import create_topic, ensure_topics, topic_id, wait_visible
from hub.logs import configure_logging
from hub.processing._faust import RunnerOptions, changelog_for, create_app
from hub.processing._spec import ProcessorSpec
from hub.processing._types import Processor, S
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import DEADLETTER, TopicSpec


def topics_of(processor: Processor[S]) -> tuple[TopicSpec, ...]:
    """Every hub topic a processor reads or writes (its input, state, outputs, dead letters)."""
    state = () if processor.state_topic is None else (processor.state_topic,)
    return (processor.source, *state, *processor.outputs, DEADLETTER)


def run_worker(
    processor: Processor[S],
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
    app = create_app(processor, settings, options, origin=topic_id(settings, changelog))
    _profile_if_asked()
    # quiet: faust's banner and its own log set-up stay out; records go through configure_logging
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, override_logging=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per registry call otherwise
    worker.execute_from_commandline()


def _profile_if_asked() -> None:
    """With DVC_PROFILE=<file>, profile the whole worker (cProfile) and write the statistics
    there when it stops: how the benches show where a live worker's time goes."""
    path = os.environ.get("DVC_PROFILE")
    if not path:
        return
    profiler = cProfile.Profile()
    profiler.enable()

    def dump() -> None:
        profiler.disable()
        profiler.dump_stats(path)

    atexit.register(dump)


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


def runner_options(args: argparse.Namespace) -> RunnerOptions:
    """The options of ``hub.processors.add_runner_arguments``, parsed."""
    options = RunnerOptions(
        web_port=args.web_port, web_enabled=not args.no_web, grace_s=args.catalog_grace,
        session_timeout_s=args.session_timeout, commit_interval_s=args.commit_interval,
        batch_max=args.batch_max, datadir=args.datadir, clock=args.clock,
    )  # fmt: skip
    # no --store: RunnerOptions' default (DVC_STATE_STORE, else rocksdb://)
    return options if args.store is None else dataclasses.replace(options, store=args.store)
