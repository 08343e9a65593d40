"""The notification client's Prometheus metrics, on the default registry (which the outbox
worker serves on ``/metrics`` beside its own): created once per process, at import.

Counted per call the gateway accepted: a redelivered command the gateway answers from its
dedupe counts again (the gateway's own records say what was delivered)."""

from __future__ import annotations

from prometheus_client import Counter

ACCEPTED = Counter(
    "dvchub_notify_messages",
    "Notifications a gateway accepted, by channel and step.",
    ["channel", "step"],
)
SEGMENTS = Counter(
    "dvchub_notify_sms_segments",
    "SMS segments sent, by encoding (GSM7: 160/153 septets a segment; UCS2: 70/67 characters).",
    ["encoding"],
)
FALLBACKS = Counter(
    "dvchub_notify_fallbacks",
    "Channels that refused a notification for good, so the next one was tried, by channel and "
    "the gateway's code.",
    ["channel", "code"],
)
RATE_WAIT = Counter(
    "dvchub_notify_rate_wait_seconds",
    "Time calls waited for a channel's token (its rate limit), by channel.",
    ["channel"],
)
