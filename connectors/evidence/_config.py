"""``DVC_EVIDENCE_*``: whether partner messages are recorded, and how the chain is stamped.

Secure by default: on in production, as X-Road's message log is on every security server (a
dispute with a partner is settled by what the hub can prove it sent and received); off on a
development machine (``DVC_DEV_SECRETS=1``: ``make run`` turns it on for its partners, the
tests for theirs). ``DVC_EVIDENCE=on|off`` decides either way. Off, the outbox and the inbound
endpoints record nothing and need no ``evidence.log`` topic (a hook that is a no-op costs
nothing).

The recorders need neither a TSA nor the hub's signing key (they only append to the log, and
the key stays out of every partner-facing process); the processes that use them refuse to
start without them in production: ``dvchub evidence stamp`` (``Stamper``) without
``DVC_EVIDENCE_TSA_URL``, ``dvchub evidence archive`` without the key (``DVC_SIGNING_*``) or,
in production, without the TSA its stamps need.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.evidence._errors import EvidenceError
from hub.secrets import dev_secrets_allowed

ENV = "DVC_EVIDENCE"
TSA_URL = f"{ENV}_TSA_URL"
_ON = frozenset({"on", "1", "true", "yes"})
_OFF = frozenset({"off", "0", "false", "no", ""})


@dataclass(frozen=True)
class EvidenceConfig:
    enabled: bool = False
    #: How long a recorder waits for the broker's acknowledgement of one exchange.
    ack_timeout_s: float = 10.0
    #: A chain head is stamped once this many entries are unstamped ...
    batch_entries: int = 1000
    #: ... or the oldest unstamped one has waited this long, whichever comes first.
    batch_seconds: float = 60.0
    #: The RFC 3161 TSA (required to stamp; recording works without it).
    tsa_url: str | None = None
    tsa_timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EvidenceConfig:
        env = os.environ if env is None else env
        flag = env.get(ENV, "off" if dev_secrets_allowed(env) else "on").strip().lower()
        if flag not in _ON | _OFF:
            raise EvidenceError(f"{ENV} must be on or off, not {flag!r}")
        try:
            return cls(
                enabled=flag in _ON,
                ack_timeout_s=float(env.get(f"{ENV}_ACK_TIMEOUT_S", cls.ack_timeout_s)),
                batch_entries=int(env.get(f"{ENV}_BATCH_ENTRIES", cls.batch_entries)),
                batch_seconds=float(env.get(f"{ENV}_BATCH_SECONDS", cls.batch_seconds)),
                tsa_url=env.get(TSA_URL) or None,
                tsa_timeout_s=float(env.get(f"{ENV}_TSA_TIMEOUT_S", cls.tsa_timeout_s)),
            )
        except ValueError as exc:
            raise EvidenceError(f"{ENV}_*: {exc}") from exc
