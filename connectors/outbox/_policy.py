"""How long to wait before the next attempt, and when a partner counts as down."""

from __future__ import annotations

import random
from dataclasses import dataclass


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
