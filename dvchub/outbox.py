"""An outbox worker for one partner, composed from outside the core: ``connectors.outbox`` drives
the client of the partner's spec (``connectors.partners``), configured from its ``DVC_*``
variables.

    python -m dvchub.outbox worker --partner national --web-port 6070

(``dvchub outbox worker`` is the same command.) SIGTERM or Ctrl-C stops it cleanly: the calls in
flight finish their attempt, finished commands are committed, the rest are redelivered.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from connectors.outbox import (
    BreakerPolicy,
    OutboxOptions,
    OutboxWorker,
    RetryPolicy,
)
from connectors.partners import NAMES, UnknownPartner, spec
from hub.logs import configure_logging
from hub.secrets import SecretError
from hub.settings import Settings, get_settings


def options_from(args: argparse.Namespace) -> OutboxOptions:
    return OutboxOptions(
        concurrency=args.concurrency,
        max_pending=args.max_pending,
        retry=RetryPolicy(
            base_s=args.retry_base, cap_s=args.retry_cap, max_attempts=args.max_attempts
        ),
        breaker=BreakerPolicy(
            failure_threshold=args.breaker_threshold,
            cooldown_s=args.breaker_cooldown,
            max_cooldown_s=max(args.breaker_cooldown, args.breaker_max_cooldown),
        ),
        web_host=args.web_host,
        web_port=None if args.no_web else args.web_port,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partner", choices=NAMES, required=True)
    parser.add_argument("--web-port", type=int, default=6070)
    parser.add_argument("--web-host", default="127.0.0.1")
    parser.add_argument("--no-web", action="store_true")
    parser.add_argument("--concurrency", type=int, default=16, help="Dossiers called at once.")
    parser.add_argument("--max-pending", type=int, default=5000, help="Pause consuming above.")
    parser.add_argument("--retry-base", type=float, default=0.2, help="First backoff ceiling, s.")
    parser.add_argument("--retry-cap", type=float, default=30.0, help="Backoff ceiling cap, s.")
    parser.add_argument("--max-attempts", type=int, default=None, help="Default: for ever.")
    parser.add_argument("--breaker-threshold", type=int, default=5)
    parser.add_argument("--breaker-cooldown", type=float, default=1.0)
    parser.add_argument("--breaker-max-cooldown", type=float, default=30.0)


def run(partner: str, options: OutboxOptions, settings: Settings | None = None) -> None:
    """Run ``partner``'s outbox worker until SIGTERM / SIGINT. ``UnknownPartner`` names the
    known ones; its spec's client factory checks the partner's secrets (``SecretError``)
    before the worker consumes anything."""
    worker = OutboxWorker(settings or get_settings(), spec(partner).client(), options)

    def stop(signum: int, frame: FrameType | None) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.run()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dvchub.outbox")
    commands = parser.add_subparsers(dest="command", required=True)
    add_arguments(commands.add_parser("worker", help="Run one partner's outbox worker."))
    args = parser.parse_args(argv)
    configure_logging()
    try:
        run(args.partner, options_from(args))
    except SecretError as exc:
        parser.exit(2, f"{parser.prog}: refusing to start: {exc}\n")
    except UnknownPartner as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
