"""Running the payments processor as a worker process (``python -m hub.payments worker``)."""

from __future__ import annotations

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
    processing.worker_main("python -m hub.payments", "a payments worker", run_worker, argv)
