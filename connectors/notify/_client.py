"""``NotifyClient``: the outbox's partner client for citizen notifications (CITIZEN_NOTIFICATION).

A command is one message: rendered from the step's templates, then tried on the applicant's
channels in order (routing put SMS right after ZNS): the first gateway that accepts it is the
outcome's reference (``"<channel>:<gateway id>"``). A channel that refuses the message for
good (``ChannelRefused``: no Zalo account, a bad number, a template refused, an SMS too long)
passes it to the next one; a Transient failure (a gateway down, over its rate) fails the whole
call so the outbox retries it later, from the first channel again with the same ids, which a
refusing gateway refuses again and an accepting one answers from its dedupe. Each channel has
its own token bucket: a call waits for a token up to ``rate_wait_s``, then is retried later
(``Transient("RATE_LIMITED")``).

Nothing here logs: the outcome carries the channel, the step and the gateway's code, never the
contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import httpx

from connectors.notify import _metrics
from connectors.notify._config import NotifyConfig
from connectors.notify._gateways import (
    ChannelRefused,
    EmailGateway,
    SmsGateway,
    ZnsGateway,
)
from connectors.notify._notification import CHANNELS, Channel, Notification
from connectors.notify._rate import TokenBucket
from connectors.notify._templates import Rendered, render
from connectors.outbox import Accepted, CallFailed, Command, EventDraft, Permanent, Transient

PARTNER = "notify"
CITIZEN_NOTIFICATION = "CITIZEN_NOTIFICATION"


class Gateway(Protocol):
    channel: Channel

    def send(self, n: Notification, rendered: Rendered, key: str) -> str: ...


class NotifyClient:
    """Implements ``connectors.outbox`` ``PartnerClient`` (blocking; safe from many threads)."""

    partner = PARTNER
    command_types = frozenset({CITIZEN_NOTIFICATION})

    def __init__(
        self, config: NotifyConfig | None = None, *, http: httpx.Client | None = None
    ) -> None:
        self.config = config or NotifyConfig()
        self._http = http or httpx.Client(timeout=self.config.timeout_s)
        self.gateways: Mapping[Channel, Gateway] = {
            "SMS": SmsGateway(self.config, self._http),
            "ZNS": ZnsGateway(self.config, self._http),
            "EMAIL": EmailGateway(self.config),
        }
        self.buckets: Mapping[Channel, TokenBucket] = {
            channel: TokenBucket(self.config.rate(channel), self.config.rate_burst)
            for channel in CHANNELS
        }

    def call(self, command: Command, attempt: int) -> Accepted:
        if command.command_type != CITIZEN_NOTIFICATION:
            raise Permanent("UNSUPPORTED_COMMAND", f"{command.command_type} is not for {PARTNER}")
        try:
            notification = Notification.of_command(command)
        except ValueError as exc:
            raise Permanent("INVALID_COMMAND", str(exc)[:200]) from exc
        rendered = render(notification, free_text_chars=self.config.free_text_chars)
        refused: ChannelRefused | None = None
        for channel in notification.contact.channels:
            self._take_token(channel)
            try:
                reference = self.gateways[channel].send(
                    notification, rendered, command.idempotency_key
                )
            except ChannelRefused as exc:
                _metrics.FALLBACKS.labels(channel, exc.gateway_code).inc()
                refused = exc
                continue
            _metrics.ACCEPTED.labels(channel, notification.step).inc()
            return Accepted(reference=f"{channel}:{reference}")
        assert refused is not None  # Notification.of_command refuses an empty channel list
        raise refused

    def _take_token(self, channel: Channel) -> None:
        waited = self.buckets[channel].acquire(self.config.rate_wait_s)
        if waited is None:
            raise Transient("RATE_LIMITED", f"{channel} is over its rate")
        if waited > 0:
            _metrics.RATE_WAIT.labels(channel).inc(waited)

    def failure_events(
        self, command: Command, error: CallFailed, attempts: int, will_retry: bool
    ) -> tuple[EventDraft, ...]:
        return ()

    def close(self) -> None:
        self._http.close()
