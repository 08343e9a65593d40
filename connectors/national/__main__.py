"""``python -m connectors.national intake | simulator [--port N] | openapi``.

``intake`` runs ``NationalIntake`` until SIGINT/SIGTERM (settings from ``DVC_*`` and
``DVC_NATIONAL_*``; ``--metrics-port`` serves its Prometheus counters). ``simulator`` serves a
``NationalPortalSimulator`` in the foreground for the demo. ``openapi`` prints the document.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from connectors.national import NationalConfig, NationalIntake, render_openapi
from connectors.national._sim import run_simulator
from hub.secrets import SecretError
from hub.serde import RegistryClient
from hub.settings import get_settings


def run_intake(metrics_port: int | None = None) -> None:
    """The intake loop in this process until SIGINT/SIGTERM (what the CLI can wire).
    ``SecretError`` before anything starts if the account is missing or insecure."""
    config = NationalConfig()
    config.require_secrets()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    settings = get_settings()
    with RegistryClient(settings.schema_registry_url) as registry:
        intake = NationalIntake(settings, registry, config)
        try:
            intake.run(stop)
        finally:
            intake.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.national")
    commands = parser.add_subparsers(dest="command", required=True)
    intake = commands.add_parser("intake", help="poll the portal's new dossiers into the hub")
    intake.add_argument("--metrics-port", type=int, default=None)
    simulator = commands.add_parser("simulator", help="serve a portal simulator")
    simulator.add_argument("--port", type=int, default=18300)
    simulator.add_argument("--token-lifetime-s", type=float, default=3600.0)
    commands.add_parser("openapi", help="print openapi.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "intake":
        try:
            run_intake(args.metrics_port)
        except SecretError as exc:
            parser.exit(2, f"{parser.prog}: refusing to start: {exc}\n")
    elif args.command == "simulator":
        run_simulator(args.port, token_lifetime_s=args.token_lifetime_s)
    else:
        sys.stdout.write(render_openapi())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
