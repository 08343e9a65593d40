"""Restart-to-ready of a lifecycle worker whose ``dossiers`` table holds N dossiers.

    .venv/bin/python bench/restart.py                                 # 1,000,000 dossiers
    .venv/bin/python bench/restart.py --dossiers 20000 --stores memory

On a fresh topic prefix: the hub topics and the sample catalogue, then the table's changelog
(``<prefix>lifecycle-dossiers-changelog``) filled directly with N encoded DossierStates. Those are
real states: sample dossiers folded event by event by the lifecycle core (decode, apply, encode,
exactly as the worker does), of which only the dossier id differs from one copy to the next.
Each record goes to the partition Kafka's default partitioner gives its key, which is where the
worker itself would have written it.

Then, for each store, a worker process (``python -m hub.processing worker lifecycle``) is started
twice in a fresh state directory and timed from process start to: the first answer of
``/ready`` (web up), ``/ready`` saying ready (catalogue loaded, partitions assigned, no
rebalance or recovery), and the states of events that were waiting for it published (serving).
Those events are national-sync
outcomes for one known dossier per partition, legal in every status: their state is the
recovered one plus one version, so a worker that lost a dossier cannot pass. The second start
reuses the first one's state directory: a RocksDB store should read only the changelog's tail.

The store is chosen by the environment of the worker: ``DVC_STATE_STORE`` (``memory://``,
``rocksdb://``) and ``DVC_STATE_DIR`` (faust's data directory). Whether the requested store was
in effect is read from the state directory (RocksDB files in it, or none), not assumed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kafka import TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import avro_string, delete_topics, kafka_partition, process_memory_mib
from hub import kafka
from hub.dossier import CatalogEntry, DossierEvent
from hub.events import new_event
from hub.kafka import ensure_topics, make_consumer, make_producer
from hub.lifecycle import Rejection, app_id_for, apply, changelog_topic
from hub.processing import WorkerProcess
from hub.records import DossierState
from hub.sample import publish_catalog, sample_events
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import Settings, get_settings
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE

STORES = {"memory": "memory://", "rocksdb": "rocksdb://"}
_ROCKSDB_FILES = ("CURRENT", "*.sst", "MANIFEST-*")


@dataclass(frozen=True)
class Template:
    """One real encoded state; copies differ only by the dossier id."""

    dossier_id: str
    encoded: bytes
    status: str
    version: int

    @property
    def stem(self) -> str:
        return self.dossier_id.rsplit("-", 1)[0]

    def copy(self, number: int) -> tuple[str, bytes]:
        """A new dossier id and this state's bytes carrying it in every place it occurs."""
        new_id = f"{self.stem}-{number:07d}"
        return new_id, self.encoded.replace(avro_string(self.dossier_id), avro_string(new_id))


def make_templates(
    count: int, events: AvroSerde, states: AvroSerde, catalog: Mapping[str, CatalogEntry]
) -> list[Template]:
    """The final states of ``count`` sample dossiers: each event encoded and decoded as the
    worker receives it, folded by the status machine, the state encoded as the worker stores it."""
    final: dict[str, DossierState] = {}
    for sample in sample_events(count, seed=31):
        event = DossierEvent.from_record(events.decode(events.encode(sample)))
        state = final.get(event.dossier_id)
        code = event.procedure_code or (state["procedure_code"] if state else None)
        result = apply(state, event, None if code is None else catalog.get(code))
        if isinstance(result, Rejection):
            raise SystemExit(f"a sample event was not applied: {result}")
        final[event.dossier_id] = result
    templates = [
        Template(dossier_id, states.encode(state), str(state["status"]), int(state["version"]))
        for dossier_id, state in final.items()
    ]
    for t in templates:  # the substitution must change the id and nothing else
        new_id, copied = t.copy(9_999_999)
        decoded = states.decode(copied)
        original = states.decode(t.encoded)
        if decoded["dossier_id"] != new_id or {**decoded, "dossier_id": t.dossier_id} != original:
            raise SystemExit(f"copying the state of {t.dossier_id} changed more than its id")
    return templates


def dossier_copies(templates: list[Template], count: int) -> Iterator[tuple[str, bytes, int]]:
    """(dossier id, encoded state, template index) of ``count`` dossiers."""
    for number in range(count):
        index = number % len(templates)
        new_id, value = templates[index].copy(number)
        yield new_id, value, index


@dataclass(frozen=True)
class Fill:
    records: int
    value_bytes: int
    seconds: float


