"""The faust runner: a processor's fold run live on Kafka, in batches, hardened against faults.

One agent per app consumes the input topic in batches (``stream.take_events``) and hands them to
the worker's ``Runtime`` (``hub.processing._runtime``: fold, ordered writes, next-offset marks,
durable timers); a ``Watchdog`` (``hub.processing._watchdog``) publishes lag and unsticks
stalled partitions; ``/ready`` and ``/metrics`` are served by faust's web server.

faust-streaming 0.15.3 needs three workarounds, in these modules and nowhere else:

* after a SIGKILL rebalance the consumer may skip offsets: a message above the partition's mark
  makes the runner read the gap back from the broker itself (``dvchub_processor_refetched``);
* a taken-over partition may stop being delivered: a watchdog seeks a partition that has a
  backlog and no progress for two checks back to its mark (``..._partition_stalls``);
* a promoted standby can hang recovery, so standby replicas are off, and a 1 s commit interval
  stalled the agent, so it is 5 s (the marks, not the commits, say what was applied).

The table's store is RocksDB unless told otherwise (``RunnerOptions.store``), in a data
directory slot of the worker's own (``claim_datadir``), within one memory budget for all its
partitions' databases (``RunnerOptions.rocksdb``, ``hub.processing._rocks``).
"""

from __future__ import annotations

import faust
from faust.types import AppT, StreamT
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub import kafka
from hub.processing._footprint import MemoryProbe, probe_interval
from hub.processing._malloc import trim
from hub.processing._options import RunnerOptions, app_id_for, changelog_for, claim_datadir
from hub.processing._rocks import bound_store
from hub.processing._runtime import Runtime
from hub.processing._types import Processor, S
from hub.processing._watchdog import Watchdog, readiness
from hub.settings import Settings

__all__ = ["RunnerOptions", "app_id_for", "changelog_for", "create_app"]


def create_app(
    processor: Processor[S],
    settings: Settings,
    options: RunnerOptions | None = None,
    *,
    origin: str | None = None,
) -> faust.App:
    """The faust app running ``processor`` (isolated by its app id: group, changelog, table);
    ``origin``: the changelog's topic id, which the local table data must come from."""
    opts = options or RunnerOptions()
    app_id = opts.app_id or app_id_for(processor, settings)
    app = faust.App(
        app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        broker_credentials=kafka.faust_credentials(settings),
        store=opts.store,
        datadir=claim_datadir(opts.datadir, app_id, origin),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        web_enabled=opts.web_enabled,
        web_port=opts.web_port,
        web_host=opts.web_host,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=opts.session_timeout_s,
        broker_heartbeat_interval=min(3.0, opts.session_timeout_s / 3),
        broker_commit_interval=opts.commit_interval_s,
        table_standby_replicas=opts.standby_replicas,
        producer_linger=opts.linger_s,
        stream_buffer_maxsize=max(4096, opts.batch_max * 2),
        autodiscover=False,
    )
    runtime: Runtime[S] = Runtime(processor, settings, opts, app)
    watchdog_of: Watchdog[S] = Watchdog(runtime)
    source = app.topic(
        runtime.source, key_type=bytes, value_type=bytes, key_serializer="raw",
        value_serializer="raw", partitions=settings.partitions,
    )  # fmt: skip
    runtime.table = table = app.Table(
        processor.table, key_type=bytes, value_type=bytes, partitions=settings.partitions,
        help=f"{processor.name} state by key",
    )  # fmt: skip

    runtime.changelog = table.changelog_topic.get_topic_name()
    # before the store opens a database: faust's defaults would give each partition its own
    # 192 MiB of memtables and 2 GiB of block cache (hub.processing._rocks)
    bound_store(table.data, opts.rocksdb)

    @app.agent(source, name=processor.name)
    async def run(stream: StreamT[bytes]) -> None:
        assert isinstance(stream, faust.Stream)  # StreamT does not declare take_events
        await runtime.start()
        async for events in stream.take_events(opts.batch_max, within=opts.batch_within_s):
            await runtime.process(events)

    @app.timer(interval=opts.watchdog_s)  # type: ignore[untyped-decorator]
    async def watchdog() -> None:
        await watchdog_of.watch()

    if processor.timers:

        @app.timer(interval=opts.timer_interval_s)  # type: ignore[untyped-decorator]
        async def timer_scan() -> None:
            await runtime.scan_timers()

    if opts.malloc_trim_s > 0:  # glibc keeps freed memory otherwise (hub.processing._malloc)

        @app.timer(interval=opts.malloc_trim_s)  # type: ignore[untyped-decorator]
        async def malloc_trim() -> None:
            trim()

    every = probe_interval()
    if every is not None:  # DVC_MEMORY_PROBE: a debug switch (hub.processing._footprint)
        probe = MemoryProbe()

        @app.timer(interval=every)  # type: ignore[untyped-decorator]
        async def memory_probe() -> None:
            if runtime.fold is not None and runtime.pending is not None:
                probe.take(runtime.store, runtime.fold.cached_states, len(runtime.pending))

    @app.page("/metrics")
    async def metrics_page(web: View, request: Request) -> Response:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/ready")
    async def ready_page(web: View, request: Request) -> Response:
        """200 when this worker processes; 503 (same document) while it does not."""
        status = readiness(runtime)
        return web.json(status, status=200 if status["ready"] else 503)

    @app.on_partitions_revoked.connect
    async def on_revoked(sender: AppT, /, *args: object, **kwargs: object) -> None:
        """The new owner of a revoked partition reads its marks: the last one must be in."""
        await runtime.settle()

    def on_shutdown(sender: AppT, /, *args: object, signal: object, **kwargs: object) -> None:
        runtime.close()

    app.on_before_shutdown.connect(on_shutdown)

    return app
