"""``python -m connectors.bank ipn`` serves the IPN endpoints (host and port from
``DVC_BANK_HOST`` / ``DVC_BANK_PORT``, TLS from ``DVC_HTTP_TLS_*``); ``python -m connectors.bank
simulator paygov|vnpay --port N --ipn-url URL`` runs a provider simulator in the foreground (the
local stack's)."""

from __future__ import annotations

import argparse
import logging
import time

from connectors.bank._config import PROVIDERS, BankConfig
from connectors.bank._serve import serve_ipn
from connectors.bank._sim import BankSimulator
from hub.secrets import SecretError


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.bank")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ipn", help="serve the payment callback endpoints")
    simulator = commands.add_parser("simulator", help="run a provider simulator")
    simulator.add_argument("provider", choices=PROVIDERS)
    simulator.add_argument("--port", type=int, default=0)
    simulator.add_argument("--ipn-url", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        config = BankConfig()
        if args.command == "ipn":
            # Secrets and TLS are checked before serving; the simulators need only their own.
            serve_ipn(None, config)
            return
    except SecretError as exc:
        parser.exit(2, f"{parser.prog}: refusing to start: {exc}\n")
    with BankSimulator(config.provider(args.provider), ipn_url=args.ipn_url, port=args.port) as sim:
        print(f"{args.provider} simulator on {sim.url}, callbacks to {args.ipn_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
