"""Running a KPI fold as a worker process (``python -m hub.kpi worker --processor NAME``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hub import processing
from hub.kpi._app import PROCESSORS, live_processor
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings
from hub.topics import CATALOG_PROCEDURES


def run_worker(
    name: str,
    settings: Settings | None = None,
    options: processing.RunnerOptions | None = None,
    *,
    loglevel: str = "info",
) -> None:
    """Run one worker of the KPI fold ``name`` until SIGTERM/SIGINT (blocks; exits the process)."""
    settings = settings or get_settings()
    processor = live_processor(name, settings, RegistryClient(settings.schema_registry_url))
    processing.run_worker(
        processor, settings, options, extra_topics=(CATALOG_PROCEDURES,), loglevel=loglevel
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hub.kpi")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run a worker of one KPI fold")
    worker.add_argument("--processor", choices=PROCESSORS, required=True)
    processing.add_runner_arguments(worker)
    args = parser.parse_args(argv)
    run_worker(args.processor, options=processing.runner_options(args), loglevel=args.loglevel)
