"""The live KPI workers of ``bench/kpi.py``: the three folds as worker processes on the bench's
prefix, started before the ingest, and the moment they have handled everything it produced.

"Done" is read from the workers themselves: each one's ``dvchub_processor_events_total`` (counted
only once a batch's outputs, state and marks are acknowledged) has reached the number of records
on its input topic. The KPI fold's input (``kpi.facts``) is what the dossier fold emits, so it
is judged only once the dossier fold is done, and the condition must hold on two polls in a row.
Whether the live figures are also *right* is the bench's other check: they are compared with
the replay afterwards.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from hub import kafka
from hub.processing import WorkerProcess
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, KPI_FACTS, TopicSpec

#: (processor, its input topic), in the order their inputs are complete.
FOLDS: tuple[tuple[str, TopicSpec], ...] = (
    ("kpi-procedures", CATALOG_PROCEDURES),
    ("kpi-dossiers", DOSSIER_EVENTS),
    ("kpi", KPI_FACTS),
)


@dataclass(frozen=True)
class Progress:
    """Per fold: (messages handled, records on its input)."""

    folds: tuple[tuple[str, int, int], ...]

    @property
    def done(self) -> bool:
        return all(handled >= records for _, handled, records in self.folds)

    def line(self) -> str:
        return ", ".join(f"{name} {handled:,}/{records:,}" for name, handled, records in self.folds)


class LiveKpiWorkers:
    """One worker process per KPI fold, logs under ``log_dir``."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        profile = os.environ.get("DVC_PROFILE")  # one statistics file per worker, not one for all
        self.workers = [
            (name, WorkerProcess(name, settings, log_dir / f"kpi-live-{name}.log",
                                 env={"DVC_PROFILE": f"{profile}.{name}"} if profile else None),
             topic)
            for name, topic in FOLDS
        ]  # fmt: skip

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        for _, worker, _ in self.workers:
            worker.wait_ready(timeout_s)

    def progress(self) -> Progress:
        folds = []
        for name, worker, topic in self.workers:
            if not worker.alive():
                raise RuntimeError(f"KPI worker died: see {worker.log_path}")
            handled = int(worker.metric("dvchub_processor_events_total"))
            ranges = kafka.offsets(self.settings, topic.name(self.settings.topic_prefix))
            folds.append((name, handled, sum(e - b for b, e in ranges.values())))
        return Progress(tuple(folds))

    def wait_done(self, timeout_s: float, every_s: float = 1.0) -> float:
        """Block until every fold has handled its whole input (two polls in a row); returns
        the monotonic time of the first of the two polls."""
        deadline = time.monotonic() + timeout_s
        first: float | None = None
        while True:
            polled = time.monotonic()
            progress = self.progress()
            if progress.done:
                if first is not None:
                    return first
                first = polled
            else:
                first = None
                if polled > deadline:
                    raise RuntimeError(f"live KPIs not done after {timeout_s:.0f} s: "
                                       f"{progress.line()}")  # fmt: skip
            time.sleep(every_s)

    def stop(self) -> None:
        for _, worker, _ in self.workers:
            worker.stop()
