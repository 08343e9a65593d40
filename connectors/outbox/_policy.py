"""How long to wait before the next attempt, when a partner counts as down, and how one outbox
worker runs (``OutboxOptions``, its consumer group)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hub.kafka import GROUP_SESSION_TIMEOUT_MS
from hub.settings import Settings


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (a delay drawn from ``[0, min(cap, base·2ⁿ⁻¹)]``).

    Full jitter spreads the retries of many commands that failed together (a 5xx storm), so
    the partner is not hit by synchronised waves when it comes back. ``max_attempts`` None
    retries a transient failure for ever: an outage of any length loses nothing, the command
    waits (its offset stays uncommitted) and flows when the partner returns.
    """

    base_s: float = 0.2
    cap_s: float = 30.0
    max_attempts: int | None = None
    #: After this many attempts the failure is reported once (``will_retry`` true), so a dossier
    #: whose sync is stuck is visible on its timeline, not only in metrics.
    report_after: int = 5

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.cap_s < self.base_s:
            raise ValueError("need 0 < base_s <= cap_s")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (or None: for ever)")

    def delay_s(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempt - 1, 32))
        return (rng or random).uniform(0.0, ceiling)

    def exhausted(self, attempt: int) -> bool:
        return self.max_attempts is not None and attempt >= self.max_attempts


@dataclass(frozen=True)
class BreakerPolicy:
    """``failure_threshold`` transient failures in a row open the breaker for ``cooldown_s``,
    doubled at every failed probe up to ``max_cooldown_s``."""

    failure_threshold: int = 5
    cooldown_s: float = 1.0
    max_cooldown_s: float = 30.0

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.cooldown_s <= 0:
            raise ValueError("need failure_threshold >= 1 and cooldown_s > 0")


@dataclass(frozen=True)
class OutboxOptions:
    """How one outbox worker runs."""

    concurrency: int = 16
    max_pending: int = 5_000
    commit_interval_s: float = 0.5
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    #: None: ``<prefix>outbox.<partner>``.
    group_id: str | None = None
    web_host: str = "127.0.0.1"
    #: None: no web server; 0: any free port.
    web_port: int | None = None
    ack_timeout_s: float = 30.0
    #: How long the group waits for a worker that stopped heartbeating (a kill -9) before its
    #: partitions move: the bound on a stall after a crash (kafka-python's default is 45 s).
    session_timeout_s: float = GROUP_SESSION_TIMEOUT_MS / 1000


def group_for(settings: Settings, partner: str) -> str:
    """The consumer group of ``partner``'s outbox (each partner reads every command)."""
    return f"{settings.topic_prefix}outbox.{partner}"
