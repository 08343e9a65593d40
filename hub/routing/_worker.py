"""Running routing as a worker process (``python -m hub.routing worker``)."""

from __future__ import annotations

from collections.abc import Sequence

from hub import processing
from hub.routing._app import live_processor
from hub.routing._processor import DEFAULT_REDELIVERY_WINDOW
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings
from hub.topics import CATALOG_PROCEDURES


def run_worker(
    settings: Settings | None = None,
    options: processing.RunnerOptions | None = None,
    *,
    loglevel: str = "info",
) -> None:
    """Run one routing worker in this process until SIGTERM/SIGINT (blocks; exits the process)."""
    settings = settings or get_settings()
    opts = options or processing.RunnerOptions()
    processor = live_processor(
        settings, RegistryClient(settings.schema_registry_url),
        redelivery_window=max(DEFAULT_REDELIVERY_WINDOW, 2 * opts.batch_max),
    )  # fmt: skip
    processing.run_worker(
        processor, settings, opts, extra_topics=(CATALOG_PROCEDURES,), loglevel=loglevel
    )


def main(argv: Sequence[str] | None = None) -> None:
    processing.worker_main("python -m hub.routing", "a routing worker", run_worker, argv)
