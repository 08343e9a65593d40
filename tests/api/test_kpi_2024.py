"""The 2024 indicators and the postal figures as the query API and ``dvchub report`` serve
them, on real Kafka.

The hand-computed province of ``tests/kpi/_province2024`` is folded in memory (as the workers
fold it) and its snapshots and procedure histories published to this test's ``kpi`` and
``kpi.procedures`` topics; the API and the CLI read them back. Every format must carry the
tables worked out by hand there, and the gauges the same figures.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.kpi import POSTAL_COLUMNS, TARGET_COLUMNS, KpiReplay, KpiSettings
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.api._kpi import DVCHUB, publish
from tests.kpi._province2024 import (
    EXPECTED_MARCH,
    EXPECTED_POSTAL_MARCH,
    NOT_ELIGIBLE,
    VERSIONS_2024,
    events_2024,
)
from tests.kpi._support import Rig
from tests.lifecycle._support import wait_until


@pytest.fixture
def published(settings: Settings, registry: RegistryClient) -> KpiReplay:
    kpis = Rig(registry, settings.topic_prefix).compute(events_2024(), VERSIONS_2024)
    publish(settings, registry, kpis)
    return kpis


@pytest.fixture
def api(settings: Settings, published: KpiReplay) -> Iterator[TestClient]:
    config = KpiSettings(not_eligible=",".join(sorted(NOT_ELIGIBLE)))
    app = create_api(settings, keys=development_keys(), kpi=config)
    with TestClient(app, headers=bearer_headers(DEV_KEYS.public)) as client:
        wait_until(lambda: client.get("/healthz").json()["kpis_ready"], timeout_s=30)
        wait_until(lambda: len(client.get("/v1/reports/postal", params={"period": "2025-03"})
                               .json()["rows"]) == len(EXPECTED_POSTAL_MARCH) - 1,
                   timeout_s=30)  # fmt: skip
        yield client


def _xlsx(content: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [["" if c.value is None else str(c.value) for c in row]
            for row in sheet.iter_rows(min_row=3)]  # fmt: skip


def test_the_2024_indicators_in_every_format(api: TestClient) -> None:
    params = {"period": "2025-03"}
    body = api.get("/v1/reports/targets", params=params).json()
    stp = next(r for r in body["rows"] if r["agency_code"] == "STP")
    assert stp["full_online_procedures"] == {
        "numerator": 3, "denominator": 4, "percent": "75.00%", "target_percent": "80%",
        "verdict": "NOT_ACHIEVED", "verdict_label": "Chưa đạt",
    }  # fmt: skip
    assert body["total"]["online_payment"]["percent"] == "44.83%"
    assert body["total"]["agency_code"] == ""
    answer = api.get("/v1/reports/targets", params=params | {"format": "csv"})
    assert "targets-2025-03.csv" in answer.headers["content-disposition"]
    assert list(csv.reader(io.StringIO(answer.text))) == [list(TARGET_COLUMNS), *EXPECTED_MARCH]
    xlsx = api.get("/v1/reports/targets", params=params | {"format": "xlsx"})
    assert _xlsx(xlsx.content) == EXPECTED_MARCH


def test_the_postal_figures_in_every_format(api: TestClient) -> None:
    params = {"period": "2025-03"}
    body = api.get("/v1/reports/postal", params=params).json()
    lx = next(r for r in body["rows"] if r["agency_code"] == "UBND-LX")
    assert (lx["picked_up"], lx["returned"], lx["cod_vnd"]) == (2, 2, 80_000)
    assert lx["returns_on_time"] == {"numerator": 1, "denominator": 2, "percent": "50.00%"}
    answer = api.get("/v1/reports/postal", params=params | {"format": "csv"})
    assert list(csv.reader(io.StringIO(answer.text))) == [
        list(POSTAL_COLUMNS), *EXPECTED_POSTAL_MARCH,
    ]  # fmt: skip
    xlsx = api.get("/v1/reports/postal", params=params | {"format": "xlsx"})
    assert _xlsx(xlsx.content) == EXPECTED_POSTAL_MARCH
    week = api.get("/v1/reports/postal", params={"period": "2025-W11"}).json()
    assert week["total"]["returns_on_time"]["percent"] == "0.00%"  # P2, a working day late


def test_766_by_week(api: TestClient) -> None:
    body = api.get("/v1/reports/766", params={"week": "2025-W11"}).json()
    assert body["period"] == "2025-W11"
    assert [(r["agency_code"], r["received"]) for r in body["rows"]] == [("UBND-LX", 1)]
    for params, says in (({}, "either month or week"),
                         ({"month": "2025-03", "week": "2025-W11"}, "either month or week"),
                         ({"week": "2025-03"}, "expected a week"),
                         ({"week": "2025-W53"}, "no ISO week 53")):  # fmt: skip
        answer = api.get("/v1/reports/766", params=params)
        assert answer.status_code == 422, params
        assert says in answer.text


def test_bad_periods_of_the_new_reports(api: TestClient) -> None:
    for path in ("/v1/reports/targets", "/v1/reports/postal"):
        answer = api.get(path, params={"period": "March"})
        assert answer.status_code == 422
        assert "2025-W05" in answer.text
        assert api.get(path).status_code == 422  # period is required


def test_the_gauges(api: TestClient) -> None:
    lines = api.get("/metrics").text.splitlines()
    # (the exposition sorts the labels by name)
    assert ('dvchub_kpi_indicator_ratio{agency="UBND-CD",indicator="online_payment",'
            'period="2025-03"} 0.45') in lines  # fmt: skip
    assert ('dvchub_kpi_indicator_ratio{agency="SNV",indicator="dossier_digitisation",'
            'period="2025-03"} 0.8') in lines  # fmt: skip
    postal = {line for line in lines if line.startswith("dvchub_kpi_postal_")}
    assert ('dvchub_kpi_postal_dossiers{agency="UBND-LX",leg="return",period="2025-03",'
            'timeliness="late"} 1.0') in postal  # fmt: skip
    assert 'dvchub_kpi_postal_cod_vnd{agency="UBND-LX",period="2025-03"} 80000.0' in postal
    # month snapshots only: no week or year series
    assert not [line for line in postal if "W1" in line or 'period="2025"' in line]


def test_report_commands(settings: Settings, published: KpiReplay, tmp_path: Path) -> None:
    env = {**os.environ, "DVC_TOPIC_PREFIX": settings.topic_prefix, "COLUMNS": "250",
           "DVC_KPI_NOT_ELIGIBLE": ",".join(sorted(NOT_ELIGIBLE))}  # fmt: skip
    target = tmp_path / "targets.csv"
    subprocess.run(
        [str(DVCHUB), "report", "targets", "--period", "2025-03", "--format", "csv",
         "--output", str(target)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    with target.open(encoding="utf-8") as f:
        assert list(csv.reader(f)) == [list(TARGET_COLUMNS), *EXPECTED_MARCH]
    shown = subprocess.run(
        [str(DVCHUB), "report", "postal", "--period", "2025-W11"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "UBND-LX" in shown.stdout
    assert "0.00% (0/1)" in shown.stdout  # P2's return, a working day late
    assert "30000" in shown.stdout
    bad = subprocess.run(
        [str(DVCHUB), "report", "postal", "--period", "2025-W60"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
