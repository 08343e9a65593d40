"""``DVC_EVIDENCE_*``: whether partner messages are recorded, and how the chain is stamped.

Off unless ``DVC_EVIDENCE=on``: the outbox and the inbound endpoints then record nothing and
need no ``evidence.log`` topic (a hook that is a no-op costs nothing).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.evidence._errors import EvidenceError

ENV = "DVC_EVIDENCE"
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
        flag = env.get(ENV, "off").strip().lower()
        if flag not in _ON | _OFF:
            raise EvidenceError(f"{ENV} must be on or off, not {flag!r}")
        try:
            return cls(
                enabled=flag in _ON,
                ack_timeout_s=float(env.get(f"{ENV}_ACK_TIMEOUT_S", cls.ack_timeout_s)),
                batch_entries=int(env.get(f"{ENV}_BATCH_ENTRIES", cls.batch_entries)),
                batch_seconds=float(env.get(f"{ENV}_BATCH_SECONDS", cls.batch_seconds)),
                tsa_url=env.get(f"{ENV}_TSA_URL") or None,
                tsa_timeout_s=float(env.get(f"{ENV}_TSA_TIMEOUT_S", cls.tsa_timeout_s)),
            )
        except ValueError as exc:
            raise EvidenceError(f"{ENV}_*: {exc}") from exc
