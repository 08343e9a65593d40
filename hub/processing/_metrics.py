"""Prometheus metrics of every processor run by ``hub.processing`` (label ``processor``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "dvchub_processor_events_total",
    "Messages handled, by processor and outcome (applied, duplicate, dead_lettered, ...).",
    ["processor", "outcome"],
)
BATCH_SECONDS = Histogram(
    "dvchub_processor_batch_seconds",
    "Time to handle one batch: fold, write the table, publish, acknowledge, mark.",
    ["processor"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "dvchub_processor_batch_messages",
    "Messages per batch.",
    ["processor"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
END_TO_END = Histogram(
    "dvchub_processor_latency_seconds",
    "From a message's timestamp (produce time) to its outcome being acknowledged by the broker.",
    ["processor"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
LAG = Gauge(
    "dvchub_processor_consumer_lag",
    "Records of an assigned input partition not applied yet (end offset - next-offset mark).",
    ["processor", "partition"],
)
PARTITION_IDLE = Gauge(
    "dvchub_processor_partition_idle_seconds",
    "Seconds an assigned input partition with a backlog has not moved its next-offset mark "
    "(0 without a backlog): after a kill, the bound is the session timeout and a rebalance.",
    ["processor", "partition"],
)
REFETCHED = Counter(
    "dvchub_processor_refetched_total",
    "Records the consumer skipped (faust-streaming after a rebalance) and the runner read back.",
    ["processor"],
)
REDELIVERED = Counter(
    "dvchub_processor_redelivered_total",
    "Records delivered again below the next-offset mark, and skipped.",
    ["processor"],
)
STALLS = Counter(
    "dvchub_processor_partition_stalls_total",
    "Partitions with a backlog and no progress that the watchdog sought and resumed.",
    ["processor"],
)
REGISTRY_RETRIES = Counter(
    "dvchub_processor_registry_retries_total",
    "Messages retried because the schema registry was unreachable (not dead-lettered).",
    ["processor"],
)
DEFERRED = Counter(
    "dvchub_processor_deferred_total",
    "Messages that waited for a side input (e.g. a procedure published after its dossier).",
    ["processor"],
)
READY = Gauge(
    "dvchub_processor_ready",
    "1 when the worker processes: side inputs loaded, partitions assigned and recovered.",
    ["processor"],
)
TIMERS_ACTIVE = Gauge(
    "dvchub_processor_timers_active",
    "Durable timers scheduled in the partitions this worker owns.",
    ["processor"],
)
TIMERS_FIRED = Counter(
    "dvchub_processor_timers_fired_total",
    "Durable timers fired (their fold's outcome counted in dvchub_processor_events_total).",
    ["processor"],
)
TIMER_LAG = Histogram(
    "dvchub_processor_timer_lag_seconds",
    "From a timer's due instant to its firing, in real seconds (clock lag / clock rate).",
    ["processor"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
TIMER_PARTITIONS_HELD = Gauge(
    "dvchub_processor_timer_partitions_held",
    "Assigned partitions whose due timers wait until their backlog is read (DVC_TIMER_HOLD_LAG).",
    ["processor"],
)
TIMER_HOLDS_EXPIRED = Counter(
    "dvchub_processor_timer_holds_expired_total",
    "Partitions whose due timers fired with a backlog still unread: held past "
    "DVC_TIMER_HOLD_MAX_S.",
    ["processor"],
)
REJOINS = Counter(
    "dvchub_processor_orphaned_rejoins_total",
    "Group memberships found rebalancing with no join to finish it (kafka-python's leader "
    "rejoin after a metadata change) and made to join again.",
    ["processor"],
)
