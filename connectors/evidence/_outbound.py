"""The outbox's side: one entry per command the outbox finished with a partner.

The outbox calls partners through many clients (zeep, httpx, ...); the evidence is taken once,
where every call ends (``connectors.outbox._publish.OutcomePublisher``): the request is the
command as the client received it (what ``partner.commands`` holds), the response the outcome
it produced (what ``partner.outcomes`` holds). The call id is the command's idempotency key,
the one the partner saw: a redelivered command repeats it and the chain drops the copy.

The exchange is not recorded on its own (a wait for the broker per call cost a third of the
outbox's throughput): it is one more message of the command's batch (``OutboundEvidence``), on
the outbox's producer, with the outcome and the events, and the command's offset is committed
only once the broker acknowledged all of them. A crash before that redelivers the command,
which records the exchange again: an outcome may be on the broker for a moment before its
evidence, never for good, and a repeat is dropped by the chain (``_chain``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from connectors.evidence._config import EvidenceConfig
from connectors.evidence._entry import Direction, Exchange, canonical, encode_record
from connectors.evidence._recorder import ensure_evidence_topic
from hub.settings import Settings

#: A message as the outbox's producer sends it: topic, key, value.
Message = tuple[str, bytes, bytes]


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


@dataclass(frozen=True)
class OutboundEvidence:
    """Where the outbox's exchanges go: a message of the command's batch, keyed by partner
    (one partition holds a partner's chain, in the order the broker appended them)."""

    topic: str

    def message(self, exchange: Exchange) -> Message:
        return self.topic, exchange.partner.encode(), encode_record(exchange)


def outbound_evidence(
    settings: Settings, config: EvidenceConfig | None = None
) -> OutboundEvidence | None:
    """The outbox's evidence when ``DVC_EVIDENCE=on`` (the topic made if missing), else None."""
    config = EvidenceConfig.from_env() if config is None else config
    return OutboundEvidence(ensure_evidence_topic(settings)) if config.enabled else None
