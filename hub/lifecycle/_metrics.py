"""Prometheus metrics of the lifecycle processor (scraped from the worker's ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS = Counter(
    "dvchub_lifecycle_events_total", "Dossier events handled, by outcome.", ["outcome"]
)
DUPLICATES = Counter(
    "dvchub_lifecycle_duplicate_events_total",
    "Events ignored because their id was already applied.",
)
DEAD_LETTERS = Counter(
    "dvchub_lifecycle_dead_letters_total",
    "Events set aside to the dead-letter topic.",
    ["reason_code"],
)
CATALOG_WAITS = Counter(
    "dvchub_lifecycle_catalog_waits_total", "Submissions that waited for their procedure to arrive."
)
LATENCY = Histogram(
    "dvchub_lifecycle_process_seconds", "Time to handle one event (decode to state sent)."
)
REDELIVERED = Counter(
    "dvchub_lifecycle_redelivered_total",
    "Records skipped: offset already applied.",
)
REFETCHED = Counter(
    "dvchub_lifecycle_refetched_total",
    "Records the consumer skipped and the agent read back.",
)
STALLS = Counter(
    "dvchub_lifecycle_partition_stalls_total", "Partitions the watchdog had to seek and resume."
)
