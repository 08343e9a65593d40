"""Running a processor as a worker process until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import faust

from hub.kafka import ensure_topics
from hub.logs import configure_logging
from hub.processing._faust import RunnerOptions, create_app
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
    ensure_topics(settings, (*topics_of(processor), *extra_topics))
    app = create_app(processor, settings, options)
    # quiet: faust's banner and its own log set-up stay out; records go through configure_logging
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, override_logging=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per registry call otherwise
    worker.execute_from_commandline()
