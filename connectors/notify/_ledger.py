"""What the notification simulators received: one ``Delivered`` per message, per channel, in
arrival order, deduplicated by the id the client derives from the command (the SMS
``request_id``, the ZNS ``tracking_id``, the e-mail's ``Message-ID``), and each channel's own
rate limit and outage switch.

A message is delivered once: a repeated id is answered with the first delivery's gateway id
and counted in ``duplicates``. The recipient is personal data: out of ``repr``.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.notify._notification import CHANNELS, Channel
from connectors.notify._rate import TokenBucket


@dataclass(frozen=True)
class Delivered:
    seq: int
    channel: Channel
    gateway_id: str
    #: The id the gateway deduped on.
    key: str
    recipient: str = field(repr=False)
    #: The SMS text, the ZNS template data as ``name=value`` lines, the e-mail's body.
    text: str = field(repr=False)
    template_id: str | None = None
    subject: str | None = None
    segments: int | None = None
    encoding: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Ledger:
    """Thread-safe: the HTTP server's loop and the SMTP server's thread both write to it."""

    def __init__(self, rates: dict[Channel, float] | None = None, burst: int = 1) -> None:
        self._lock = threading.Lock()
        self._delivered: list[Delivered] = []
        self._by_key: dict[tuple[Channel, str], Delivered] = {}
        self._ids = {channel: itertools.count(1) for channel in CHANNELS}
        self.duplicates: Counter[Channel] = Counter()
        self.refused: Counter[str] = Counter()
        self.rate_limited: Counter[Channel] = Counter()
        #: Channels answering "unavailable" (503, SMTP 421) until brought back.
        self.down: set[Channel] = set()
        self._buckets = {ch: TokenBucket(rate, burst) for ch, rate in (rates or {}).items()}

    def over_rate(self, channel: Channel) -> bool:
        """True (and counted) if this call is over the channel's own limit."""
        bucket = self._buckets.get(channel)
        if bucket is None or bucket.try_take():
            return False
        with self._lock:
            self.rate_limited[channel] += 1
        return True

    def refuse(self, channel: Channel, code: str) -> None:
        with self._lock:
            self.refused[f"{channel}:{code}"] += 1

    def first(self, channel: Channel, key: str) -> Delivered | None:
        """The delivery ``key`` already made (counted as a duplicate), if any."""
        with self._lock:
            found = self._by_key.get((channel, key))
            if found is not None:
                self.duplicates[channel] += 1
            return found

    def deliver(
        self, channel: Channel, key: str, recipient: str, text: str, *,
        template_id: str | None = None, subject: str | None = None,
        segments: int | None = None, encoding: str | None = None,
    ) -> Delivered:  # fmt: skip
        """Record a message (or return the first delivery of ``key``, as a duplicate)."""
        with self._lock:
            found = self._by_key.get((channel, key))
            if found is not None:
                self.duplicates[channel] += 1
                return found
            gateway_id = f"{channel}-{next(self._ids[channel]):08d}"
            delivered = Delivered(
                len(self._delivered) + 1, channel, gateway_id, key, recipient, text,
                template_id=template_id, subject=subject, segments=segments, encoding=encoding,
            )  # fmt: skip
            self._delivered.append(delivered)
            self._by_key[(channel, key)] = delivered
            return delivered

    def delivered(self, channel: Channel | None = None) -> list[Delivered]:
        with self._lock:
            return [d for d in self._delivered if channel is None or d.channel == channel]

    def counts(self) -> Counter[Channel]:
        with self._lock:
            return Counter(d.channel for d in self._delivered)
