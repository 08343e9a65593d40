"""Demo section: the province's published numbers, straight from the event log.

A year of sample dossiers (a hundred a month, 2025) goes through the portal connector;
the three KPI folds run as worker processes; applicants rate a share of March's ended
dossiers through the portal's endpoint, a few of them twice (``_ratings``); once every dossier is
counted, the full-online table for 2025 and the QĐ 766 indicators of March (with the
satisfaction group) are read back from the ``kpi`` topics, and a replay from offset 0 is
compared with them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime
from typing import cast

from connectors.portal.client import portal_item
from dvchub.demo._console import console
from dvchub.demo._lifecycle import RunningPortal
from dvchub.demo._ratings import ratings_of
from dvchub.demo._servers import worker_process
from dvchub.demo._sla import DEMO_DIR
from dvchub.tables import full_online_view, indicators_view, rows_view
from hub.kpi import (
    POSTAL_TITLES,
    PROCESSORS,
    SATISFACTION_TITLES,
    TARGET_TITLES,
    Kpis,
    KpiSettings,
    Rate,
    compare,
    full_online_table,
    indicators_766,
    indicators_2024,
    postal_figures,
    postal_rows,
    read_kpis,
    read_latest,
    received,
    replay_kpis,
    satisfaction_by_official,
    satisfaction_cells,
    target_rows,
)
from hub.processing import WorkerProcess
from hub.records import KpiDossier
from hub.sample import AGENCY_NAMES, VN_TZ, sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import KPI_DOSSIERS

#: Sample dossiers per month of the year: enough for every agency and category to show.
PER_MONTH = 100
YEAR = 2025


@contextmanager
def kpi_workers(settings: Settings) -> Iterator[dict[str, WorkerProcess]]:
    """One worker process per KPI fold, started together, ready; stopped at the end."""
    with ExitStack() as stack:
        workers: dict[str, WorkerProcess] = {}
        for name in PROCESSORS:
            worker = worker_process(name, settings, DEMO_DIR / f"{name}-worker.log")
            stack.callback(worker.stop)
            workers[name] = worker
        for worker in workers.values():
            worker.wait_ready(120)
        yield workers


def show_kpis(
    settings: Settings, registry: RegistryClient, portal: RunningPortal, run_id: str
) -> None:
    console.rule("[bold]KPIs: the province's numbers from the event log (kpi folds -> dvc.kpi)")
    events = [
        event
        for month in range(1, 13)
        for event in sample_events(
            PER_MONTH, seed=month, start=datetime(YEAR, month, 1, tzinfo=VN_TZ)
        )
    ]
    for event in events:
        event["dossier_id"] = f"{event['dossier_id']}-{run_id}"
    ratings = ratings_of(events, YEAR, 3, seed=YEAR)
    with kpi_workers(settings) as workers:
        console.print(
            f"kpi workers ready: {', '.join(f'{n} :{w.port}' for n, w in workers.items())}"
        )
        started = time.monotonic()
        pushed = list(portal.client.push_all(portal_item(e) for e in events))
        console.print(f"{sum(r.accepted for r in pushed)} events of {12 * PER_MONTH} dossiers "
                      f"of {YEAR} through the portal connector")  # fmt: skip
        rated = list(portal.client.push_all(portal_item(e) for e in ratings))
        console.print(f"{sum(r.accepted for r in rated)} satisfaction ratings of March's ended "
                      f"dossiers through the portal ({len({r['dossier_id'] for r in ratings})} "
                      "dossiers: the later rating of a dossier replaces the earlier)")  # fmt: skip
        versions = Counter(str(e["dossier_id"]) for e in (*events, *ratings))
        counted = _wait_counted(settings, registry, versions)
        console.print(f"every dossier counted after {time.monotonic() - started:.1f} s "
                      f"({counted} received in {YEAR}, all runs)")  # fmt: skip
        kpis = read_kpis(settings, registry)
        config = KpiSettings()
        table = full_online_table(kpis, YEAR, config.parsed_targets())
        # the catalogue's names (kpi.procedures), else the sample catalogue's (a log shared
        # with runs from before the sample catalogue named its agencies has unnamed versions)
        names = {**AGENCY_NAMES, **{r.agency_code: r.agency_name for r in table.rows
                                    if r.agency_name}}  # fmt: skip
        table = replace(table, rows=tuple(replace(r, agency_name=names.get(r.agency_code, ""))
                                          for r in table.rows))  # fmt: skip
        console.print(full_online_view(table))
        console.print(indicators_view(indicators_766(kpis, f"{YEAR}-03"), f"{YEAR}-03", names))
        _show_officials(kpis, f"{YEAR}-03", names)
        _show_targets_and_postal(kpis, config, names)
        replayed = replay_kpis(settings, registry)
        differences = compare(read_kpis(settings, registry), replayed)
        console.print(
            f"replay from offset 0: {replayed.events} events, {replayed.facts} facts in "
            f"{replayed.seconds:.1f} s -> {len(replayed.snapshots)} snapshots, "
            + ("identical to the live KPIs" if not differences else f"{len(differences)} differ")
        )
        for line in differences[:5]:
            console.print(f"[red]{line}")
        port = workers["kpi"].port
        console.print(f"metrics: each worker's /metrics (kpi: http://127.0.0.1:{port}/metrics); "
                      "the query API's /metrics has dvchub_kpi_full_online_ratio{agency,period}; "
                      "`dvchub stack up --with-prometheus` scrapes them")  # fmt: skip


def _wait_counted(settings: Settings, registry: RegistryClient, ours: Counter[str]) -> int:
    """Wait until every event of ``ours`` (dossier id -> events) is counted and the year's
    snapshots sum what ``kpi.dossiers`` says was received; returns that sum."""
    serde = serde_for(KPI_DOSSIERS, settings.topic_prefix, registry)
    deadline = time.monotonic() + 240
    while True:
        # The decoding boundary: ``kpi.dossiers`` holds KpiDossier records.
        dossiers = cast(dict[str, KpiDossier], read_latest(settings, KPI_DOSSIERS, serde))
        expected = sum(1 for d in dossiers.values() if _received_in(d, YEAR))
        summed = sum(received(s) for s in read_kpis(settings, registry).snapshots.values()
                     if s["period"] == str(YEAR))  # fmt: skip
        done = all(d in dossiers and dossiers[d].get("version") == n for d, n in ours.items())
        if done and summed == expected:
            return summed
        if time.monotonic() > deadline:
            raise RuntimeError(f"KPIs not settled: {summed} summed, {expected} received")
        time.sleep(1.0)


def _received_in(dossier: KpiDossier, year: int) -> bool:
    at = dossier["received_at"]
    return at is not None and at.astimezone(VN_TZ).year == year


def _named(
    titles: Sequence[str], rows: list[list[str]], names: Mapping[str, str]
) -> tuple[tuple[str, ...], list[list[str]]]:
    """A report's titles and rows with the agency's name after its code (the first cell)."""
    return (titles[0], "Tên cơ quan", *titles[1:]), [
        [row[0], names.get(row[0], ""), *row[1:]] for row in rows
    ]


def _show_officials(kpis: Kpis, month: str, names: Mapping[str, str]) -> None:
    """The satisfaction group per official rated in ``month``."""
    rows = [[r.agency_code, r.official_id,
             *satisfaction_cells(r.satisfaction,
                                 str(Rate(r.satisfaction.satisfied, r.satisfaction.rated)))]
            for r in satisfaction_by_official(kpis, month)]  # fmt: skip
    console.print(rows_view(f"QĐ 766 satisfaction per official rated, {month}",
                            *_named(("Cơ quan", "Cán bộ", *SATISFACTION_TITLES), rows,
                                    names)))  # fmt: skip


def _show_targets_and_postal(kpis: Kpis, config: KpiSettings, names: Mapping[str, str]) -> None:
    """The 2024 indicators with their targets and verdicts, and the postal figures, of YEAR."""
    targets = indicators_2024(kpis, str(YEAR), config.parsed_indicator_targets(),
                              config.not_eligible_codes())  # fmt: skip
    postal = postal_figures(kpis, str(YEAR))
    for title, titles, rows in (
        (f"Chỉ tiêu 2024 (digitised, full-online procedures, online payment) - {YEAR}",
         TARGET_TITLES, target_rows(*targets)),
        (f"Bưu chính công ích {YEAR}: dossiers and results by post, on time, COD",
         POSTAL_TITLES, postal_rows(*postal)),
    ):  # fmt: skip
        console.print(rows_view(title, *_named(titles, rows, names)))
