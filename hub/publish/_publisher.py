"""The publisher: the pages rebuilt from the log, on a schedule and on demand.

It reads what the SLA and KPI workers publish: each dossier's ``DossierDeadline`` on
``sla.deadlines``, the KPI snapshots on ``kpi`` and the catalogue's history on
``kpi.procedures`` (all compacted). ``read_inputs`` reads them once to their ends
(``dvchub publish build``); ``FollowedInputs`` follows them in memory, as the query API does,
and catches up with their ends before each build (``dvchub publish run``). A build is judged at
the clock's now (``DVC_CLOCK``), so the demo's accelerated clock publishes its own month.

Settings, ``DVC_PUBLISH_*``: ``PROVINCE`` (the name on every page), ``MONTHS`` (how many recent
months are published), ``INTERVAL_S`` (seconds between scheduled builds), ``PRAISE_COUNT``
(agencies praised and criticised, ``hub.publish._ranking``), ``KEEP_BUILDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.kpi import Kpis, KpiSettings, read_kpis
from hub.materialized import MaterializedTopic, TopicFollower
from hub.processing import Clock
from hub.publish._build import build_pages, recent_months
from hub.publish._errors import PublishError
from hub.publish._render import render_site
from hub.publish._site import Release, write_release
from hub.records import DossierDeadline, KpiSnapshot, ProcedureHistory
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import SlaSettings, read_deadlines
from hub.topics import KPI, KPI_PROCEDURES, SLA_DEADLINES

log = logging.getLogger(__name__)


class PublishSettings(BaseSettings):
    """What the province publishes and how often (``DVC_PUBLISH_*``)."""

    model_config = SettingsConfigDict(env_prefix="DVC_PUBLISH_", frozen=True, extra="ignore")

    province: str = Field("Ủy ban nhân dân tỉnh", description="The publisher named on each page.")
    months: int = Field(2, ge=1, description="Recent months published, the current one included.")
    interval_s: float = Field(300.0, gt=0, description="Seconds between scheduled builds.")
    praise_count: int = Field(3, ge=0, description="Agencies praised, and criticised, a month.")
    keep_builds: int = Field(3, ge=1, description="Builds kept on disk, the current one included.")


@dataclass(frozen=True)
class Inputs:
    """What a build reads: every dossier's deadline and the KPIs."""

    deadlines: Sequence[Mapping[str, object]]
    kpis: Kpis


def read_inputs(settings: Settings, registry: RegistryClient) -> Inputs:
    """The three topics read once to their current ends."""
    serde = serde_for(SLA_DEADLINES, settings.topic_prefix, registry)
    deadlines = list(read_deadlines(settings, serde).values())
    return Inputs(deadlines, read_kpis(settings, registry))


class FollowedInputs:
    """The three topics followed in memory; ``current()`` after catching up with their ends."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        prefix = settings.topic_prefix
        self.deadlines = MaterializedTopic[DossierDeadline](
            settings, serde_for(SLA_DEADLINES, prefix, registry), SLA_DEADLINES.name(prefix),
            what="deadlines", max_poll_records=2000,
        )  # fmt: skip
        self.snapshots = MaterializedTopic[KpiSnapshot](
            settings, serde_for(KPI, prefix, registry), KPI.name(prefix), what="KPI snapshots"
        )
        self.histories = MaterializedTopic[ProcedureHistory](
            settings, serde_for(KPI_PROCEDURES, prefix, registry), KPI_PROCEDURES.name(prefix),
            what="procedure histories",
        )  # fmt: skip
        self._views: tuple[TopicFollower, ...] = (self.deadlines, self.snapshots, self.histories)

    def start(self) -> FollowedInputs:
        for view in self._views:
            view.start()
        return self

    def stop(self) -> None:
        for view in self._views:
            view.stop()

    def current(self, timeout_s: float = 60.0) -> Inputs:
        """Everything on the topics now; ``PublishError`` if they cannot be read in time."""
        reached = [view.catch_up() for view in self._views]
        deadline = time.monotonic() + timeout_s
        for view, event in zip(self._views, reached, strict=True):
            if not event.wait(max(0.0, deadline - time.monotonic())):
                raise PublishError(f"{view.topic} not read to its end in {timeout_s:.0f} s")
        histories = {str(h["procedure_code"]): h for h in self.histories.values()}
        snapshots = {f"{s['agency_code']}|{s['period']}": s for s in self.snapshots.values()}
        return Inputs(list(self.deadlines.values()), Kpis(snapshots, histories))


@dataclass(frozen=True)
class Built:
    """One build: where, how many pages (each in three formats), as at when, how long."""

    release: Release
    pages: int
    as_of: datetime
    seconds: float


class Publisher:
    """Builds the site into ``root`` from ``inputs()`` at ``clock``'s now."""

    def __init__(
        self,
        root: Path,
        inputs: Callable[[], Inputs],
        *,
        clock: Clock,
        config: PublishSettings | None = None,
        sla: SlaSettings | None = None,
        kpi: KpiSettings | None = None,
    ) -> None:
        self.root = root
        self.inputs = inputs
        self.clock = clock
        self.config = config or PublishSettings()
        self.calendar = (sla or SlaSettings()).calendar()
        self.targets = (kpi or KpiSettings()).parsed_targets()

    def rebuild(self) -> Built:
        """One build now (on demand); ``PublishError`` if it cannot be written."""
        started = time.perf_counter()
        as_of = self.clock.now()
        given = self.inputs()
        config = self.config
        pages = build_pages(
            given.deadlines, given.kpis, recent_months(as_of, config.months), as_of=as_of,
            calendar=self.calendar, targets=self.targets, praise_count=config.praise_count,
        )  # fmt: skip
        files = render_site(pages, province=config.province, as_of=as_of,
                            praise_count=config.praise_count)  # fmt: skip
        release = write_release(self.root, files, keep=config.keep_builds)
        built = Built(release, len(pages), as_of, time.perf_counter() - started)
        log.info("published %d pages (%d files) to %s in %.2f s", built.pages,
                 len(release.files), release.path, built.seconds)  # fmt: skip
        return built

    def run(self, stop: threading.Event, wake: threading.Event) -> None:
        """Build every ``interval_s`` and whenever ``wake`` is set, until ``stop`` is set. A
        failed build is logged and retried at the next turn: the last good build stays served."""
        while not stop.is_set():
            try:
                self.rebuild()
            except PublishError as exc:
                log.error("publishing failed, the previous pages stay: %s", exc)
            wake.wait(self.config.interval_s)
            wake.clear()
