"""Sustained ingest through the connectors, against Kafka's own limit measured in the same run.

    .venv/bin/python bench/load.py                       # 3 min at 200 events/s, 3 min flat out
    .venv/bin/python bench/load.py --minutes 0.5 --rate 100 --kafka-records 50000

On a fresh topic prefix: the portal connector (``dvchub portal serve``, HTTPS with a certificate
of a CA made for the run) and the lifecycle worker (``--routing``: the routing worker too), each
its own process; the sample catalogue through ``PUT /v1/procedures``; then sample dossiers
(``hub.sample``) through ``POST /v1/events`` from ``--clients`` concurrent clients in batches of
``--batch``, in two phases of ``--minutes`` each: **paced** at ``--rate`` events/s, then **flat
out**. Per phase: HTTP requests/s and events/s accepted (a 202 comes only after Kafka's
acknowledgement), HTTP p50/p99, POST -> state p50/p99 (from the request that carried the event
to the first ``dossier.state`` record whose history holds it, by that record's Kafka timestamp)
and events/s reaching a state. Not from the 202: the lifecycle's state is often on Kafka before
the answer reaches the client (in a trial run the median 202 -> state was -7 ms).
Every process's RSS (and CPU seconds) at the start, the middle and the end of each phase; a
growth from a phase's middle to its end above ``--rss-flag`` % is flagged ``GROWS``, and each
phase's second half's growth is also given per 10,000 events accepted (memory that follows the
data, such as the connector's bounded dedupe memory, grows with them; a leak with time). Then
Kafka's own limit (``bench/_kafka_limit.py``: ProducerPerformance / ConsumerPerformance with
records of the events' mean Avro size), every rate printed as a share of it.

CHECK lines: every event sent was accepted, the connector counted as many, every one reached a
state, the lifecycle applied each exactly once. The run exits 1 if one fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench._kafka_limit import KafkaLimit, measure_kafka_limit
from bench._load_gen import SPREAD_DAYS, Phase, PhaseSpec, dossier_events, run_phase
from bench._load_portal import PortalProcess
from bench._load_procs import Sampler
from bench._report import delete_topics, percentile
from bench.processing import StateWatcher, wait_for
from hub.kafka import ensure_topics
from hub.processing import WorkerProcess
from hub.sample import PROCEDURES, VN_TZ, catalog_entry
from hub.serde import RegistryClient, serde_for
from hub.settings import REPO_ROOT, Settings, get_settings
from hub.topics import DOSSIER_EVENTS

ACCEPTED = "dvchub_portal_events_accepted_total"
APPLIED = 'dvchub_processor_events_total{processor="lifecycle",outcome="applied"}'
HANDLED = 'dvchub_processor_events_total{processor="lifecycle"}'
#: RSS growth is printed per this many events accepted.
PER_EVENTS = 10_000
#: Events whose Avro size is averaged for Kafka's limit's record size.
SIZE_SAMPLE = 2000


@dataclass(frozen=True)
class Hub:
    """The hub's processes of the run, and the sampler of their (and this process's) memory."""

    portal: PortalProcess
    lifecycle: WorkerProcess
    sampler: Sampler


@dataclass(frozen=True)
class Run:
    phases: tuple[Phase, ...]
    sampler: Sampler
    state_ms: dict[str, int]  # event id -> Kafka timestamp of its first state record
    portal_accepted: float
    applied: float
    handled: float


@contextmanager
def hub_processes(settings: Settings, work: Path, routing: bool) -> Iterator[Hub]:
    """The portal connector with the sample catalogue in, and the workers, all ready."""
    with ExitStack() as stack:
        portal = PortalProcess(settings, work)
        stack.callback(portal.stop)
        portal.wait_ready()
        with portal.client() as client:
            for procedure in PROCEDURES:
                client.put_procedure(procedure.code, catalog_entry(procedure))
        workers = {name: WorkerProcess(name, settings, work / f"{name}.log")
                   for name in ("lifecycle", *(("routing",) if routing else ()))}  # fmt: skip
        for worker in workers.values():
            stack.callback(worker.stop)
        for worker in workers.values():
            worker.wait_ready(180)
        pids = {"portal": portal.pid, **{name: w.pid for name, w in workers.items()}}
        sampler = Sampler({**pids, "bench clients": os.getpid()}, partial(portal.metric, ACCEPTED))
        yield Hub(portal, workers["lifecycle"], sampler)


def phase_specs(args: argparse.Namespace) -> tuple[PhaseSpec, PhaseSpec]:
    first = datetime(2025, 3, 3, tzinfo=VN_TZ)
    return (
        PhaseSpec(f"paced {args.rate:,.0f}/s", args.minutes * 60, args.rate, first,
                  args.clients, args.batch, args.window, args.seed),
        PhaseSpec("flat out", args.flat_minutes * 60, None,
                  first + timedelta(days=SPREAD_DAYS + 1), args.clients, args.batch,
                  args.window, args.seed + 1),
    )  # fmt: skip


def wait_metric(worker: WorkerProcess, name: str, value: float, timeout_s: float = 30) -> float:
    """``name``'s value once it reached ``value`` (the worker counts a batch only after the
    broker acknowledged its state, just after the state record is visible), or at the timeout."""
    deadline = time.monotonic() + timeout_s
    while (seen := worker.metric(name)) < value and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen


def run_load(settings: Settings, args: argparse.Namespace, work: Path) -> Run:
    with (
        RegistryClient(settings.schema_registry_url) as registry,
        hub_processes(settings, work, args.routing) as hub,
    ):
        watcher = StateWatcher(settings, registry)
        watcher.start()
        try:
            hub.sampler.take("start")
            phases: list[Phase] = []
            ids: list[str] = []
            for spec, key in zip(phase_specs(args), ("paced", "flat"), strict=True):

                def half_way(moment: str = f"{key} mid") -> None:
                    hub.sampler.take(moment)

                phases.append(run_phase(hub.portal, spec, half_way))
                hub.sampler.take(f"{key} end")
                ids += [i for b in phases[-1].batches for i in b.event_ids]
                wait_for(watcher, ids, timeout_s=args.state_timeout)
            applied = wait_metric(hub.lifecycle, APPLIED, len(ids))
            return Run(
                tuple(phases), hub.sampler, dict(watcher.seen),
                hub.portal.metric(ACCEPTED),
                applied, hub.lifecycle.metric(HANDLED),
            )  # fmt: skip
        finally:
            watcher.stop.set()


def mean_avro_size(settings: Settings, spec: PhaseSpec) -> int:
    """The mean size of the load's events as the connector writes them (Avro, no framing)."""
    with RegistryClient(settings.schema_registry_url) as registry:
        serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
        sizes = [len(serde.encode(e)) for e in islice(dossier_events(spec, 0), SIZE_SAMPLE)]
    return sum(sizes) // len(sizes)


