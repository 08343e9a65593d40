"""Running the lifecycle as a worker process (``python -m hub.lifecycle worker``)."""

from __future__ import annotations

import argparse
import os
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
    worker = commands.add_parser("worker", help="run a lifecycle worker")
    worker.add_argument("--web-port", type=int, default=int(os.environ.get("DVC_WEB_PORT", "6066")))
    worker.add_argument("--no-web", action="store_true", help="run without the web server")
    worker.add_argument(
        "--catalog-grace", type=float, default=2.0, help="seconds to wait for a procedure"
    )
    worker.add_argument("--session-timeout", type=float, default=10.0)
    worker.add_argument(
        "--commit-interval", type=float, default=5.0, help="seconds between commits"
    )
    worker.add_argument("--batch-max", type=int, default=1000, help="messages per batch at most")
    worker.add_argument(
        "--store",
        default=os.environ.get("DVC_STATE_STORE", "memory://"),
        help="faust table store: memory:// or rocksdb:// (DVC_STATE_STORE)",
    )
    worker.add_argument(
        "--datadir", default=os.environ.get("DVC_STATE_DIR"), help="table data (DVC_STATE_DIR)"
    )
    worker.add_argument("--loglevel", default="info")
    args = parser.parse_args(argv)
    options = AppOptions(
        web_port=args.web_port, web_enabled=not args.no_web, grace_s=args.catalog_grace,
        session_timeout_s=args.session_timeout, commit_interval_s=args.commit_interval,
        batch_max=args.batch_max, store=args.store, datadir=args.datadir,
    )  # fmt: skip
    run_worker(options=options, loglevel=args.loglevel)
