"""Running the lifecycle app as a worker process (``python -m hub.lifecycle worker``)."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

import faust

from hub.kafka import ensure_topics
from hub.lifecycle._app import AppOptions, create_app
from hub.settings import Settings, get_settings
from hub.topics import CATALOG_PROCEDURES, DEADLETTER, DOSSIER_EVENTS, DOSSIER_STATE

LIFECYCLE_TOPICS = (DOSSIER_EVENTS, DOSSIER_STATE, CATALOG_PROCEDURES, DEADLETTER)


def run_worker(
    settings: Settings | None = None,
    options: AppOptions | None = None,
    *,
    loglevel: str = "info",
) -> None:
    """Run one lifecycle worker in this process until SIGTERM/SIGINT (blocks; exits the process)."""
    settings = settings or get_settings()
    ensure_topics(settings, LIFECYCLE_TOPICS)
    app = create_app(settings, options)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per registry call otherwise
    worker.execute_from_commandline()


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
    worker.add_argument("--loglevel", default="info")
    args = parser.parse_args(argv)
    options = AppOptions(
        web_port=args.web_port, web_enabled=not args.no_web,
        catalog_grace_s=args.catalog_grace, session_timeout_s=args.session_timeout,
        commit_interval_s=args.commit_interval,
    )  # fmt: skip
    run_worker(options=options, loglevel=args.loglevel)
