"""``python -m connectors.notify simulator [--port N] [--smtp-port N]``."""

from __future__ import annotations

import argparse

from connectors.notify import NotifySimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.notify")
    commands = parser.add_subparsers(dest="command", required=True)
    simulator = commands.add_parser("simulator", help="serve the SMS, ZNS and SMTP simulators")
    simulator.add_argument("--port", type=int, default=18320, help="SMS and ZNS (HTTP)")
    simulator.add_argument("--smtp-port", type=int, default=18325, help="the SMTP relay")
    args = parser.parse_args(argv)
    sim = NotifySimulator(port=args.port, smtp_port=args.smtp_port)
    sim.smtp.start()
    try:
        sim.serve_forever()
    finally:
        sim.smtp.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
