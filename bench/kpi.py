"""A year of a province's KPIs from the log: ~650,000 dossiers of 30 agencies.

    .venv/bin/python bench/kpi.py                        # 650,000 dossiers, 30 agencies, 2024
    .venv/bin/python bench/kpi.py --dossiers 50000 --clients 2

On a fresh topic prefix, a portal connector process (``dvchub portal serve``) takes the
province's catalogue (10 procedures per agency, every level, through ``PUT /v1/procedures``) and
each dossier's DossierSubmitted and DossierAccepted (``POST /v1/events``, 500 per batch, from
``--clients`` threads), answered 202 only after Kafka acknowledged them. Dossiers are spread over
the working hours of 2024 and over the agencies unevenly (the busiest district takes ~11%, as
in An Giang), channels online / direct / postal by the procedure's level.

Unless ``--no-live``, the three KPI folds run live meanwhile, one worker process each (started
once the catalogue is in, ``bench/_kpi_live.py``), and the bench prints how long after the
ingest's last answer they have handled every record (``≤ 30 s`` is #19's target).

Then, timed: every KPI computed from offset 0 of ``dossier.events`` and ``catalog.procedures``
by the three KPI folds on the in-memory runner (``hub.kpi.replay_kpis``: decode, count, facts
re-keyed by agency|period, summed), and the full-online table of 2024 computed and written as
CSV. The run fails if the table's HSTN total is not the number of dossiers sent, or if the live
workers' KPIs differ from the replay.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._kpi_live import LiveKpiWorkers
from bench._report import delete_topics, peak_rss_mib
from connectors.common import JsonObject
from connectors.portal.client import PortalClient, PortalItem, portal_item
from hub.events import new_event
from hub.kafka import ensure_topics
from hub.kpi import (
    KpiSettings,
    compare,
    full_online_table,
    read_kpis,
    replay_kpis,
    write_full_online_csv,
)
from hub.processing import free_port
from hub.sample import VN_TZ
from hub.serde import RegistryClient
from hub.settings import REPO_ROOT, Settings, get_settings
from hub.sla import WorkingCalendar

LEVELS = ("DIRECT_ONLY", "PARTIAL_ONLINE", "PARTIAL_ONLINE", "FULL_ONLINE", "FULL_ONLINE")
CHANNELS = {
    "DIRECT_ONLY": ("DIRECT",),
    "PARTIAL_ONLINE": ("ONLINE", "DIRECT", "DIRECT", "POSTAL"),
    "FULL_ONLINE": ("ONLINE", "ONLINE", "ONLINE", "DIRECT", "POSTAL"),
}
YEAR = 2024


@dataclass(frozen=True)
class Procedure:
    code: str
    agency_code: str
    agency_type: str
    level: str


def province(agencies: int) -> tuple[list[Procedure], list[float]]:
    """10 procedures per agency (a third departments, the rest districts), and agency weights:
    the first district takes ~11% of the dossiers, the rest share what is left unevenly."""
    departments = max(1, agencies // 3)
    procedures: list[Procedure] = []
    for n in range(agencies):
        is_department = n < departments
        code = f"S{n + 1:02d}" if is_department else f"UBND-{n - departments + 1:02d}"
        kind = "PROVINCIAL_DEPARTMENT" if is_department else "DISTRICT"
        for p in range(10):
            level = LEVELS[(n + p) % len(LEVELS)]
            # MaTTHC shape: a digit, a dot, six digits (1.000656)
            procedures.append(Procedure(f"{1 + n % 3}.{n + 1:03d}{p:03d}", code, kind, level))
    weights = [1.0 + (n % 7) for n in range(agencies)]
    weights[departments] = 0.11 / 0.89 * sum(w for i, w in enumerate(weights) if i != departments)
    return procedures, weights


def catalog_entry(procedure: Procedure) -> JsonObject:
    return {
        "name": f"Thủ tục {procedure.code}", "agency_code": procedure.agency_code,
        "agency_name": f"Cơ quan {procedure.agency_code}", "agency_type": procedure.agency_type,
        "level": procedure.level, "deadline_working_days": 5, "fee_lines": [],
        "fee_before_processing": False, "postal_allowed": True,
        "supplement_clock_policy": None, "valid_from": None, "valid_to": None,
    }  # fmt: skip


def office_instants(count: int, rng: random.Random) -> list[datetime]:
    """``count`` instants in the office hours of the working days of the year, sorted."""
    calendar = WorkingCalendar()
    start = datetime(YEAR, 1, 1, tzinfo=VN_TZ)
    year_time = calendar.working_time_between(start, datetime(YEAR + 1, 1, 1, tzinfo=VN_TZ))
    offsets = sorted(rng.random() * year_time.total_seconds() for _ in range(count))
    return [calendar.add_working_time(start, timedelta(seconds=s)) for s in offsets]


def dossier_events(
    count: int, procedures: list[Procedure], weights: list[float], seed: int
) -> Iterator[Mapping[str, object]]:
    """Each dossier's DossierSubmitted and DossierAccepted (two hours later), in time order."""
    rng = random.Random(seed)
    by_agency: dict[str, list[Procedure]] = {}
    for procedure in procedures:
        by_agency.setdefault(procedure.agency_code, []).append(procedure)
    agencies = list(by_agency)
    picks = rng.choices(agencies, weights=weights, k=count)
    desk = {"official_id": "cb-0001", "official_name": "Cán bộ một cửa", "title": "Chuyên viên",
            "department": "Bộ phận Một cửa", "agency_code": None}  # fmt: skip
    for number, (agency, at) in enumerate(zip(picks, office_instants(count, rng), strict=True)):
        procedure = rng.choice(by_agency[agency])
        channel = rng.choice(CHANNELS[procedure.level])
        dossier_id = f"{agency}-{at:%y%m%d}-{number:07d}"
        yield new_event(dossier_id, "DossierSubmitted", {
            "procedure_code": procedure.code, "procedure_name": None, "agency_code": agency,
            "channel": channel, "postal_intake": channel == "POSTAL",
            "postal_return": channel == "POSTAL", "from_national_portal": False,
            "national_dossier_code": None, "applicant": {
                "kind": "CITIZEN", "full_name": "Nguyễn Văn An", "id_number": "001090000001",
                "phone": None, "email": None, "address": None},
            "documents": [],
        }, source="PROVINCIAL_PORTAL", occurred_at=at)  # fmt: skip
        yield new_event(dossier_id, "DossierAccepted", {
            "appointment_at": None, "deadline_working_days": 5, "level": procedure.level,
        }, source="PROVINCIAL_PORTAL", occurred_at=at + timedelta(hours=2),
            actor={**desk, "agency_code": agency})  # fmt: skip


