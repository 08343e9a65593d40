"""The SLA engine's durable timers with N active deadlines on one worker.

    .venv/bin/python bench/sla.py                       # 1,000,000 deadlines, 10,000 due at once
    .venv/bin/python bench/sla.py --deadlines 100000 --due 2000 --live 5000 --fold 10000

On a fresh topic prefix (hub topics, the sample catalogue), it prints:

1. schedule rate in the fold core: ``--fold`` dossiers (DossierSubmitted + DossierAccepted, encoded
   as the worker receives them) folded by the real ``SlaProcessor`` on the in-memory runner, in
   batches of 1,000 as the worker drains them (decode, rules, encode, due-index), deadlines/s;
2. restart-to-ready with N deadlines: the table's changelog (``<prefix>sla-deadlines-changelog``)
   filled directly with what a worker would have written: N encoded DossierDeadline states and
   their timer entries, each to the partition of its key (Kafka's default partitioner on the
   dossier id, the input's partition). The states are real: dossiers folded by the SLA fold,
   one per acceptance instant, of which copies differ only by the dossier id. Then ONE worker
   process (``python -m hub.processing worker sla --clock file:...``) is timed from process start to
   ``/ready`` 200, and to its due-index holding all N timers (``timers`` in ``/ready``; fewer is a
   failure): first on an empty state directory (the whole changelog recovered), then, stopped,
   again on the same directory (a restart: a RocksDB store, the default, reads only the
   changelog's tail); its resident memory is read from /proc then;
3. firing lag: ``--due`` of the deadlines share one acceptance instant, hence one next due
   instant T; the others are accepted later, one template per minute, so are due later. The file
   clock starts at the common acceptance and is then moved to T; per timer (dossier) the lag is
   the Kafka timestamp of its last alert on ``sla.alerts`` minus the wall time the clock moved.
   Every dossier due must alert, with exactly the alerts the rules raise at T, and nobody else.
   For comparison, the same firings on the in-memory runner from a table holding the same
   entries (nothing decoded yet, as after a restart): the fold's own cost, no broker, which
   bounds the lag from below;
4. schedule rate live: ``--live`` more dossiers produced to ``dossier.events`` while the worker
   holds the N deadlines, timed from the first send until its due-index holds N + live timers
   (``/ready``) and its events metric counts every event applied (written and acknowledged).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench._report import (
    delete_topics,
    percentile,
    process_memory_mib,
)
from bench._sla_core import (
    ACCEPTED,
    Serdes,
    Template,
    changelog_topic,
    copy_id,
    encoded_messages,
    fill_changelog,
    fire_rate,
    fold_rate,
    make_processor,
    make_templates,
)
from hub.kafka import ensure_topics, make_consumer, make_producer
from hub.processing import (
    FileClock,
    WorkerProcess,
)
from hub.sample import VN_TZ, publish_catalog
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import Settings, get_settings
from hub.sla import SlaPolicy, SlaProcessor, raise_due_alerts
from hub.topics import DOSSIER_EVENTS, SLA_ALERTS, SLA_DEADLINES

APPLIED = 'dvchub_processor_events_total{processor="sla",outcome="applied"}'
FIRED = 'dvchub_processor_timers_fired_total{processor="sla"}'


# -- 3. the worker -------------------------------------------------------------------------------


class Worker(WorkerProcess):
    """``python -m hub.processing worker sla`` on the file clock, timed from its start."""

    def __init__(self, settings: Settings, clock: FileClock, log: Path) -> None:
        self.started = time.monotonic()
        args = ("--clock", clock.spec, "--loglevel", "info")
        super().__init__("sla", settings, log, args=args)

    def wait_for(
        self, what: str, test: Callable[[Mapping[str, object]], bool], timeout_s: float
    ) -> float:
        """Seconds from the process start until ``test`` holds of ``/ready``'s document."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise SystemExit(f"worker exited with {self.proc.returncode}; log {self.log_path}")
            status = self.status()
            if status and test(status):
                return time.monotonic() - self.started
            time.sleep(0.1)
        raise SystemExit(f"worker: {what} not reached in {timeout_s:.0f} s "
                         f"(last /ready {self.status()}); log {self.log_path}")  # fmt: skip


