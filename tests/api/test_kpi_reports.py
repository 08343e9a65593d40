"""The KPI reports as integrators and the province fetch them: the query API and ``dvchub report``.

Real Kafka and registry: sample dossiers folded by the KPI folds (in memory, as the workers
fold them) are published to this test's ``kpi`` and ``kpi.procedures`` topics; the API and the
CLI read them back from there. The figures themselves are checked by tests/kpi; here, that
every route and format carries the same table, and that bad periods get a precise 422.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.kpi import (
    CSV_COLUMNS,
    KpiDossierProcessor,
    KpiProcessor,
    KpiReplay,
    KpiSettings,
    ProcedureHistoryProcessor,
    compute,
    full_online_csv_row,
    full_online_table,
)
from hub.processing import Message
from hub.sample import PROCEDURES, catalog_entry, sample_events
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import SlaSettings
from hub.topics import (
    CATALOG_PROCEDURES,
    DOSSIER_EVENTS,
    KPI,
    KPI_DOSSIERS,
    KPI_FACTS,
    KPI_PROCEDURES,
)
from tests.api._kpi import DVCHUB, publish
from tests.lifecycle._support import wait_until

TARGETS = KpiSettings().parsed_targets()


def _computed(settings: Settings, registry: RegistryClient) -> KpiReplay:
    prefix = settings.topic_prefix
    catalog = {}
    for procedure in PROCEDURES:
        entry = catalog_entry(procedure) | {
            "procedure_code": procedure.code,
            "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
        }
        catalog[procedure.code] = entry
    events, entries = (
        serde_for(DOSSIER_EVENTS, prefix, registry),
        serde_for(CATALOG_PROCEDURES, prefix, registry),
    )
    facts = serde_for(KPI_FACTS, prefix, registry)
    offsets = itertools.count()
    return compute(
        [Message(events.encode(e), str(e["dossier_id"]).encode(), "e", 0, next(offsets))
         for e in sample_events(60, seed=3)],
        [Message(entries.encode(c), code.encode(), "c", 0, n)
         for n, (code, c) in enumerate(catalog.items())],
        KpiDossierProcessor(events, serde_for(KPI_DOSSIERS, prefix, registry), facts, catalog.get,
                            SlaSettings().policy()),
        KpiProcessor(facts, serde_for(KPI, prefix, registry), TARGETS),
        ProcedureHistoryProcessor(entries, serde_for(KPI_PROCEDURES, prefix, registry)),
    )  # fmt: skip


@pytest.fixture
def published(settings: Settings, registry: RegistryClient) -> KpiReplay:
    kpis = _computed(settings, registry)
    publish(settings, registry, kpis)
    return kpis


@pytest.fixture
def api(settings: Settings, published: KpiReplay) -> Iterator[TestClient]:
    app = create_api(settings, keys=development_keys())
    with TestClient(app, headers=bearer_headers(DEV_KEYS.public)) as client:
        wait_until(lambda: client.get("/healthz").json()["kpis_ready"], timeout_s=30)
        wait_until(lambda: client.get("/v1/reports/full-online", params={"year": 2025}).json()
                   ["total"]["hstn_total"] > 0, timeout_s=30)  # fmt: skip
        yield client


def test_full_online_table_in_every_format(api: TestClient, published: KpiReplay) -> None:
    table = full_online_table(published, 2025, TARGETS)
    expected = [full_online_csv_row(r) for r in (*table.rows, table.total)]
    body = api.get("/v1/reports/full-online", params={"year": "2025"}).json()
    assert [r["agency_code"] for r in body["rows"]] == [r.agency_code for r in table.rows]
    assert body["total"]["hstn_total"] == table.total.hstn_total
    for got, want in zip(body["rows"], expected, strict=False):
        assert got["ratio"] == (None if want["ratio"] == "-" else want["ratio"])
        assert got["verdict_label"] == want["verdict"]
    answer = api.get("/v1/reports/full-online", params={"year": "2025", "format": "csv"})
    assert "full-online-2025.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows == expected
    xlsx = api.get("/v1/reports/full-online", params={"year": "2025", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    values = [["" if c.value is None else str(c.value) for c in row]
              for row in sheet.iter_rows(min_row=3)]  # fmt: skip
    assert values == [[str(int(v)) if v.isdigit() else v for v in row.values()] for row in expected]


def test_766_and_online_submissions(api: TestClient) -> None:
    march = api.get("/v1/reports/766", params={"month": "2025-03"}).json()
    assert march["period"] == "2025-03"
    assert march["rows"]
    row = march["rows"][0]
    assert set(row) >= {"agency_code", "received", "on_time", "online_filing", "online_payment"}
    assert row["on_time"]["denominator"] >= row["on_time"]["numerator"]
    csv_text = api.get("/v1/reports/766", params={"month": "2025-03", "format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("agency_code,received,on_time")
    quarter = api.get("/v1/reports/online-submissions", params={"quarter": "2025-Q1"}).json()
    assert quarter["target_percent"] == 20
    for r in quarter["rows"]:
        share = 0 if r["denominator"] == 0 else r["numerator"] * 100 / r["denominator"]
        assert r["reaches_target"] is (r["denominator"] > 0 and share >= 20)


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/v1/reports/full-online", {"year": "2025-03"}, "expected a year"),
        ("/v1/reports/766", {"month": "March"}, "2025-Q1 or 2025-03"),
        ("/v1/reports/766", {"month": "2025-13"}, "01 to 12"),
        ("/v1/reports/online-submissions", {"quarter": "2025"}, "expected a quarter"),
    ],
)
def test_bad_periods_are_refused(
    api: TestClient, path: str, params: dict[str, str], says: str
) -> None:
    answer = api.get(path, params=params)
    assert answer.status_code == 422
    assert says in answer.text


def test_kpi_gauges(api: TestClient, published: KpiReplay) -> None:
    lines = [line for line in api.get("/metrics").text.splitlines()
             if line.startswith("dvchub_kpi_full_online_ratio{")]  # fmt: skip
    years = {k: s for k, s in published.snapshots.items() if s["period"] == "2025"}
    assert len(lines) == sum(1 for s in years.values() if s["full_online_ratio"] is not None)
    for snapshot in years.values():
        if snapshot["full_online_ratio"] is not None:
            sample = (f'dvchub_kpi_full_online_ratio{{agency="{snapshot["agency_code"]}",'
                      f'period="2025"}} {snapshot["full_online_ratio"]}')  # fmt: skip
            assert sample in lines


def test_report_commands(settings: Settings, published: KpiReplay, tmp_path: Path) -> None:
    env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix, "COLUMNS": "250"}
    target = tmp_path / "table.csv"
    subprocess.run(
        [str(DVCHUB), "report", "full-online", "--year", "2025", "--format", "csv",
         "--output", str(target)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    table = full_online_table(published, 2025, TARGETS)
    with target.open(encoding="utf-8") as f:
        assert list(csv.DictReader(f)) == [
            full_online_csv_row(r) for r in (*table.rows, table.total)
        ]
    shown = subprocess.run(
        [str(DVCHUB), "report", "766", "--month", "2025-03"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert table.rows[0].agency_code in shown.stdout
    bad = subprocess.run(
        [str(DVCHUB), "report", "766", "--month", "2025-3"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