class Portal:
    """``dvchub portal serve`` as its own process, on a free port, with a one-off key."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.key = secrets.token_urlsafe(16)
        self.port = free_port()
        env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix,
               "DVC_PARTITIONS": str(settings.partitions), "DVC_LOG_LEVEL": "WARNING",
               "DVC_PORTAL_API_KEYS": f"PROVINCIAL_PORTAL:{self.key}"}  # fmt: skip
        self._log = log.open("wb")
        dvchub = Path(sys.executable).with_name("dvchub")
        self.proc = subprocess.Popen(
            [str(dvchub), "portal", "serve", "--port", str(self.port)],
            cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        with PortalClient(self.url, api_key=self.key) as client:
            deadline = time.monotonic() + 60
            while not client.healthy():
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"portal connector did not start: see {log}")
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self._log.close()


def batches_of(events: Iterator[Mapping[str, object]]) -> list[list[PortalItem]]:
    """The portal JSON items in batches of 500. One dossier's two events go in the same batch,
    in order, so no acceptance overtakes its submission (a batch is produced in order)."""
    batches: list[list[PortalItem]] = []
    batch: list[PortalItem] = []
    for event in events:
        batch.append(portal_item(event))
        if len(batch) == 500:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches


def ingest(portal: Portal, batches: list[list[PortalItem]], clients: int) -> tuple[int, float]:
    """Push every batch through the connector from ``clients`` threads; (accepted, seconds)."""
    started = time.perf_counter()
    with PortalClient(portal.url, api_key=portal.key, timeout_s=120) as client:

        def push(items: list[PortalItem]) -> int:
            return client.push_events(items).accepted

        with ThreadPoolExecutor(clients) as pool:
            accepted = sum(pool.map(push, batches))
    return accepted, time.perf_counter() - started


def run(args: argparse.Namespace, settings: Settings) -> None:
    ensure_topics(settings)
    procedures, weights = province(args.agencies)
    work = REPO_ROOT / ".cache" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    portal = Portal(settings, work / "kpi-portal.log")
    live: LiveKpiWorkers | None = None
    try:
        with PortalClient(portal.url, api_key=portal.key) as client:
            for procedure in procedures:
                client.put_procedure(procedure.code, catalog_entry(procedure))
        print(f"catalogue: {len(procedures)} procedures of {args.agencies} agencies")
        batches = batches_of(dossier_events(args.dossiers, procedures, weights, args.seed))
        if args.live:
            live = LiveKpiWorkers(settings, work)
            live.wait_ready()
        accepted, took = ingest(portal, batches, args.clients)
        ingest_ended = time.monotonic()
        del batches
    finally:
        portal.stop()
    rate = accepted / took
    print(f"ingest: {accepted:,} events of {args.dossiers:,} dossiers through the portal "
          f"connector in {took:.1f} s ({rate:,.0f} events/s, 202 after the ack"
          f"{', the live KPI workers running' if live else ''})")  # fmt: skip
    if live is not None:
        try:
            done = live.wait_done(timeout_s=args.live_timeout) - ingest_ended
            print(f"live KPI workers (3 processes): every record handled {done:.1f} s after "
                  f"the ingest's last answer ({live.progress().line()})")  # fmt: skip
        finally:
            live.stop()
    with RegistryClient(settings.schema_registry_url) as registry:
        started = time.perf_counter()
        kpis = replay_kpis(settings, registry)
        computed = time.perf_counter() - started
    print(f"KPIs of {YEAR} from the log: {kpis.events:,} events and {kpis.facts:,} facts folded "
          f"in {computed:.1f} s ({kpis.events / computed:,.0f} events/s), "
          f"{len(kpis.snapshots):,} snapshots; peak RSS {peak_rss_mib():,.0f} MiB")  # fmt: skip
    started = time.perf_counter()
    table = full_online_table(kpis, YEAR, KpiSettings().parsed_targets())
    out = io.StringIO()
    write_full_online_csv(table, out)
    report = time.perf_counter() - started
    print(f"report: the {YEAR} full-online table ({len(table.rows)} agencies, CSV "
          f"{len(out.getvalue()):,} bytes) in {report * 1000:.1f} ms")  # fmt: skip
    busiest = max(table.rows, key=lambda r: r.hstn_total)
    print(f"HSTN total {table.total.hstn_total:,}; busiest {busiest.agency_code} "
          f"{busiest.hstn_total:,}; province full-online ratio {table.total.ratio}%")  # fmt: skip
    if table.total.hstn_total != args.dossiers:
        raise SystemExit(f"FAILED: {table.total.hstn_total} received, {args.dossiers} sent")
    if live is not None:
        with RegistryClient(settings.schema_registry_url) as registry:
            differ = compare(read_kpis(settings, registry), kpis)
        if differ:
            raise SystemExit(f"FAILED: the live KPIs differ from the replay: {differ[:10]}")
        print("live KPIs = the replay's (every snapshot and procedure history)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=650_000)
    parser.add_argument("--agencies", type=int, default=30)
    parser.add_argument("--clients", type=int, default=2, help="concurrent portal clients")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--no-live", dest="live", action="store_false", help="no live KPI workers during the ingest"
    )
    parser.add_argument("--live-timeout", type=float, default=3600.0)
    parser.add_argument("--keep", action="store_true", help="keep the bench's topics")
    args = parser.parse_args()
    base = get_settings()
    settings = base.model_copy(update={"topic_prefix": f"bench.kpi.{uuid.uuid4().hex[:8]}."})
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, prefix {settings.topic_prefix}")
    try:
        run(args, settings)
    finally:
        if not args.keep:
            delete_topics(settings, ())


if __name__ == "__main__":
    main()
