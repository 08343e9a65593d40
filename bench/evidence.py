"""The evidence log's overhead on partner calls: the same outbox run with ``DVC_EVIDENCE`` off
and on, in one run, and the RFC 3161 timestamps an hour of that traffic needs.

    .venv/bin/python bench/evidence.py                         # emc, 2,000 commands
    .venv/bin/python bench/evidence.py --partner vnpost --commands 5000 --concurrency 32
    .venv/bin/python bench/evidence.py --rounds 3     # off/on alternated, the medians compared

Each run is ``bench.partners.outbox_run`` (ONE outbox worker process against the partner's
simulator, on a fresh topic prefix, every command with its outcome, CHECKed): commands/s (the
drain rate) and the p99 of ``completed_at - first_attempt_at`` of the commands done in one
attempt, which with evidence on includes building the exchange (digests, redacted bodies)
and producing it with the outcome (the command is done once both are acknowledged). With
evidence on, the evidence log must hold exactly one exchange per command (CHECK).

On a shared machine one pair of runs is at the mercy of its neighbours: ``--rounds N`` runs N
pairs, alternating which goes first, and compares the medians. The CPU an exchange costs the
outbox (digests, redaction, encoding: the part no broker makes faster) is timed in this process
over the same commands.

Timestamps per hour: the stamper stamps a partner's head once ``DVC_EVIDENCE_BATCH_ENTRIES``
entries wait or the oldest waited ``DVC_EVIDENCE_BATCH_SECONDS``, so at the measured rate ``r``
a busy partner needs ``3600 / min(seconds, entries / r)`` tokens an hour, whatever ``r`` is
beyond ``entries / seconds``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench._partner_workloads import partner_commands
from bench._report import delete_topics, percentile
from bench.partners import Run, outbox_run
from connectors.evidence import (
    EvidenceConfig,
    Exchange,
    decode_record,
    encode_record,
    evidence_topic,
    outbound_exchange,
)
from connectors.outbox import Command, group_for
from connectors.partners import NAMES, spec
from hub.kafka import read_to_end
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings


def exchanges_logged(settings: Settings) -> int:
    records = (decode_record(r.value) for r in read_to_end(settings, evidence_topic(settings)))
    return sum(isinstance(r, Exchange) for r in records)


def run_once(
    name: str, evidence: bool, base: str, registry: RegistryClient, args: argparse.Namespace,
    work_dir: Path,
) -> Run:  # fmt: skip
    partner = spec(name)
    records = partner_commands(partner, args.commands, args.dossiers, base)
    os.environ["DVC_EVIDENCE"] = "on" if evidence else "off"  # the worker process inherits it
    settings = get_settings().model_copy(update={
        "topic_prefix": f"{base}{_mode(evidence)}.", "partitions": args.partitions,
    })  # fmt: skip
    try:
        run = outbox_run(partner, settings, registry, records, args, work_dir, storm=False)
        if evidence:
            logged = exchanges_logged(settings)
            verdict = "OK" if logged == len(records) else "FAIL"
            print(f"CHECK evidence {verdict}: {logged:,} exchanges logged for "
                  f"{len(records):,} commands")  # fmt: skip
            if logged != len(records):
                raise SystemExit(1)
    finally:
        if not args.keep_topics:
            delete_topics(settings, [group_for(settings, name)])
    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partner", default="emc", choices=NAMES)
    parser.add_argument("--commands", type=int, default=2_000)
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16, help="outbox lanes / threads")
    parser.add_argument("--partitions", type=int, default=get_settings().partitions)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per outbox run")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the topics")
    parser.add_argument("--rounds", type=int, default=1, help="pairs of runs (off and on)")
    args = parser.parse_args()
    args.storm_ratio = 0.0  # outbox_run's storm is not used here
    base = f"bench.evidence.{uuid.uuid4().hex[:8]}."
    work_dir = Path(tempfile.mkdtemp(prefix="dvchub-evidence-"))
    print(f"prefix {base}  partner {args.partner}  {args.commands:,} commands over "
          f"{args.dossiers:,} dossiers, concurrency {args.concurrency}, "
          f"{args.rounds} round(s)")  # fmt: skip
    print(f"worker logs {work_dir}")
    runs: dict[bool, list[Run]] = {False: [], True: []}
    with RegistryClient(get_settings().schema_registry_url) as registry:
        for n in range(args.rounds):
            order = (False, True) if n % 2 == 0 else (True, False)
            for evidence in order:
                run = run_once(args.partner, evidence, f"{base}r{n}.", registry, args, work_dir)
                runs[evidence].append(run)
    print("\nevidence  calls/s  p50 ms  p99 ms   (each run)")
    for evidence in (False, True):
        for run in runs[evidence]:
            print(_row(_mode(evidence), run.rate, run.latencies_ms()))
    rate = {e: statistics.median(r.rate for r in runs[e]) for e in runs}
    p50 = {e: statistics.median(percentile(r.latencies_ms(), 50) for r in runs[e]) for e in runs}
    p99 = {e: statistics.median(percentile(r.latencies_ms(), 99) for r in runs[e]) for e in runs}
    print("median    calls/s  p50 ms  p99 ms")
    for evidence in (False, True):
        print(f"{_mode(evidence):<8}  {rate[evidence]:>7,.0f}  {p50[evidence]:>6.0f}  "
              f"{p99[evidence]:>6.0f}")  # fmt: skip
    print(f"overhead: {1 - rate[True] / rate[False]:.0%} of calls/s, p50 "
          f"{p50[True] - p50[False]:+.0f} ms, p99 {p99[True] - p99[False]:+.0f} ms")  # fmt: skip
    commands = partner_commands(spec(args.partner), args.commands, args.dossiers, base)
    print(f"CPU per exchange (built and encoded, in this process): "
          f"{exchange_cpu_ms(args.partner, commands):.3f} ms")  # fmt: skip
    config = EvidenceConfig.from_env()
    every_s = min(config.batch_seconds, config.batch_entries / rate[True])
    print(f"timestamps: one per {config.batch_entries:,} entries or {config.batch_seconds:.0f} s "
          f"-> at {rate[True]:,.0f} calls/s one every {every_s:.1f} s = {3600 / every_s:,.0f} "
          f"an hour per busy partner")  # fmt: skip


def _mode(evidence: bool) -> str:
    return "on" if evidence else "off"


def _row(label: str, rate: float, latencies: list[float]) -> str:
    return (f"{label:<8}  {rate:>7,.0f}  {percentile(latencies, 50):>6.0f}  "
            f"{percentile(latencies, 99):>6.0f}")  # fmt: skip


def exchange_cpu_ms(partner: str, commands: list[Command]) -> float:
    """What recording costs the outbox's CPU per call: the exchange built and encoded."""
    started = time.process_time()
    for command in commands:
        encode_record(outbound_exchange(partner, command, "ACCEPTED", 1, "REF", None, []))
    return (time.process_time() - started) * 1000 / len(commands)


if __name__ == "__main__":
    main()
