"""Commands/s per partner through ONE outbox worker against the partner simulators, and the
partner call latency.

    .venv/bin/python bench/partners.py                          # 2,000 commands per partner
    .venv/bin/python bench/partners.py --commands 20000 --dossiers 2000 --storm
    .venv/bin/python bench/partners.py --partners national,emc --concurrency 32

Per partner (vnpost, national, emc, bank), on a fresh topic prefix of its own
(``bench.partners.<uuid>.<partner>.``) and a fresh simulator each time:

1. the limit, no Kafka: a child process builds the partner's real client (the same
   ``PartnerClient`` the outbox drives) and calls a fresh simulator directly from
   ``--concurrency`` threads, one dossier's commands after the other in each thread as the
   outbox's lanes do: calls/s and per-call latency (perf_counter around ``client.call``);
2. the outbox: ``--commands`` PartnerCommands of that partner's types, spread over
   ``--dossiers`` dossiers (several commands each, in an order that matters: a VNPost cancel
   needs its order created first, the national portal's statuses must arrive in order), are
   produced to ``<prefix>partner.commands`` (round robin over the dossiers, as a live stream
   interleaves them) before ONE worker process starts
   (``python -m dvchub.outbox worker --partner P``, its ``DVC_*`` variables pointing at the
   simulator, which runs in this process). Timed from the process start until every command
   has a PartnerOutcome on ``<prefix>partner.outcomes`` (read here). Commands/s is the drain
   rate: commands / (last outcome's ``completed_at`` - first ``first_attempt_at``); the wall
   time from the process start (Python start, imports, joining the group) is printed too.
   Call latency p50/p99 from the outcomes: ``completed_at - first_attempt_at`` of commands
   done in one attempt (ms precision: the records' timestamp-millis), and the p99 bucket of
   the worker's ``dvchub_outbox_call_seconds`` histogram. The outbox figure is also given as
   a ratio of the limit.

CHECK lines: every command has exactly one outcome, all ACCEPTED, and the simulator holds
exactly one effect per command (duplicates it deduped are printed; the national portal's order
check must find no violation). Anything else fails the run.

``--storm``: the same outbox run again with the simulator answering ~``--storm-ratio`` (20%) of
the calls with a 5xx before doing anything (its fault switches, topped up every 10 ms in
proportion to the effects so far); the worker runs with its default retry policy and circuit
breaker. Commands/s, the 5xx served (attempts beyond the first) and retries; the same CHECK.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kafka import TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench._partner_workloads import Direct, check, command_record, limit, partner_commands
from bench._report import delete_topics, percentile
from connectors.common import PartnerSpec, Received, SimulatorServer
from connectors.outbox import Command, group_for
from connectors.partners import NAMES, spec
from hub.kafka import ensure_topics, make_consumer, make_producer
from hub.processing import WorkerProcess
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import Settings, get_settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS, PARTNER_COMMANDS, PARTNER_OUTCOMES

# -- 2. the outbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the bench reads of a PartnerOutcome record."""

    outcome: str
    attempts: int
    first_attempt_at: datetime
    completed_at: datetime

    @classmethod
    def of_record(cls, record: Mapping[str, object]) -> Outcome:
        """From the dict ``hub.serde`` decodes a PartnerOutcome into."""
        attempts, first, completed = (
            record["attempts"],
            record["first_attempt_at"],
            record["completed_at"],
        )
        if not (
            isinstance(attempts, int)
            and isinstance(first, datetime)
            and isinstance(completed, datetime)
        ):
            raise TypeError("not a PartnerOutcome record")
        return cls(str(record["outcome"]), attempts, first, completed)