def phase_line(phase: Phase, state_ms: dict[str, int], ceiling: float) -> str:
    http_ms = [b.took_s * 1000 for b in phase.batches]
    to_state = [state_ms[i] - b.sent_s * 1000 for b in phase.batches for i in b.event_ids]
    last_state_s = max(state_ms[i] for b in phase.batches for i in b.event_ids) / 1000
    state_rate = phase.events / max(last_state_s - phase.started_s, 1e-3)
    return (
        f"  {phase.spec.name} {phase.seconds / 60:.1f} min: {len(phase.batches):,} requests "
        f"({phase.requests_per_s:,.1f}/s), {phase.events:,} events ({phase.events_per_s:,.1f}/s, "
        f"{phase.events_per_s / ceiling:.2%} of Kafka's limit); HTTP p50 "
        f"{percentile(http_ms, 50):,.0f} ms p99 {percentile(http_ms, 99):,.0f} ms; POST -> state "
        f"p50 {percentile(to_state, 50):,.0f} ms p99 {percentile(to_state, 99):,.0f} ms; "
        f"reaching a state {state_rate:,.1f} events/s ({state_rate / ceiling:.2%})"
    )


def checks(run: Run) -> list[tuple[str, bool]]:
    sent = sum(p.sent for p in run.phases)
    accepted = sum(p.events for p in run.phases)
    failures = [f for p in run.phases for f in p.failures]
    reached = sum(i in run.state_ms for p in run.phases for b in p.batches for i in b.event_ids)
    return [
        (f"requests: {sum(len(p.batches) for p in run.phases):,} answered, "
         f"{len(failures)} failed{': ' + failures[0] if failures else ''}", not failures),
        (f"accepted: {sent:,} events sent, {accepted:,} accepted by 202s, the connector counted "
         f"{run.portal_accepted:,.0f}", sent == accepted == run.portal_accepted),
        (f"state: {reached:,} of {accepted:,} accepted events in a dossier.state record",
         reached == accepted),
        (f"lifecycle: {run.applied:,.0f} applied of {run.handled:,.0f} handled, "
         f"{accepted:,} accepted", run.applied == run.handled == accepted),
    ]  # fmt: skip


