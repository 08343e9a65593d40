"""The outbox: hub commands to partners, at least once, in order per dossier, through outages.

``OutboxWorker`` consumes ``<prefix>partner.commands`` in one consumer group per partner, calls
the partner through its ``PartnerClient`` with the command's idempotency key, retries transient
failures with exponential backoff and full jitter (``RetryPolicy``), stops calling a partner
that is down (``CircuitBreaker``, shown in ``dvchub_outbox_breaker_state`` and ``/ready``), and
produces each command's ``PartnerOutcome`` (``<prefix>partner.outcomes``) and the dossier events
its success or failure means, before committing its offset. See ``_worker`` for the order and
delivery guarantees. Private modules::

    _types     Command, PartnerClient, Accepted, EventDraft and the call errors
    _breaker   CircuitBreaker
    _outcomes  PartnerOutcome and DossierEvent records, with ids derived from the command
    _metrics   Prometheus metrics
    _policy    RetryPolicy, BreakerPolicy, OutboxOptions (and group_for)
    _calls     Caller: one command called until it has an outcome (retries, breaker)
    _publish   OutcomePublisher: the outcome and events on the broker, then the offset done
    _worker    OutboxWorker: a handler on ``hub.processing.ConsumeLoop`` (which decodes,
               dead-letters, commits the first unfinished command of each partition, follows
               rebalances, serves /ready and /metrics and stops); the lanes

Exceptions a partner client raises (``CallFailed`` and below; the worker catches them all)::

    CallFailed
    ├── Transient   retry (5xx, timeout, connection refused, expired session, malformed reply)
    └── Permanent   the outcome is REJECTED
"""

from connectors.outbox._breaker import BreakerState, CircuitBreaker
from connectors.outbox._outcomes import OUTBOX_NAMESPACE, derived_id
from connectors.outbox._policy import BreakerPolicy, OutboxOptions, RetryPolicy, group_for
from connectors.outbox._types import (
    Accepted,
    CallFailed,
    Command,
    EventDraft,
    PartnerClient,
    Permanent,
    Transient,
)
from connectors.outbox._worker import OutboxWorker

__all__ = [
    "OUTBOX_NAMESPACE",
    "Accepted",
    "BreakerPolicy",
    "BreakerState",
    "CallFailed",
    "CircuitBreaker",
    "Command",
    "EventDraft",
    "OutboxOptions",
    "OutboxWorker",
    "PartnerClient",
    "Permanent",
    "RetryPolicy",
    "Transient",
    "derived_id",
    "group_for",
]