@dataclass
class Run:
    commands: int
    wall_s: float  # process start -> last outcome read
    ready_s: float | None  # process start -> /ready (in its group)
    outcomes: dict[str, Outcome]
    outcome_records: int
    received: Received
    metrics: str
    fives: int = 0  # 5xx armed at the simulator (storm)

    @property
    def first_attempt(self) -> datetime:
        return min(o.first_attempt_at for o in self.outcomes.values())

    @property
    def last_completed(self) -> datetime:
        return max(o.completed_at for o in self.outcomes.values())

    @property
    def drain_s(self) -> float:
        return max((self.last_completed - self.first_attempt).total_seconds(), 1e-3)

    @property
    def rate(self) -> float:
        return self.commands / self.drain_s

    @property
    def attempts(self) -> int:
        return sum(o.attempts for o in self.outcomes.values())

    def latencies_ms(self) -> list[float]:
        return [(o.completed_at - o.first_attempt_at).total_seconds() * 1000
                for o in self.outcomes.values() if o.attempts == 1]  # fmt: skip

    def kinds(self) -> Counter[str]:
        return Counter(o.outcome for o in self.outcomes.values())


@dataclass
class Storm:
    """Tops up the simulator's 5xx so that about ``ratio`` of the calls get one."""

    partner: PartnerSpec
    sim: SimulatorServer
    ratio: float
    armed: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(0.01):
            effects = self.partner.workload.received(self.sim).effects
            want = int(effects * self.ratio / (1 - self.ratio)) + 1
            if want > self.armed:
                self.partner.workload.fail_next(self.sim, want - self.armed)
                self.armed = want


def produce_commands(settings: Settings, serde: AvroSerde, commands: list[Command]) -> None:
    producer = make_producer(settings, client_id="bench-partners", linger_ms=20)
    topic = PARTNER_COMMANDS.name(settings.topic_prefix)
    for command in commands:
        value = serde.encode(command_record(command))
        producer.send(topic, key=command.dossier_id.encode(), value=value)
    producer.flush()
    producer.close()


def outbox_run(
    partner: PartnerSpec, settings: Settings, registry: RegistryClient,
    records: list[Command], args: argparse.Namespace, work_dir: Path, *, storm: bool,
) -> Run:  # fmt: skip
    ensure_topics(settings, [PARTNER_COMMANDS, PARTNER_OUTCOMES, DOSSIER_EVENTS, DEADLETTER])
    produce_commands(
        settings, serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry), records
    )
    outcomes_serde = serde_for(PARTNER_OUTCOMES, settings.topic_prefix, registry)
    with partner.simulator() as sim:
        flood = Storm(partner, sim, args.storm_ratio) if storm else None
        dripper = threading.Thread(target=flood.run, daemon=True) if flood else None
        if dripper:
            dripper.start()
        log = work_dir / f"{settings.topic_prefix.rstrip('.')}.log"
        worker = WorkerProcess(
            None, settings, log, module="dvchub.outbox",
            args=("--partner", partner.name, "--concurrency", str(args.concurrency)),
            env=partner.workload.env(partner.workload.url(sim)),
        )  # fmt: skip
        started = time.monotonic()
        try:
            run = collect(worker, settings, outcomes_serde, records, started, args.timeout)
            run.metrics = worker.metrics()
        finally:
            worker.stop(timeout_s=60)
            if flood and dripper:
                flood.stop.set()
                dripper.join(5)
        run.received = partner.workload.received(sim)
        run.fives = flood.armed if flood else 0
    kinds = run.kinds()
    problems = [f"{len(records) - len(run.outcomes):,} commands without an outcome"] if len(
        run.outcomes) != len(records) else []  # fmt: skip
    if kinds["ACCEPTED"] != len(records):
        problems.append(f"outcomes {dict(kinds)}")
    label = f"{partner.name} outbox{' storm' if storm else ''}"
    check(label, len(records), run.received, outcomes=run.outcome_records, extra=problems)
    return run


