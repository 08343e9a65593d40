"""Module-scoped lifecycle stacks: one prefix, its topics and a real worker process per module."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.kafka import delete_prefixed, ensure_topics
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.lifecycle._support import EventProducer, WorkerProcess, publish_catalog, wait_until


class Harness:
    """A prefix with the catalogue published, a producer, and the current worker(s)."""

    def __init__(self, settings: Settings, registry: RegistryClient, log_dir: Path) -> None:
        self.settings = settings
        self.registry = registry
        self.log_dir = log_dir
        self.producer = EventProducer(settings, registry)
        self.workers: list[WorkerProcess] = []

    def start_worker(self, name: str) -> WorkerProcess:
        worker = WorkerProcess(self.settings, self.log_dir, name)
        self.workers.append(worker)
        wait_until(lambda: worker.ready() or not worker.alive(), timeout_s=90)
        assert worker.alive(), worker.log_path.read_text()[-3000:]
        return worker

    @property
    def worker(self) -> WorkerProcess:
        return next(w for w in reversed(self.workers) if w.alive())

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.producer.close()
        delete_prefixed(self.settings)


def lifecycle_settings(stack_settings: Settings, partitions: int) -> Settings:
    prefix = f"test.{uuid.uuid4().hex[:12]}."
    settings = stack_settings.model_copy(update={"topic_prefix": prefix, "partitions": partitions})
    ensure_topics(settings)
    return settings


@pytest.fixture(scope="module")
def harness(stack_settings: Settings, registry: RegistryClient) -> Iterator[Harness]:
    settings = lifecycle_settings(stack_settings, partitions=2)
    publish_catalog(settings, registry)
    stack = Harness(settings, registry, Path(tempfile.mkdtemp(prefix="dvchub-lifecycle-")))
    stack.start_worker("w1")
    yield stack
    stack.close()