def report(args: argparse.Namespace, run: Run, limit: KafkaLimit) -> bool:
    """Print the figures and the checks; False if a check failed."""
    produce, consume = limit.produce.records_per_s, limit.consume.fetch_records_per_s
    ceiling = min(produce, consume)
    print(
        f"\nKafka's limit with {limit.records:,} records of {limit.record_size} B (the "
        f"events' mean Avro size): ProducerPerformance (acks=all) {produce:,.0f} records/s, "
        f"ConsumerPerformance (fetch) {consume:,.0f} records/s; limit {ceiling:,.0f}/s"
    )
    print(f"portal over HTTPS, {args.clients} clients, batches of {args.batch} events:")
    for phase in run.phases:
        print(phase_line(phase, run.state_ms, ceiling))
    sampler = run.sampler
    spans = [("start", "flat end"), ("paced mid", "paced end"), ("flat mid", "flat end")]
    print(f"every process (RSS growth above {args.rss_flag:g}% flagged GROWS):")
    print("\n".join(sampler.table(spans, args.rss_flag)))
    for before, after in spans[1:]:
        per = sampler.mib_per(PER_EVENTS, before, after)
        print(f"  MiB per {PER_EVENTS:,} events accepted, {before}->{after}: "
              + ", ".join(f"{name} {mib:+.1f}" for name, mib in per.items()))  # fmt: skip
    cpu = {key: sampler.cpu_between(f"{key} mid", f"{key} end") for key in ("paced", "flat")}
    print("  CPU s, second half of each phase: " + "; ".join(
        f"{key}: " + ", ".join(f"{name} {s:.1f}" for name, s in seconds.items())
        for key, seconds in cpu.items()))  # fmt: skip
    results = checks(run)
    for text, ok in results:
        print(f"CHECK {text}: {'OK' if ok else 'FAIL'}")
    return all(ok for _, ok in results)


def load_average() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    base = get_settings()
    parser.add_argument("--rate", type=float, default=200, help="paced events/s offered")
    parser.add_argument("--minutes", type=float, default=3, help="paced phase")
    parser.add_argument("--flat-minutes", type=float, help="flat-out phase [default: --minutes]")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--batch", type=int, default=20, help="events per POST")
    parser.add_argument("--window", type=int, default=100, help="dossiers interleaved per client")
    parser.add_argument("--partitions", type=int, default=base.partitions)
    parser.add_argument("--routing", action="store_true", help="run the routing worker too")
    parser.add_argument("--kafka-records", type=int, default=500_000)
    parser.add_argument("--rss-flag", type=float, default=10, help="flag RSS growth above %%")
    parser.add_argument("--state-timeout", type=float, default=600, help="s to reach a state")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the bench's topics")
    args = parser.parse_args()
    if args.flat_minutes is None:
        args.flat_minutes = args.minutes
    settings = base.model_copy(update={"topic_prefix": f"bench.load.{uuid.uuid4().hex[:8]}.",
                                       "partitions": args.partitions})  # fmt: skip
    work = REPO_ROOT / ".cache" / "bench" / settings.topic_prefix.rstrip(".")
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, prefix {settings.topic_prefix}, "
        f"partitions {args.partitions}, cores {os.cpu_count()}, {load_average()}; logs in {work}"
    )
    try:
        ensure_topics(settings)
        run = run_load(settings, args, work)
        size = mean_avro_size(settings, phase_specs(args)[0])
        limit = measure_kafka_limit(
            settings, records=args.kafka_records, record_size=size, partitions=args.partitions
        )
        ok = report(args, run, limit)
        print(f"at the end: {load_average()}")
    finally:
        if not args.keep:
            delete_topics(settings, ())
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