def collect(
    worker: WorkerProcess, settings: Settings, serde: AvroSerde, records: list[Command],
    started: float, timeout_s: float,
) -> Run:  # fmt: skip
    """Read ``partner.outcomes`` from the beginning until every command has its outcome."""
    wanted = {c.command_id for c in records}
    topic = PARTNER_OUTCOMES.name(settings.topic_prefix)
    consumer = make_consumer(settings, group_id=None)
    tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    outcomes: dict[str, Outcome] = {}
    total = 0
    ready_s: float | None = None
    next_probe = 0.0
    deadline = started + timeout_s
    try:
        while not wanted <= outcomes.keys():
            if time.monotonic() > deadline:
                raise SystemExit(f"FAIL: {len(outcomes):,} of {len(wanted):,} outcomes in "
                                 f"{timeout_s:.0f} s; log {worker.log_path}")  # fmt: skip
            if not worker.alive():
                raise SystemExit(f"FAIL: the worker exited; log {worker.log_path}")
            if ready_s is None and time.monotonic() >= next_probe:
                if worker.ready():
                    ready_s = time.monotonic() - started
                next_probe = time.monotonic() + 0.25
            for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
                for record in batch:
                    outcome = serde.decode(record.value)
                    outcomes[str(outcome["command_id"])] = Outcome.of_record(outcome)
                    total += 1
        wall_s = time.monotonic() - started
        for batch in consumer.poll(timeout_ms=500).values():  # a second outcome would show now
            total += len(batch)
    finally:
        consumer.close()
    return Run(len(wanted), wall_s, ready_s, outcomes, total, Received(0, 0, ""), "")


# -- the worker's metrics -------------------------------------------------------------------------


def metric_samples(text: str, name: str) -> Iterator[tuple[str, float]]:
    for line in text.splitlines():
        if line.startswith(name):
            sample, _, value = line.rpartition(" ")
            yield sample, float(value)


def metric(text: str, name: str) -> float:
    return sum(v for s, v in metric_samples(text, name) if s.partition("{")[0] == name)


def histogram_quantile(text: str, name: str, q: float) -> float:
    """The upper bound of the bucket holding quantile ``q`` of histogram ``name``."""
    buckets: list[tuple[float, float]] = []
    for sample, value in metric_samples(text, f"{name}_bucket"):
        le = sample.split('le="', 1)[1].split('"', 1)[0]
        buckets.append((float(le), value))
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return 0.0
    for bound, cumulative in buckets:
        if cumulative >= q * buckets[-1][1]:
            return bound
    return buckets[-1][0]


# -- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    partner: str
    direct: Direct
    run: Run
    storm: Run | None