def fill_changelog(settings: Settings, templates: list[Template], count: int) -> Fill:
    """Create the table's changelog (compacted, as many partitions as the events) and fill it."""
    topic = changelog_topic(settings)
    kafka.create_topic(settings, topic, config={"cleanup.policy": "compact"})
    producer = make_producer(
        settings, client_id="bench-restart-fill", linger_ms=50, batch_size=524_288
    )
    started = time.perf_counter()
    total = 0
    for dossier_id, value, _ in dossier_copies(templates, count):
        producer.send(topic, key=dossier_id.encode(), value=value)
        total += len(value)
    producer.flush()
    seconds = time.perf_counter() - started
    producer.close()
    return Fill(count, total, seconds)


def pick_probes(templates: list[Template], count: int, partitions: int) -> dict[str, Template]:
    """One dossier per partition (the last written to it): dossier id -> its template."""
    probes: dict[int, tuple[str, Template]] = {}
    number = count - 1
    while number >= 0 and len(probes) < partitions:
        template = templates[number % len(templates)]
        dossier_id, _ = template.copy(number)
        probes.setdefault(kafka_partition(dossier_id.encode(), partitions), (dossier_id, template))
        number -= 1
    return dict(probes.values())


def send_probes(
    settings: Settings, serde: AvroSerde, probes: dict[str, Template]
) -> dict[TopicPartition, int]:
    """A national-sync event per probe dossier; returns the state topic's end offsets before."""
    state_topic = DOSSIER_STATE.name(settings.topic_prefix)
    consumer = make_consumer(settings, group_id=None)
    try:
        tps = [TopicPartition(state_topic, p) for p in range(settings.partitions)]
        ends = {tp: int(offset) for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()
    producer = make_producer(settings, client_id="bench-restart-probe")
    for dossier_id, template in probes.items():
        payload = {"service": "UNKNOWN", "status_synced": template.status, "attempts": 1}
        event = new_event(dossier_id, "NationalSyncCompleted", payload,
                          source="NATIONAL_PORTAL", occurred_at=datetime.now(UTC))  # fmt: skip
        producer.send(DOSSIER_EVENTS.name(settings.topic_prefix), key=dossier_id.encode(),
                      value=serde.encode(event))  # fmt: skip
    producer.flush()
    producer.close()
    return ends


def states_published(
    settings: Settings,
    serde: AvroSerde,
    since: dict[TopicPartition, int],
    expected: dict[str, int],
    deadline: float,
) -> dict[str, int]:
    """Follow the state topic from ``since`` until every dossier of ``expected`` (id -> version)
    appears; returns the versions seen. Raises if one appears with another version."""
    seen: dict[str, int] = {}
    consumer = make_consumer(settings, group_id=None)
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        while len(seen) < len(expected) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=100).values():
                for record in records:
                    dossier_id = record.key.decode()
                    if dossier_id in expected:
                        seen[dossier_id] = int(serde.decode(record.value)["version"])
    finally:
        consumer.close()
    wrong = {k: v for k, v in seen.items() if v != expected[k]}
    if wrong or len(seen) < len(expected):
        raise SystemExit(
            f"the worker did not recover every probed dossier: expected versions {expected}, "
            f"published {seen}"
        )
    return seen


@dataclass(frozen=True)
class Start:
    """One worker start, in seconds from process start; memory at ready in MiB."""

    web_s: float
    ready_s: float
    serving_s: float
    stop_s: float
    rss_mib: float
    peak_rss_mib: float


class Worker(WorkerProcess):
    """``python -m hub.processing worker lifecycle`` with the state store given by its
    environment, timed from its start."""

    def __init__(self, settings: Settings, store: str, state_dir: Path, log: Path) -> None:
        self.started = time.monotonic()
        env = {"DVC_STATE_STORE": store, "DVC_STATE_DIR": str(state_dir)}
        super().__init__("lifecycle", settings, log, args=("--loglevel", "info"), env=env)

    def timed_ready(self, timeout_s: float) -> tuple[float, float]:
        """(seconds to the first /ready answer, seconds to ready)."""
        web: float | None = None
        deadline = self.started + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise SystemExit(f"worker exited with {self.proc.returncode}; log {self.log_path}")
            status = self.status()  # {} while nothing answers; 503 answers the same document
            now = time.monotonic() - self.started
            if status:
                web = now if web is None else web
                if status.get("ready"):
                    return web, now
            time.sleep(0.1)
        raise SystemExit(f"worker not ready after {timeout_s:.0f} s; log {self.log_path}")

    def timed_stop(self) -> float:
        """SIGTERM and wait; returns the seconds the worker took to exit."""
        began = time.monotonic()
        self.stop(timeout_s=120)
        return time.monotonic() - began


