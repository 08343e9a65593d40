"""Prometheus metrics of one connector app, in a registry of its own.

A registry per app (not the global one) lets several apps live in one process, as in the tests,
and keeps ``/metrics`` to what this connector does.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE_LATEST", "PortalMetrics", "RequestCounter"]


class PortalMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "dvchub_portal_requests",
            "HTTP requests answered, by route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.events_accepted = Counter(
            "dvchub_portal_events_accepted",
            "Events produced and acknowledged by the broker, by type and source system.",
            ["event_type", "source"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "dvchub_portal_events_duplicate",
            "Events answered as duplicates (already accepted) and not produced again.",
            ["source"],
            registry=self.registry,
        )
        self.procedures = Counter(
            "dvchub_portal_procedures_stored",
            "Catalogue entries produced and acknowledged.",
            ["source"],
            registry=self.registry,
        )
        self.not_acknowledged = Counter(
            "dvchub_portal_not_acknowledged",
            "Requests answered 503 because Kafka or the registry did not confirm in time.",
            registry=self.registry,
        )
        self.marker_failures = Counter(
            "dvchub_portal_dedupe_marker_failures",
            "Batches whose accepted-id markers were not acknowledged (events were).",
            registry=self.registry,
        )
        self.produce_seconds = Histogram(
            "dvchub_portal_produce_seconds",
            "From sending a request's records to the broker's last acknowledgement.",
            ["topic_kind"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestCounter:
    """ASGI middleware counting answered requests by route template (bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: PortalMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # an exception escaping the app becomes a 500 further out

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
