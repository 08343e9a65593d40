"""Where the time goes: cProfile of the replay, the KPI replay and timer firing, and any profile
file's self time grouped by package (the hub's own code against faust, asyncio, the Kafka clients).

    .venv/bin/python bench/profiles.py replay --events 100000       # hub.lifecycle.replay
    .venv/bin/python bench/profiles.py kpi --prefix bench.kpi.xxxxxxxx.   # a kept bench/kpi.py run
    .venv/bin/python bench/profiles.py fire --due 10000              # SLA timers, fold core
    .venv/bin/python bench/profiles.py groups /tmp/w.prof            # any statistics file

A live worker profiles itself: ``DVC_PROFILE=/tmp/w.prof .venv/bin/python bench/processing.py``
(or ``bench/kpi.py``: one file per KPI worker), then ``groups`` on the file. Shares, not rates:
cProfile slows what it measures, so the benches' own figures come from runs without it.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench._report import delete_topics
from hub import kafka
from hub.sample import VN_TZ, publish_catalog
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings

#: (part of a code path, group), first match wins; the hub's modules after the libraries'.
GROUPS: tuple[tuple[str, str], ...] = (
    ("site-packages/faust", "faust"),
    ("site-packages/mode", "mode (faust's services)"),
    ("site-packages/aiokafka", "aiokafka"),
    ("site-packages/kafka/", "kafka-python"),
    ("site-packages/rocksdict", "rocksdict"),
    ("site-packages/prometheus", "prometheus-client"),
    ("asyncio", "asyncio"),
    ("/hub/serde", "hub: serde"),
    ("/hub/processing", "hub: runtime"),
    ("/hub/", "hub: fold and rules"),
)


def group_of(path: str, function: str) -> str:
    if "epoll" in function or "select" in function:
        return "waiting (epoll)"
    if path.startswith("<avro"):
        return "hub: compiled Avro"
    for part, group in GROUPS:
        if part in path:
            return group
    if "ssl" in function.lower() or "socket" in function:
        return "socket / TLS system calls"
    return "builtins (called from the above)" if path == "~" else "other"


def print_groups(stats: pstats.Stats) -> None:
    """Self time per group, largest first."""
    times: Counter[str] = Counter()
    raw = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table undeclared
    for (path, _, function), (_, _, self_time, _, _) in raw.items():
        times[group_of(path, function)] += self_time
    total = sum(times.values())
    for group, seconds in times.most_common():
        print(f"  {group:<34} {seconds:8.1f} s {seconds / total:7.1%}")
    print(f"  {'total':<34} {total:8.1f} s")


def profiled(out: Path, call: str, scope: dict[str, object]) -> pstats.Stats:
    profile = cProfile.Profile()
    profile.runctx(call, scope, scope)
    profile.dump_stats(out)
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(20)
    print_groups(stats)
    print(f"statistics: {out}")
    return stats


@contextmanager
def fresh_prefix(kind: str) -> Iterator[Settings]:
    """A prefix of the profile's own, its hub topics made, and deleted afterwards."""
    settings = get_settings().model_copy(
        update={"topic_prefix": f"prof.{kind}.{uuid.uuid4().hex[:8]}.", "partitions": 4}
    )
    kafka.ensure_topics(settings)
    try:
        yield settings
    finally:
        delete_topics(settings, ())


def replay_profile(args: argparse.Namespace) -> None:
    from bench.processing import encoded_events, produce
    from hub.lifecycle import replay

    with (
        fresh_prefix("replay") as settings,
        RegistryClient(settings.schema_registry_url) as registry,
    ):
        publish_catalog(settings, registry)
        day = datetime(2026, 6, 1, tzinfo=VN_TZ)
        produce(settings, encoded_events(settings, registry, args.events, seed=13, day=day))
        scope: dict[str, object] = {"replay": replay, "settings": settings, "registry": registry}
        profiled(args.out, "replay(settings, registry, write=False, progress=False)", scope)


def kpi_profile(args: argparse.Namespace) -> None:
    from hub.kpi import replay_kpis

    settings = get_settings().model_copy(update={"topic_prefix": args.prefix})
    with RegistryClient(settings.schema_registry_url) as registry:
        scope: dict[str, object] = {"kpis": replay_kpis, "settings": settings, "registry": registry}
        profiled(args.out, "kpis(settings, registry)", scope)


def fire_profile(args: argparse.Namespace) -> None:
    from bench._sla_core import Serdes, fire_rate, make_processor, make_templates
    from hub.serde import serde_for
    from hub.topics import DOSSIER_EVENTS, SLA_ALERTS, SLA_DEADLINES

    with fresh_prefix("fire") as settings, RegistryClient(settings.schema_registry_url) as registry:
        prefix = settings.topic_prefix
        catalog = publish_catalog(settings, registry)
        serdes = Serdes(*(serde_for(t, prefix, registry)
                          for t in (DOSSIER_EVENTS, SLA_DEADLINES, SLA_ALERTS)))  # fmt: skip
        processor = make_processor(serdes, catalog)
        template = make_templates(processor, 3, settings.partitions)[0]
        scope: dict[str, object] = {"fire": fire_rate, "p": processor, "t": template,
                                    "due": args.due, "n": settings.partitions}  # fmt: skip
        profiled(args.out, "fire(p, t, due, n)", scope)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser("replay", help="hub.lifecycle.replay over a fresh log")
    replay.add_argument("--events", type=int, default=100_000)
    kpi = commands.add_parser("kpi", help="hub.kpi.replay_kpis over a kept bench/kpi.py prefix")
    kpi.add_argument("--prefix", required=True)
    fire = commands.add_parser("fire", help="SLA timers due at once, on the in-memory runner")
    fire.add_argument("--due", type=int, default=10_000)
    for command in (replay, kpi, fire):
        command.add_argument(
            "--out",
            type=Path,
            default=Path(tempfile.gettempdir()) / f"dvchub-{command.prog.split()[-1]}.prof",
        )
    groups = commands.add_parser("groups", help="a statistics file's self time by package")
    groups.add_argument("file", type=Path)
    args = parser.parse_args()
    if args.command == "groups":
        print_groups(pstats.Stats(str(args.file)))
    else:
        {"replay": replay_profile, "kpi": kpi_profile, "fire": fire_profile}[args.command](args)


if __name__ == "__main__":
    main()
