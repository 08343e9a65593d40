"""Running the lifecycle as a worker process (``python -m hub.lifecycle worker``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hub import processing
from hub.lifecycle._app import AppOptions, live_processor
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings
from hub.topics import CATALOG_PROCEDURES


def run_worker(
    settings: Settings | None = None,
    options: AppOptions | None = None,
    *,
    loglevel: str = "info",
) -> None:
    """Run one lifecycle worker in this process until SIGTERM/SIGINT (blocks; exits the process)."""
    settings = settings or get_settings()
    processor = live_processor(settings, RegistryClient(settings.schema_registry_url))
    processing.run_worker(
        processor, settings, options, extra_topics=(CATALOG_PROCEDURES,), loglevel=loglevel
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hub.lifecycle")
    commands = parser.add_subparsers(dest="command", required=True)
    processing.add_runner_arguments(commands.add_parser("worker", help="run a lifecycle worker"))
    args = parser.parse_args(argv)
    run_worker(options=processing.runner_options(args), loglevel=args.loglevel)
