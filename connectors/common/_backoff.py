"""``Backoff``: pauses doubling up to a ceiling, within a time budget: how a caller sends a
request again while the other side does not take it (the portal's client, a simulator's
callbacks), without jitter (one caller, not a crowd: ``connectors.outbox.RetryPolicy`` is the
crowd's)."""

from __future__ import annotations

import time


class Backoff:
    """``wait()`` sleeps the next pause, ``first_s`` doubling up to ``max_s``, while the pause
    ends within ``for_s`` of this object's creation."""

    def __init__(self, for_s: float, first_s: float, max_s: float) -> None:
        self._deadline = time.monotonic() + for_s
        self._pause = first_s
        self._max_s = max_s

    def wait(self) -> bool:
        """Sleep the next pause and say True; False, at once, when it would end past the
        budget (the caller gives up)."""
        if time.monotonic() + self._pause > self._deadline:
            return False
        time.sleep(self._pause)
        self._pause = min(self._pause * 2, self._max_s)
        return True


__all__ = ["Backoff"]
