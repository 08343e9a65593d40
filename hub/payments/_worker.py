"""Running the payments processor as a worker process (``python -m hub.payments worker``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hub import processing
from hub.payments._app import live_processor
from hub.payments._config import PaymentSettings
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings


def run_worker(
    settings: Settings | None = None,
    options: processing.RunnerOptions | None = None,
    *,
    payments: PaymentSettings | None = None,
    loglevel: str = "info",
) -> None:
    """Run one payments worker in this process until SIGTERM/SIGINT (blocks; exits the process)."""
    settings = settings or get_settings()
    processor = live_processor(settings, RegistryClient(settings.schema_registry_url), payments)
    processing.run_worker(processor, settings, options, loglevel=loglevel)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hub.payments")
    commands = parser.add_subparsers(dest="command", required=True)
    processing.add_runner_arguments(commands.add_parser("worker", help="run a payments worker"))
    args = parser.parse_args(argv)
    run_worker(options=processing.runner_options(args), loglevel=args.loglevel)