@dataclass(frozen=True)
class Restart:
    ready_s: float
    timers_s: float
    timers: int
    rss_mib: float


def restart(worker: Worker, count: int, timeout_s: float) -> Restart:
    ready_s = worker.wait_for("/ready 200", lambda s: bool(s.get("ready")), timeout_s)
    timers_s = worker.wait_for(
        f"{count:,} timers", lambda s: bool(s.get("ready")) and s.get("timers") == count, timeout_s
    )
    rss, _ = process_memory_mib(worker.pid)
    timers = int(worker.status()["timers"])
    if timers != count:
        raise SystemExit(f"the worker holds {timers:,} timers, not {count:,}")
    return Restart(ready_s, timers_s, timers, rss)


# -- 4. firing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Firing:
    timers: int
    alerts: int
    kinds: tuple[str, ...]
    lags: list[float]  # per timer (dossier): its last alert's timestamp - the clock move
    alert_lags: list[float]
    read_s: float  # from the clock move to the last alert read
    persisted_s: float  # ... to the worker's fired-timers metric counting them all


def alerts_consumer(settings: Settings) -> KafkaConsumer:
    """A consumer of ``sla.alerts`` positioned at its end."""
    topic = SLA_ALERTS.name(settings.topic_prefix)
    consumer = make_consumer(settings, group_id=None)
    tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer.assign(tps)
    consumer.seek_to_end(*tps)
    for tp in tps:
        consumer.position(tp)  # resolve the end now, not at the first poll
    return consumer


def fire(
    worker: Worker, settings: Settings, serde: AvroSerde, clock: FileClock,
    template: Template, due: int, policy: SlaPolicy, timeout_s: float,
) -> Firing:  # fmt: skip
    """Move the clock to the template's due instant; read and check every alert that follows."""
    at = datetime.fromtimestamp(template.due_ms / 1000, VN_TZ)
    _, expected = raise_due_alerts(template.state, at, policy)
    kinds = tuple(sorted(str(a["kind"]) for a in expected))
    want = {copy_id(n) for n in range(due)}
    consumer = alerts_consumer(settings)
    last: dict[str, float] = {}
    alert_lags: list[float] = []
    seen: dict[str, list[str]] = {}
    try:
        moved = time.time()
        clock.set(at)
        deadline = time.monotonic() + timeout_s
        while len(alert_lags) < due * len(kinds) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200, max_records=5000).values():
                for record in records:
                    alert = serde.decode(record.value)
                    lag = record.timestamp / 1000 - moved
                    alert_lags.append(lag)
                    dossier = str(alert["dossier_id"])
                    last[dossier] = max(last.get(dossier, lag), lag)
                    seen.setdefault(dossier, []).append(f"{alert['kind']}:{alert['alert_id']}")
        read_s = time.time() - moved
        persisted_s = _wait_metric(worker, FIRED, due, deadline) - moved
        for records in consumer.poll(timeout_ms=2000).values():  # anything more would show now
            alert_lags.extend(r.timestamp / 1000 - moved for r in records)
    finally:
        consumer.close()
    _check_alerts(seen, want, kinds, len(alert_lags))
    return Firing(due, len(alert_lags), kinds, list(last.values()), alert_lags, read_s, persisted_s)


def _check_alerts(seen: dict[str, list[str]], want: set[str], kinds: tuple[str, ...],
                  total: int) -> None:  # fmt: skip
    if set(seen) != want:
        missing, extra = len(want - set(seen)), len(set(seen) - want)
        raise SystemExit(f"alerts of the wrong dossiers: {missing:,} missing, {extra:,} extra")
    ids = {entry for entries in seen.values() for entry in entries}
    if total != len(want) * len(kinds) or len(ids) != total:
        raise SystemExit(f"{total:,} alerts ({len(ids):,} distinct), expected "
                         f"{len(want) * len(kinds):,}: {kinds} per dossier")  # fmt: skip
    wrong = [d for d, entries in seen.items()
             if tuple(sorted(e.split(":")[0] for e in entries)) != kinds]  # fmt: skip
    if wrong:
        raise SystemExit(f"{len(wrong):,} dossiers alerted other kinds than {kinds}: {wrong[:3]}")


