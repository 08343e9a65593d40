"""Deadlines as integrators and the province read them: the query API and ``dvchub report late``.

Real Kafka and registry: the lifecycle and SLA folds (in memory, as a worker computes them)
publish their states to this test's ``dossier.state`` and ``sla.deadlines`` topics; the query
API and the CLI read them back from there, judged on a clock the test sets.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.kafka import ensure_topics, make_producer
from hub.lifecycle import LifecycleProcessor
from hub.processing import FileClock, InMemoryRunner
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import CSV_COLUMNS
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE, SLA_DEADLINES
from tests.lifecycle._support import wait_until
from tests.sla._support import CATALOG, Rig, accepted, event, vn

DVCHUB = Path(sys.executable).with_name("dvchub")
MARCH_NOON = vn(2025, 3, 12, 12)


class Published:
    """Both folds over the same events, their states produced to the test's topics."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self.settings = settings
        self.sla = Rig(registry, settings.topic_prefix)
        prefix = settings.topic_prefix
        lifecycle = LifecycleProcessor(
            serde_for(DOSSIER_EVENTS, prefix, registry), serde_for(DOSSIER_STATE, prefix, registry),
            CATALOG.get,
        )  # fmt: skip
        self.lifecycle = InMemoryRunner(lifecycle)

    def feed(self, *events: dict[str, Any]) -> None:
        messages = [self.sla.message(e) for e in events]
        published = {
            DOSSIER_STATE: self.lifecycle.run(messages).published,
            SLA_DEADLINES: self.sla.runner.run(messages).published,
        }
        producer = make_producer(self.settings)
        for topic, records in published.items():
            for key, value in records:
                producer.send(topic.name(self.settings.topic_prefix), key=key, value=value)
        producer.flush()
        producer.close()


@pytest.fixture
def published(settings: Settings, registry: RegistryClient) -> Published:
    ensure_topics(settings)
    world = Published(settings, registry)
    late = accepted("HS-LATE", vn(2025, 3, 3, 9))  # appointment Thu 6 Mar 09:00
    apologised = [
        *accepted("HS-SORRY", vn(2025, 3, 3, 9)),
        event("HS-SORRY", "APOLOGY_ISSUED", vn(2025, 3, 4, 9),
              new_appointment_at=vn(2025, 3, 10, 9)),
        # late since Thu 6 Mar 09:00, explained on Tue 11 Mar (due that day at 09:00)
        event("HS-SORRY", "EXPLANATION_RECORDED", vn(2025, 3, 11, 8)),
    ]  # fmt: skip
    on_time = accepted("HS-OK", vn(2025, 3, 10, 9))  # appointment Thu 13 Mar 09:00
    world.feed(*late, *apologised, *on_time)
    return world


@pytest.fixture
def clock(tmp_path: Path) -> FileClock:
    clock = FileClock(tmp_path / "clock")
    clock.set(MARCH_NOON)
    return clock


def healthz_counts(client: TestClient) -> tuple[int, int]:
    health = client.get("/healthz").json()
    return int(health["dossiers"]), int(health["deadlines"])


@pytest.fixture
def api(published: Published, clock: FileClock) -> Iterator[TestClient]:
    app = create_api(published.settings, clock=clock, keys=development_keys())
    with TestClient(app, headers=bearer_headers(DEV_KEYS.ops)) as client:
        # both views: the dossiers' states and their deadlines come from two topics
        wait_until(lambda: healthz_counts(client) == (3, 3), timeout_s=30)
        yield client


def test_a_dossier_carries_its_deadline_judged_now(api: TestClient, clock: FileClock) -> None:
    late = api.get("/v1/dossiers/HS-LATE").json()
    assert late["status"] == "ACCEPTED"
    deadline = late["deadline"]
    assert datetime.fromisoformat(deadline["appointment_at"]) == vn(2025, 3, 6, 9)
    assert deadline["clock"] == "RUNNING"
    assert deadline["late"] is True
    # Thu 6 Mar 09:00 -> Wed 12 Mar 12:00 (lunch): Thu 6 h; Fri, Mon, Tue 8 h; Wed 4.5 h.
    assert deadline["working_minutes_left"] == -(6 + 8 * 3 + 4.5) * 60
    on_time = api.get("/v1/dossiers/HS-OK").json()["deadline"]
    assert on_time["late"] is False
    # 3 working days from Mon 10 Mar 09:00, 18.5 h of them gone by Wed 12:00.
    assert on_time["working_minutes_left"] == (3 * 8 - 18.5) * 60
    clock.set(vn(2025, 3, 14, 9))  # the same record, judged two days later
    assert api.get("/v1/dossiers/HS-OK").json()["deadline"]["late"] is True


