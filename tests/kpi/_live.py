"""Helpers of the live KPI tests: the catalogue and events on real topics, real worker
processes of the three folds (``python -m hub.processing worker NAME``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hub import processing
from hub.kafka import make_producer, offsets
from hub.kpi import Kpis, compare, read_kpis, replay_kpis
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, KPI_FACTS
from tests.lifecycle._support import EventProducer, wait_until

FOLDS = ("kpi-dossiers", "kpi", "kpi-procedures")


def differences(live: Kpis, replayed: Kpis, keys: int = 4) -> dict[str, dict[str, Any]]:
    """(live, replay) of the differing counters of the first ``keys`` snapshots: whether the
    live side lags or lost (fewer), or counted twice (more)."""
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(live.snapshots.keys() & replayed.snapshots.keys()):
        a, b = live.snapshots[key], replayed.snapshots[key]
        fields = {f: (a.get(f), b.get(f)) for f in sorted(a.keys() | b.keys())
                  if a.get(f) != b.get(f) and isinstance(b.get(f), int | float)}  # fmt: skip
        if fields:
            out[key] = fields
        if len(out) == keys:
            break
    return out


def facts_on_topic(settings: Settings) -> int:
    """Records on ``kpi.facts`` (redelivered facts included)."""
    return sum(
        end - begin
        for begin, end in offsets(settings, KPI_FACTS.name(settings.topic_prefix)).values()
    )


class KpiWorker(processing.WorkerProcess):
    """One worker of the KPI fold ``processor``."""

    def __init__(self, settings: Settings, log_dir: Path, processor: str, name: str) -> None:
        super().__init__(
            processor, settings, log_dir / f"{name}.log",
            args=("--session-timeout", "6", "--catalog-grace", "1.5"),
        )  # fmt: skip
        self.processor = processor


class LiveRig:
    """A per-test prefix's topics, its producers, and the workers started on it."""

    def __init__(self, settings: Settings, registry: RegistryClient, log_dir: Path) -> None:
        self.settings = settings
        self.registry = registry
        self.log_dir = log_dir
        self.events = EventProducer(settings, registry)
        self.workers: list[KpiWorker] = []

    def publish_catalog(self, versions: Iterable[Mapping[str, Any]]) -> None:
        serde = serde_for(CATALOG_PROCEDURES, self.settings.topic_prefix, self.registry)
        topic = CATALOG_PROCEDURES.name(self.settings.topic_prefix)
        producer = make_producer(self.settings)
        try:
            for version in versions:
                producer.send(topic, key=str(version["procedure_code"]).encode(),
                              value=serde.encode(version))  # fmt: skip
            producer.flush()
        finally:
            producer.close()

    def start(self, processor: str, name: str | None = None) -> KpiWorker:
        """Start a worker (not waiting: ``wait_ready`` them together)."""
        worker = KpiWorker(self.settings, self.log_dir, processor,
                           name or f"{processor}-{len(self.workers)}")  # fmt: skip
        self.workers.append(worker)
        return worker

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        for worker in self.workers:
            if worker.alive():
                worker.wait_ready(timeout_s)

    def kpis(self) -> Kpis:
        return read_kpis(self.settings, self.registry)

    def settled(self, timeout_s: float = 90.0) -> tuple[Kpis, Kpis]:
        """Wait until what the workers published equals a replay from offset 0 (the inputs
        must be complete); returns (live, replay)."""
        replayed = replay_kpis(self.settings, self.registry)
        last: list[Kpis] = []

        def same() -> bool:
            last[:] = [self.kpis()]
            return not compare(last[0], replayed)

        try:
            wait_until(same, timeout_s=timeout_s, every_s=1.0)
        except AssertionError:
            raise AssertionError(
                f"live KPIs still differ from the replay: {compare(last[0], replayed)[:20]}; "
                f"values (live, replay): {differences(last[0], replayed)}; facts on the topic "
                f"{facts_on_topic(self.settings)}, in the replay {replayed.facts}"
            ) from None
        return last[0], replayed

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.events.close()