def bench_partner(
    partner: PartnerSpec, base: str, registry: RegistryClient, args: argparse.Namespace,
    work_dir: Path,
) -> Row:  # fmt: skip
    dossiers = max(args.dossiers, -(-args.commands // partner.workload.max_per_dossier))
    records = partner_commands(partner, args.commands, dossiers, base)
    print(f"{partner.name}: {len(records):,} commands over {dossiers:,} dossiers "
          f"({len(records) / dossiers:.1f} each), concurrency {args.concurrency}")  # fmt: skip
    direct = limit(partner, records, args.concurrency)
    print(f"  limit (client -> simulator, no Kafka): {direct.calls / direct.seconds:,.0f} calls/s "
          f"({direct.calls:,} in {direct.seconds:.1f} s), latency p50 "
          f"{percentile(direct.latencies, 50) * 1000:.1f} ms, p99 "
          f"{percentile(direct.latencies, 99) * 1000:.1f} ms")  # fmt: skip
    runs: list[Run] = []
    for storm in (False, True) if args.storm else (False,):
        settings = get_settings().model_copy(update={
            "topic_prefix": f"{base}{partner.name}{'-storm' if storm else ''}.",
            "partitions": args.partitions,
        })  # fmt: skip
        try:
            run = outbox_run(partner, settings, registry, records, args, work_dir, storm=storm)
        finally:
            if not args.keep_topics:
                delete_topics(settings, [group_for(settings, partner.name)])
        report_run(run, direct, storm)
        runs.append(run)
    return Row(partner.name, direct, runs[0], runs[1] if len(runs) > 1 else None)


def report_run(run: Run, direct: Direct, storm: bool) -> None:
    latencies = run.latencies_ms()
    hist_p99 = histogram_quantile(run.metrics, "dvchub_outbox_call_seconds", 0.99)
    ready = f"{run.ready_s:.1f} s" if run.ready_s is not None else "n/a"
    limit_rate = direct.calls / direct.seconds
    print(
        f"  outbox{' (storm)' if storm else ''}: {run.rate:,.0f} commands/s "
        f"({run.commands:,} drained in {run.drain_s:.1f} s; {run.wall_s:.1f} s from the "
        f"process start, in its group at {ready}) = {run.rate / limit_rate:.0%} of the limit"
    )
    print(f"    call latency (outcomes, 1 attempt, n={len(latencies):,}): p50 "
          f"{percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms; "
          f"histogram p99 <= {hist_p99 * 1000:.0f} ms; outcomes {dict(run.kinds())}")  # fmt: skip
    retries = metric(run.metrics, "dvchub_outbox_retries_total")
    opened = metric(run.metrics, "dvchub_outbox_breaker_opened_total")
    if storm:
        calls = run.attempts
        print(f"    storm: {calls:,} calls, {calls - run.commands:,} answered 5xx "
              f"({(calls - run.commands) / calls:.0%}), {retries:,.0f} retries, breaker opened "
              f"{opened:,.0f} times")  # fmt: skip


def print_table(rows: list[Row]) -> None:
    print(
        "\npartner   commands  outbox cmd/s  limit calls/s  ratio  p50 ms  p99 ms  hist p99 ms"
        "  storm cmd/s  storm 5xx"
    )
    for row in rows:
        lat = row.run.latencies_ms()
        limit_rate = row.direct.calls / row.direct.seconds
        hist = histogram_quantile(row.run.metrics, "dvchub_outbox_call_seconds", 0.99) * 1000
        storm = (f"{row.storm.rate:>11,.0f}  {row.storm.attempts - row.storm.commands:>9,}"
                 if row.storm else f"{'-':>11}  {'-':>9}")  # fmt: skip
        print(
            f"{row.partner:<9} {row.run.commands:>8,}  {row.run.rate:>12,.0f}  "
            f"{limit_rate:>13,.0f}  {row.run.rate / limit_rate:>5.0%}  "
            f"{percentile(lat, 50):>6.0f}  {percentile(lat, 99):>6.0f}  {hist:>11,.0f}  {storm}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partners", default=",".join(NAMES), help="comma-separated")
    parser.add_argument("--commands", type=int, default=2_000, help="commands per partner")
    parser.add_argument("--dossiers", type=int, default=200, help="dossiers they are spread over")
    parser.add_argument("--concurrency", type=int, default=16, help="outbox lanes / threads")
    parser.add_argument("--storm", action="store_true", help="also a run with 5xx injected")
    parser.add_argument("--storm-ratio", type=float, default=0.2, help="share of calls 5xx")
    parser.add_argument("--partitions", type=int, default=get_settings().partitions)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per outbox run")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the topics")
    args = parser.parse_args()
    names = [n.strip() for n in args.partners.split(",") if n.strip()]
    unknown = set(names) - set(NAMES)
    if unknown or not names:
        parser.error(f"--partners: choose from {', '.join(NAMES)}")
    if not 0 < args.storm_ratio < 1 or args.commands < 1 or args.dossiers < 1:
        parser.error("need 0 < --storm-ratio < 1, --commands >= 1, --dossiers >= 1")
    base = f"bench.partners.{uuid.uuid4().hex[:8]}."
    work_dir = Path(tempfile.mkdtemp(prefix="dvchub-partners-"))
    print(f"prefix {base}<partner>.  partitions {args.partitions}  logs {work_dir}")
    began = time.monotonic()
    rows = []
    with RegistryClient(get_settings().schema_registry_url) as registry:
        for name in names:
            rows.append(bench_partner(spec(name), base, registry, args, work_dir))
    print_table(rows)
    print(f"total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