def test_late_list_as_json_csv_and_xlsx(api: TestClient) -> None:
    body = api.get("/v1/reports/late", params={"month": "2025-03"}).json()
    rows = {d["dossier_id"]: d for d in body["dossiers"]}
    assert set(rows) == {"HS-LATE", "HS-SORRY"}
    assert rows["HS-LATE"]["apology"] == "Chưa xin lỗi"
    assert rows["HS-SORRY"]["apology"] == "Đã xin lỗi"
    assert rows["HS-LATE"]["explanation"] == "Chưa giải trình"
    assert rows["HS-SORRY"]["explanation"] == "Đã giải trình"
    assert datetime.fromisoformat(rows["HS-SORRY"]["explanation_due_at"]) == vn(2025, 3, 11, 9)
    assert datetime.fromisoformat(rows["HS-SORRY"]["reappointed_at"]) == vn(2025, 3, 10, 9)
    assert all(d["kind"] == "OVERDUE" for d in rows.values())
    agencies = [c for c in body["counts"] if c["level"] == "agency"]
    assert [(c["agency_code"], c["overdue"], c["without_apology"]) for c in agencies] == [
        ("STP", 2, 1)
    ]
    csv_answer = api.get("/v1/reports/late", params={"month": "2025-03", "format": "csv"})
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert "late-2025-03.csv" in csv_answer.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert tuple(table[0]) == CSV_COLUMNS
    assert sorted(r["dossier_id"] for r in table) == ["HS-LATE", "HS-SORRY"]
    xlsx = api.get("/v1/reports/late", params={"month": "2025-03", "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value]
    assert "HS-LATE" in cells
    assert "HS-SORRY" in cells
    april = api.get("/v1/reports/late", params={"month": "2025-04"}).json()
    assert april["dossiers"] == []  # judged as at now (12 March): April has not happened
    refused = api.get("/v1/reports/late", params={"month": "March"})
    assert refused.status_code == 422
    assert "YYYY-MM" in refused.text


def test_late_dossiers_missing_an_explanation(api: TestClient, clock: FileClock) -> None:
    body = api.get("/v1/reports/late/explanations").json()
    assert [d["dossier_id"] for d in body["dossiers"]] == ["HS-LATE"]
    assert body["period"]["label"] == "until 2025-03-12"
    agencies = [c for c in body["counts"] if c["level"] == "agency"]
    assert [(c["agency_code"], c["total"], c["without_explanation"]) for c in agencies] == [
        ("STP", 1, 1)
    ]
    csv_answer = api.get("/v1/reports/late/explanations", params={"format": "csv"})
    assert "missing-explanations-2025-03-12.csv" in csv_answer.headers["content-disposition"]
    assert [r["dossier_id"] for r in csv.DictReader(io.StringIO(csv_answer.text))] == ["HS-LATE"]
    clock.set(vn(2025, 3, 14, 9))  # HS-OK is late too by then (Thu 13 Mar 09:00)
    later = api.get("/v1/reports/late/explanations").json()
    assert [d["dossier_id"] for d in later["dossiers"]] == ["HS-LATE", "HS-OK"]


def test_overdue_gauge_per_agency(api: TestClient) -> None:
    lines = [
        line for line in api.get("/metrics").text.splitlines()
        if line.startswith("dvchub_sla_overdue_dossiers{")
    ]  # fmt: skip
    assert lines == ['dvchub_sla_overdue_dossiers{agency="STP"} 2.0']


def test_report_late_command(published: Published, clock: FileClock, tmp_path: Path) -> None:
    env = {**os.environ, "DVC_TOPIC_PREFIX": published.settings.topic_prefix,
           "DVC_CLOCK": clock.spec, "COLUMNS": "200"}  # fmt: skip
    shown = subprocess.run(
        [str(DVCHUB), "report", "late", "--month", "2025-03"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "HS-LATE" in shown.stdout
    assert "HS-SORRY" in shown.stdout
    assert "HS-OK" not in shown.stdout
    target = tmp_path / "late.csv"
    subprocess.run(
        [str(DVCHUB), "report", "late", "--month", "2025-03", "--format", "csv",
         "--output", str(target)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    with target.open(encoding="utf-8") as f:
        assert sorted(r["dossier_id"] for r in csv.DictReader(f)) == ["HS-LATE", "HS-SORRY"]
    owing = subprocess.run(
        [str(DVCHUB), "report", "explanations"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "HS-LATE" in owing.stdout
    assert "HS-SORRY" not in owing.stdout  # explained
    bad = subprocess.run(
        [str(DVCHUB), "report", "late", "--month", "2025-13"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "01 to 12" in bad.stderr + bad.stdout