def _wait_metric(worker: Worker, name: str, value: float, deadline: float) -> float:
    """Wall time at which ``name`` on the worker's /metrics reached ``value`` (polled 4 times a
    second: rendering /metrics takes the worker's event loop, so polling costs it time)."""
    while worker.metric(name) < value:
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} stayed below {value:,} ({worker.metric(name):,})")
        time.sleep(0.25)
    return time.time()


# -- 5. live scheduling --------------------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    dossiers: int
    produce_s: float
    seconds: float


def live_schedule(
    worker: Worker, settings: Settings, serde: AvroSerde, count: int, after: datetime,
    timers_before: int, timeout_s: float,
) -> Live:  # fmt: skip
    """``count`` dossiers accepted after ``after`` (not due yet), produced, until scheduled."""
    applied_before = worker.metric(APPLIED)
    dossiers = [(f"SLALIVE-{n:08d}", after + timedelta(minutes=n % 600)) for n in range(count)]
    values = [(m.key, m.value) for m in encoded_messages(serde, dossiers, settings.partitions)]
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    producer = make_producer(settings, client_id="bench-sla-live", linger_ms=20)
    started = time.time()
    for key, value in values:
        producer.send(topic, key=key, value=value)
    producer.flush()
    produce_s = time.time() - started
    producer.close()
    worker.wait_for(f"{timers_before + count:,} timers",
                    lambda s: s.get("timers") == timers_before + count, timeout_s)  # fmt: skip
    deadline = time.monotonic() + timeout_s
    done = _wait_metric(worker, APPLIED, applied_before + len(values), deadline)
    return Live(count, produce_s, done - started)


# -- the run -------------------------------------------------------------------------------------


def report_firing(firing: Firing, due: int) -> None:
    lags = firing.lags
    print(f"firing lag of {due:,} timers due in one second: p50 {percentile(lags, 50):.3f} s, "
          f"p99 {percentile(lags, 99):.3f} s, max {max(lags):.3f} s (target p99 < 1 s)\n"
          f"  {firing.alerts:,} alerts ({'+'.join(firing.kinds)} per dossier), per alert p50 "
          f"{percentile(firing.alert_lags, 50):.3f} s, p99 {percentile(firing.alert_lags, 99):.3f}"
          f" s; last alert read {firing.read_s:.3f} s and all {due:,} firings persisted "
          f"(fired-timers metric) {firing.persisted_s:.3f} s after the clock moved")  # fmt: skip


