"""Prometheus metrics of the IPN endpoints, in a registry of their own (several apps can live
in one process, as in the tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "IpnMetrics"]


class IpnMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.callbacks = Counter(
            "dvchub_bank_callbacks",
            "Payment callbacks answered, by provider and outcome.",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.callback_seconds = Histogram(
            "dvchub_bank_callback_seconds",
            "From receiving a callback to answering it (FeePaid acknowledged when confirmed).",
            ["provider"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.events = Counter(
            "dvchub_bank_events_produced",
            "Dossier events produced for callbacks and acknowledged, by provider and type.",
            ["provider", "event_type"],
            registry=self.registry,
        )
        self.not_acknowledged = Counter(
            "dvchub_bank_not_acknowledged",
            "Callbacks answered 'retry' because Kafka or the registry did not confirm in time.",
            registry=self.registry,
        )
        self.requests_known = Gauge(
            "dvchub_bank_payment_requests",
            "Payment requests known from the payments topic.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
