"""Prometheus metrics of the national intake, in a registry of its own (several per process in
the tests and the demo), served on its ``/metrics`` as every inbound service's."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "IntakeMetrics"]

#: Label values of ``dvchub_national_intake_total{outcome}``.
OUTCOMES = ("imported", "duplicate", "dead_lettered")
#: Label values of ``dvchub_national_intake_polls_total{outcome}``.
POLLS = ("ok", "failed")


class IntakeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.intake = Counter(
            "dvchub_national_intake",
            "Dossiers listed by the national portal, by outcome (imported, duplicate, "
            "dead_lettered).",
            ["outcome"],
            registry=self.registry,
        )
        self.ratings = Counter(
            "dvchub_national_intake_ratings",
            "Ratings listed by the national portal, by outcome (imported, duplicate, "
            "dead_lettered).",
            ["outcome"],
            registry=self.registry,
        )
        self.polls = Counter(
            "dvchub_national_intake_polls",
            "Listing rounds, by outcome (ok; failed: the portal or the broker did not answer).",
            ["outcome"],
            registry=self.registry,
        )
        self.marker_failures = Counter(
            "dvchub_national_intake_marker_failures",
            "Imported dossiers whose dedupe marker was not acknowledged (their events were).",
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.intake.labels(outcome)
            self.ratings.labels(outcome)
        for outcome in POLLS:
            self.polls.labels(outcome)

    def render(self) -> bytes:
        return generate_latest(self.registry)