def run(args: argparse.Namespace, settings: Settings, work_dir: Path) -> None:
    with RegistryClient(settings.schema_registry_url) as registry:
        catalog = publish_catalog(settings, registry)
        prefix = settings.topic_prefix
        serdes = Serdes(serde_for(DOSSIER_EVENTS, prefix, registry),
                        serde_for(SLA_DEADLINES, prefix, registry),
                        serde_for(SLA_ALERTS, prefix, registry))  # fmt: skip
        processor = make_processor(serdes, catalog)
        print(f"prefix {prefix}  partitions {settings.partitions}  logs {work_dir}")
        core = fold_rate(processor, args.fold, settings.partitions)
        print(f"schedule (fold core): {core.timers / core.seconds:,.0f} deadlines/s "
              f"({core.dossiers:,} dossiers, {core.events:,} events in {core.seconds:.1f} s, "
              f"{core.timers:,} timers)")  # fmt: skip
        templates = make_templates(processor, args.templates, settings.partitions)
        core_fire = fire_rate(processor, templates[0], args.due, settings.partitions)
        print(
            f"firing (fold core): {core_fire.timers / core_fire.seconds:,.0f} timers/s "
            f"({core_fire.timers:,} timers, {core_fire.alerts:,} alerts in "
            f"{core_fire.seconds:.2f} s: the least a worker needs to fire them)"
        )
        topic = changelog_topic(processor, settings)
        fill = fill_changelog(settings, topic, templates, args.deadlines, args.due)
        print(
            f"changelog {topic}: {args.deadlines:,} deadlines ({fill.records:,} records: "
            f"states and timer entries) from {len(templates)} folded states, mean state "
            f"{fill.value_bytes / args.deadlines:,.0f} B, written in {fill.seconds:.1f} s"
        )
        clock = FileClock(work_dir / "clock")
        clock.set(ACCEPTED)
        log = work_dir / "sla-worker.log"  # its state directory is named after it
        first = Worker(settings, clock, log)
        try:
            fresh = restart(first, args.deadlines, args.timeout)
        finally:
            first.stop(timeout_s=120)
        print(f"first start with {args.deadlines:,} deadlines (empty state directory): "
              f"{fresh.ready_s:.1f} s (/ready 200)")  # fmt: skip
        worker = Worker(settings, clock, log)
        try:
            measure_worker(args, settings, serdes, processor.policy, clock, templates, worker)
        finally:
            worker.stop(timeout_s=120)


def measure_worker(
    args: argparse.Namespace, settings: Settings, serdes: Serdes, policy: SlaPolicy,
    clock: FileClock, templates: list[Template], worker: Worker,
) -> None:  # fmt: skip
    started = restart(worker, args.deadlines, args.timeout)
    print(
        f"restart-to-ready with {args.deadlines:,} deadlines: {started.ready_s:.1f} s "
        f"(/ready 200); due-index of all {started.timers:,} timers at {started.timers_s:.1f} s"
    )
    print(f"RSS: {started.rss_mib:,.0f} MiB (target < 1536 MiB)")  # fmt: skip
    firing = fire(worker, settings, serdes.alerts, clock, templates[0], args.due, policy,
                  args.timeout)  # fmt: skip
    report_firing(firing, args.due)
    after = datetime.fromtimestamp(templates[-1].due_ms / 1000, VN_TZ) + timedelta(days=7)
    live = live_schedule(worker, settings, serdes.events, args.live, after, args.deadlines,
                         args.timeout)  # fmt: skip
    print(f"schedule (live worker holding {args.deadlines:,}): "
          f"{live.dossiers / live.seconds:,.0f} deadlines/s ({live.dossiers:,} dossiers, "
          f"{2 * live.dossiers:,} events, produced in {live.produce_s:.1f} s, all scheduled "
          f"{live.seconds:.1f} s after the first send)")  # fmt: skip
    rss, peak = process_memory_mib(worker.pid)
    print(f"RSS at the end: {rss:,.0f} MiB, peak {peak:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deadlines", type=int, default=1_000_000, help="active deadlines")
    parser.add_argument("--due", type=int, default=10_000, help="of which due at one instant")
    parser.add_argument("--live", type=int, default=20_000, help="dossiers scheduled live")
    parser.add_argument("--fold", type=int, default=50_000, help="dossiers in the fold core")
    parser.add_argument("--templates", type=int, default=600, help="later acceptance instants")
    parser.add_argument("--partitions", type=int, default=get_settings().partitions)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per wait")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the topics")
    args = parser.parse_args()
    if not 0 < args.due < args.deadlines:
        parser.error("--due must be between 0 and --deadlines")
    settings = get_settings().model_copy(update={
        "topic_prefix": f"bench.sla.{uuid.uuid4().hex[:8]}.", "partitions": args.partitions,
    })  # fmt: skip
    ensure_topics(settings)
    work_dir = Path(tempfile.mkdtemp(prefix="dvchub-sla-"))
    began = time.monotonic()
    try:
        run(args, settings, work_dir)
    finally:
        if not args.keep_topics:
            delete_topics(settings, [f"{settings.topic_prefix}{SlaProcessor.name}"])
    print(f"total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
