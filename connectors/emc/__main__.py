"""``python -m connectors.emc simulator [--port N] | openapi``."""

from __future__ import annotations

import argparse
import sys

from connectors.emc import EmcSimulator, render_openapi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.emc")
    commands = parser.add_subparsers(dest="command", required=True)
    simulator = commands.add_parser("simulator", help="serve an EMC simulator")
    simulator.add_argument("--port", type=int, default=18310)
    commands.add_parser("openapi", help="print openapi.json")
    args = parser.parse_args(argv)
    if args.command == "simulator":
        EmcSimulator(port=args.port).serve_forever()
    else:
        sys.stdout.write(render_openapi())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
