"""``dvchub``: run the local stack, manage the Avro contract, run the hub's processes.

Importing this package builds the whole command tree but imports neither ``signing`` (an optional
extra), nor faust, nor a connector's app: each command imports what it runs, so ``dvchub stack
up`` works on an installation without the signing extra.
"""

from __future__ import annotations

import sys

import typer

from dvchub.cli import (
    _audit,
    _demo,
    _evidence,
    _kafka,
    _kpi,
    _lifecycle,
    _partners,
    _portal,
    _publish,
    _report,
    _schemas,
    _signing,
    _simulate,
    _stack,
    _verify,
    _workers,
)
from hub.kafka import KafkaSecurityError
from hub.logs import configure_logging
from hub.secrets import SecretError

__all__ = ["app", "main"]

app = typer.Typer(
    name="dvchub",
    help="dvc-hub: the event-sourced integration hub for public-service dossiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _logging() -> None:
    # Every dvchub process logs through hub.logs: DVC_LOG_LEVEL, DVC_LOG_FORMAT, redacted.
    configure_logging()


app.add_typer(_stack.app, name="stack")
app.add_typer(_kafka.app, name="kafka")  # dvchub kafka secrets|provision (docker-compose)
app.add_typer(_schemas.app, name="schemas")
app.add_typer(_demo.app, name="demo")
app.add_typer(_signing.app, name="signing")
_verify.register(app)  # dvchub verify FILE, dvchub sign FILE
_portal.register(app)  # dvchub portal serve|openapi
_workers.register(app)  # dvchub worker NAME: every processor (lifecycle, sla, kpi..., routing...)
_lifecycle.register(app)  # dvchub api serve, replay, replay-check
_kpi.register(app)  # dvchub kpi replay-check
_report.register(app)  # dvchub report late, full-online, 766, online
_partners.register(app)  # dvchub outbox worker, vnpost-callbacks, bank-ipn
_evidence.register(app)  # dvchub evidence stamp|archive|verify
_publish.register(app)  # dvchub publish build|run|serve: the public pages
_simulate.register(app)  # dvchub simulate: a province on every part, accelerated
_audit.register(app)  # dvchub audit: anything lost or doubled anywhere?


def main() -> None:
    try:
        app()
    except (SecretError, KafkaSecurityError) as exc:
        # A process refusing to start with a missing or insecure secret: one line naming the
        # variable (never the value), no traceback, a non-zero exit for the supervisor.
        print(f"dvchub: refusing to start: {exc}", file=sys.stderr)
        sys.exit(2)
