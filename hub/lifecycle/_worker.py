"""Running the lifecycle as a worker process (``python -m hub.lifecycle worker``)."""

from __future__ import annotations

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
    processing.worker_main("python -m hub.lifecycle", "a lifecycle worker", run_worker, argv)
