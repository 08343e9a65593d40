"""The faust runner's watchdog and readiness: lag, stalled partitions unstuck, ``/ready``.

faust-streaming 0.15.3 occasionally stops delivering a partition taken over from a SIGKILLed
worker, and drops a delivered message at or below the partition's committed offset. The
watchdog publishes each partition's lag and idle time, and a partition with a backlog and no
progress for two checks is read back from the broker and the consumer seeked to its mark.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Generic

from kafka.errors import KafkaError

from hub import kafka
from hub.processing import _metrics as metrics
from hub.processing._events import in_partition_of
from hub.processing._runtime import Runtime
from hub.processing._types import S

log = logging.getLogger(__name__)


class Watchdog(Generic[S]):
    """Watches the partitions one ``Runtime`` owns."""

    def __init__(self, runtime: Runtime[S]) -> None:
        self.runtime = runtime
        self._stalls: dict[int, tuple[int, int]] = {}  # partition -> (mark, checks unchanged)
        self._lagging: set[int] = set()
        self._moved: dict[int, tuple[int, float]] = {}  # partition -> (mark, when it moved)

    async def watch(self) -> None:
        """Publish the lag, and unstick a partition with a backlog and no progress for two checks.

        Seeking it to its mark and resuming it is harmless: offsets already applied are skipped,
        skipped ones are read back by ``Runtime.process``.
        """
        runtime = self.runtime
        name = runtime.name
        if not runtime.started or runtime.app.rebalancing or runtime.app.in_recovery:
            return
        assert runtime.fold is not None
        assigned = runtime.assigned()
        for gone in self._lagging - set(assigned):
            self._moved.pop(gone, None)
            for gauge in (metrics.LAG, metrics.PARTITION_IDLE):
                with contextlib.suppress(KeyError):
                    gauge.remove(name, str(gone))
        self._lagging = set(assigned)
        if not assigned:
            return
        try:
            ranges = await asyncio.to_thread(kafka.offsets, runtime.settings, runtime.source)
        except (KafkaError, kafka.TopicNotFound) as exc:
            # the broker is away (restarted, say): the next check looks again; a watchdog that
            # raised here would crash the worker that the consumer and producer ride it out with
            log.warning("watchdog: offsets of %s unavailable: %s", runtime.source, exc)
            return
        runtime.backlog.record(ranges)  # the timer scan's reading too
        for partition, tp in assigned.items():
            begin, end = ranges.get(partition, (0, 0))
            stored = runtime.fold.next_offset(partition)
            mark = begin if stored is None else stored
            metrics.LAG.labels(name, str(partition)).set(max(0, end - mark))
            self._observe_progress(partition, mark, backlog=end > mark)
            if end <= mark:
                self._stalls.pop(partition, None)
                continue
            before = self._stalls.get(partition)
            checks = before[1] + 1 if before is not None and before[0] == mark else 0
            self._stalls[partition] = (mark, checks)
            if checks >= 2:
                log.warning("partition %s stalled at offset %s (end %s): reading it back and "
                            "seeking the consumer to it", partition, mark, end)  # fmt: skip
                metrics.STALLS.labels(name).inc()
                await self._catch_up(partition, mark, end)
                await runtime.app.consumer.seek(tp, mark)
                runtime.app.consumer.resume_partitions({tp})
                self._stalls[partition] = (mark, 0)

    async def _catch_up(self, partition: int, mark: int, end: int) -> None:
        """Apply ``[mark, end)`` of ``partition`` from the broker, as a batch would.

        faust-streaming drops a delivered message at or below the partition's committed offset,
        so a seek cannot bring back records the group committed past (a skip after a SIGKILL
        rebalance); when no later record arrives to reveal the gap to ``process``, nothing
        else would ever apply them.
        """
        runtime = self.runtime
        async with runtime.busy:
            assert runtime.fold is not None
            current = runtime.fold.next_offset(partition)  # None: nothing applied yet
            if partition not in runtime.assigned() or current not in (None, mark):
                return  # moved or revoked meanwhile: the next check judges again
            while mark < end:
                stop = min(end, mark + runtime.options.batch_max)
                missed = await runtime.refetch(partition, mark, stop)
                for message in missed:
                    with in_partition_of(partition):
                        await runtime.step(message)
                await runtime.write(runtime.fold.drain())
                if not missed:
                    return
                mark = stop

    def _observe_progress(self, partition: int, mark: int, *, backlog: bool) -> None:
        now = time.monotonic()
        before = self._moved.get(partition)
        if before is None or before[0] != mark or not backlog:
            self._moved[partition] = before = (mark, now)
        idle = now - before[1] if backlog else 0.0
        metrics.PARTITION_IDLE.labels(self.runtime.name, str(partition)).set(idle)


def readiness(runtime: Runtime[S]) -> dict[str, object]:
    """The ``/ready`` document of a worker (``ready``: it processes now)."""
    partitions = sorted(runtime.assigned())
    app = runtime.app
    busy = bool(app.rebalancing) or bool(app.in_recovery)
    timers = None if runtime.fold is None else runtime.fold.timers
    # a timer processor serves once the due-index of every partition it owns is built
    indexed = timers is None or set(partitions) <= timers.partitions
    ready = (
        runtime.started and runtime.processor.ready and bool(partitions) and not busy and indexed
    )
    metrics.READY.labels(runtime.name).set(1 if ready else 0)
    timer_status: dict[str, object] = {}
    if timers is not None:
        timer_status = {"timers": len(timers), "timer_partitions": sorted(timers.partitions),
                        "clock": runtime.clock.now().isoformat()}  # fmt: skip
    return {
        "ready": ready, "processor": runtime.name, "started": runtime.started,
        "partitions": partitions, "rebalancing": bool(app.rebalancing),
        "in_recovery": bool(app.in_recovery), **timer_status, **runtime.processor.status(),
    }  # fmt: skip
