"""The outbox's side: one entry per command the outbox finished with a partner.

The outbox calls partners through many clients (zeep, httpx, ...); the evidence is taken once,
where every call ends (``connectors.outbox._calls.Caller``): the request is the command as the
client received it (what ``partner.commands`` holds), the response the outcome it produced
(what ``partner.outcomes`` holds). The call id is the command's idempotency key, the one the
partner saw: a redelivered command repeats it and the chain drops the copy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

from connectors.evidence._entry import Direction, Exchange, canonical
from connectors.evidence._errors import NotRecorded
from connectors.evidence._recorder import Recorder

log = logging.getLogger("connectors.evidence")


class _Command(Protocol):
    """What the evidence reads of ``connectors.outbox.Command`` (the outbox imports this
    module, so it cannot be imported here)."""

    @property
    def command_id(self) -> str: ...
    @property
    def command_type(self) -> str: ...
    @property
    def dossier_id(self) -> str: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def payload_name(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, object]: ...


class _Draft(Protocol):
    @property
    def payload_name(self) -> str: ...


def outbound_exchange(
    partner: str, command: _Command, outcome: str, attempts: int, reference: str | None,
    error: Exception | None, drafts: Sequence[_Draft],
) -> Exchange:  # fmt: skip
    request = canonical({
        "command_id": command.command_id, "command_type": command.command_type,
        "dossier_id": command.dossier_id, "idempotency_key": command.idempotency_key,
        "payload_name": command.payload_name, "payload": dict(command.payload),
    })  # fmt: skip
    response = canonical({
        "outcome": outcome, "attempts": attempts, "reference": reference,
        "error": str(error) if error is not None else None,
        "events": [draft.payload_name for draft in drafts],
    })  # fmt: skip
    return Exchange.of(
        partner, Direction.OUT, command.idempotency_key, command.dossier_id, request, response,
        datetime.now(UTC),
    )  # fmt: skip


class _Ticket(Protocol):
    @property
    def current(self) -> bool: ...


def record_until(
    recorder: Recorder, exchange: Exchange, ticket: _Ticket, stopping: threading.Event,
    retry_s: float = 1.0,
) -> bool:  # fmt: skip
    """Record ``exchange``, retrying while the broker does not acknowledge it, as long as the
    ticket is current (True: recorded). The outcome waits meanwhile: nothing is lost to an
    outage of the evidence log, as nothing is to an outage of the partner."""
    while ticket.current and not stopping.is_set():
        try:
            recorder.record(exchange)
        except NotRecorded as exc:
            log.warning("evidence not recorded, retrying: %s", exc)
            stopping.wait(retry_s)
            continue
        return True
    return False
