"""``python -m connectors.national intake | simulator [--port N] | openapi``.

``intake`` serves ``NationalIntake`` until SIGINT/SIGTERM (settings from ``DVC_*`` and
``DVC_NATIONAL_*``; ``/ready`` and ``/metrics`` on ``DVC_NATIONAL_INTAKE_HOST:PORT``, over TLS as
every inbound service: ``_serve``). ``simulator`` serves a
``NationalPortalSimulator`` in the foreground for the demo. ``openapi`` prints the document.
"""

from __future__ import annotations

import argparse
import logging
import sys

from connectors.national import NationalConfig, render_openapi
from connectors.national._serve import serve_intake
from connectors.national._sim import run_simulator
from hub.secrets import SecretError
from hub.settings import get_settings


def run_intake() -> None:
    """The intake in this process until SIGINT/SIGTERM (what the CLI wires). ``SecretError``
    before anything starts if the account, or the TLS configuration, is missing or insecure."""
    serve_intake(get_settings(), NationalConfig(), log_config=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.national")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("intake", help="poll the portal's new dossiers into the hub")
    simulator = commands.add_parser("simulator", help="serve a portal simulator")
    simulator.add_argument("--port", type=int, default=18300)
    simulator.add_argument("--token-lifetime-s", type=float, default=3600.0)
    commands.add_parser("openapi", help="print openapi.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "intake":
        try:
            run_intake()
        except SecretError as exc:
            parser.exit(2, f"{parser.prog}: refusing to start: {exc}\n")
    elif args.command == "simulator":
        run_simulator(args.port, token_lifetime_s=args.token_lifetime_s)
    else:
        sys.stdout.write(render_openapi())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
