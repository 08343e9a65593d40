"""Prometheus metrics of the callback app, in a registry of its own (several apps per process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "CallbackMetrics"]

#: Label values of ``dvchub_vnpost_callbacks_total{outcome}``.
OUTCOMES = (
    "accepted", "duplicate", "conflict", "unauthenticated", "expired", "replayed",
    "unsafe_xml", "malformed", "invalid", "bad_waybill", "too_large", "unsupported_media_type",
    "not_acknowledged", "replay_cache_full", "unknown_order", "order_mismatch", "orders_lagging",
)  # fmt: skip


class CallbackMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.callbacks = Counter(
            "dvchub_vnpost_callbacks",
            "VNPost status callbacks answered, by outcome (accepted, duplicate, or why refused).",
            ["outcome"],
            registry=self.registry,
        )
        self.statuses = Counter(
            "dvchub_vnpost_callback_statuses",
            "Accepted callbacks by VNPost status.",
            ["status"],
            registry=self.registry,
        )
        self.produce_seconds = Histogram(
            "dvchub_vnpost_callback_produce_seconds",
            "From sending a callback's events to the broker's acknowledgement.",
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.marker_failures = Counter(
            "dvchub_vnpost_dedupe_marker_failures",
            "Callbacks whose dedupe marker was not acknowledged (their events were).",
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.callbacks.labels(outcome)

    def render(self) -> bytes:
        return generate_latest(self.registry)