def rocksdb_bytes(state_dir: Path) -> int:
    """Bytes of RocksDB files under ``state_dir`` (0: the worker kept no RocksDB there)."""
    if not any(next(state_dir.rglob(pattern), None) for pattern in _ROCKSDB_FILES):
        return 0
    return sum(f.stat().st_size for f in state_dir.rglob("*") if f.is_file())


@dataclass(frozen=True)
class StoreRun:
    name: str
    url: str
    starts: tuple[Start, ...]
    rocksdb_bytes: int


def run_store(
    settings: Settings,
    serde: tuple[AvroSerde, AvroSerde],
    name: str,
    probes: dict[str, Template],
    versions: dict[str, int],
    work_dir: Path,
    timeout_s: float,
) -> StoreRun:
    """Two starts of a worker with store ``name`` in one fresh state directory."""
    events, states = serde
    state_dir = work_dir / f"state-{name}"
    state_dir.mkdir()
    starts: list[Start] = []
    on_disk = 0
    for attempt in (1, 2):
        since = send_probes(settings, events, probes)
        expected = {dossier_id: versions[dossier_id] + 1 for dossier_id in probes}
        worker = Worker(settings, STORES[name], state_dir, work_dir / f"{name}-{attempt}.log")
        try:
            web_s, ready_s = worker.timed_ready(timeout_s)
            rss, peak = process_memory_mib(worker.pid)
            states_published(settings, states, since, expected, worker.started + timeout_s)
            serving_s = time.monotonic() - worker.started
        finally:
            stop_s = worker.timed_stop()
        versions.update(expected)
        on_disk = rocksdb_bytes(state_dir)
        starts.append(Start(web_s, ready_s, serving_s, stop_s, rss, peak))
    shutil.rmtree(state_dir, ignore_errors=True)
    return StoreRun(name, STORES[name], tuple(starts), on_disk)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--stores", default="memory,rocksdb", help="comma-separated: "
                        + ", ".join(STORES))  # fmt: skip
    parser.add_argument("--templates", type=int, default=200, help="distinct sample states")
    parser.add_argument("--partitions", type=int, default=get_settings().partitions)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per start")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the topics")
    args = parser.parse_args()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = [s for s in stores if s not in STORES]
    if unknown:
        parser.error(f"unknown store(s) {unknown}; choose from {list(STORES)}")

    settings = get_settings().model_copy(update={
        "topic_prefix": f"bench.restart.{uuid.uuid4().hex[:8]}.", "partitions": args.partitions,
    })  # fmt: skip
    ensure_topics(settings)
    work_dir = Path(tempfile.mkdtemp(prefix="dvchub-restart-"))
    try:
        with RegistryClient(settings.schema_registry_url) as registry:
            catalog = publish_catalog(settings, registry)
            events = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
            states = serde_for(DOSSIER_STATE, settings.topic_prefix, registry)
            templates = make_templates(args.templates, events, states, catalog)
            fill = fill_changelog(settings, templates, args.dossiers)
            print(
                f"prefix {settings.topic_prefix}  partitions {settings.partitions}  "
                f"logs {work_dir}\n"
                f"changelog {changelog_topic(settings)}: {fill.records:,} dossiers from "
                f"{len(templates)} sample states, mean value {fill.value_bytes / fill.records:,.0f}"
                f" B ({fill.value_bytes / 2**20:,.0f} MiB), written in {fill.seconds:.1f} s "
                f"({fill.records / fill.seconds:,.0f} records/s)"
            )
            probes = pick_probes(templates, args.dossiers, settings.partitions)
            versions = {dossier_id: t.version for dossier_id, t in probes.items()}
            print(f"\n{'store':<12}{'in effect':<22}{'start':<7}{'web up':>8}{'ready':>9}"
                  f"{'serving':>9}{'stop':>8}{'RSS at ready':>14}{'peak':>10}")  # fmt: skip
            for name in stores:
                run = run_store(
                    settings, (events, states), name, probes, versions, work_dir, args.timeout
                )
                effect = (
                    f"rocksdb ({run.rocksdb_bytes / 2**20:,.0f} MiB)"
                    if run.rocksdb_bytes
                    else "memory (no RocksDB)"
                )
                for label, s in zip(("first", "second"), run.starts, strict=True):
                    print(f"{run.url:<12}{effect:<22}{label:<7}{s.web_s:>7.1f}s{s.ready_s:>8.1f}s"
                          f"{s.serving_s:>8.1f}s{s.stop_s:>7.1f}s{s.rss_mib:>10,.0f} MiB"
                          f"{s.peak_rss_mib:>6,.0f} MiB")  # fmt: skip
    finally:
        if not args.keep_topics:
            delete_topics(settings, [app_id_for(settings)])


if __name__ == "__main__":
    main()
