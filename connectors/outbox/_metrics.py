"""The outbox's own Prometheus metrics, in a registry of its own (one worker, one partner); the
consume loop's (events by outcome, dead letters, latency) are ``dvchub_processor_*`` with
``processor="outbox.<partner>"``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class OutboxMetrics:
    def __init__(self, partner: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.calls = Counter(
            "dvchub_outbox_calls", "Partner calls, by command type and result "
            "(accepted, rejected, transient).", ["partner", "command_type", "result"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "dvchub_outbox_call_seconds", "Partner call latency.", ["partner"], registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )  # fmt: skip
        self.retries = Counter(
            "dvchub_outbox_retries", "Attempts after a transient failure.", ["partner"], registry=r
        )
        self.outcomes = Counter(
            "dvchub_outbox_outcomes", "Commands finished, by outcome (ACCEPTED, REJECTED, FAILED).",
            ["partner", "outcome"], registry=r,
        )  # fmt: skip
        self.skipped = Counter(
            "dvchub_outbox_skipped", "Commands of other partners passed over.", ["partner"],
            registry=r,
        )  # fmt: skip
        self.breaker_state = Gauge(
            "dvchub_outbox_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open.",
            ["partner"], registry=r,
        )  # fmt: skip
        self.breaker_opened = Counter(
            "dvchub_outbox_breaker_opened", "Times the breaker opened.", ["partner"], registry=r
        )
        self.pending = Gauge(
            "dvchub_outbox_pending_commands", "Commands consumed and not finished.", ["partner"],
            registry=r,
        )  # fmt: skip
        self.oldest_pending = Gauge(
            "dvchub_outbox_oldest_pending_seconds",
            "Age of the oldest command waiting for its partner.", ["partner"], registry=r,
        )  # fmt: skip
        self.ready = Gauge(
            "dvchub_outbox_ready", "1 when the worker is in its group and the breaker is not open.",
            ["partner"], registry=r,
        )  # fmt: skip
        self.partition_idle = Gauge(
            "dvchub_outbox_partition_idle_seconds",
            "Seconds an assigned partition with work (commands in flight or not read yet) has "
            "made no progress: no record read, no command finished.",
            ["partner", "partition"], registry=r,
        )  # fmt: skip
