"""Intake of dossiers filed on the national portal, over the real Kafka and the simulator, each
intake started as its service is (its lifespan on the inbound shell)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.common import ServerThread
from connectors.national import (
    IntakeReport,
    NationalConfig,
    NationalIntake,
    NationalPortalError,
    NationalPortalSimulator,
    create_intake_app,
    intake_event_id,
    intake_state_topic,
)
from connectors.national._metrics import IntakeMetrics
from hub.kafka import read_to_end
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS
from tests.connectors.national._held import HeldIntake


def filed(code: str, state: str = "receiving", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "MaHoSo": code,
        "MaTTHC": "1.001612",
        "TenTTHC": "Cấp giấy phép xây dựng",
        "DonViXuLy": "SXD",
        "TrangThai": state,
        "NgayNop": "20260302081530",
        "ChuHoSo": {
            "HoTen": "Nguyễn Văn An",
            "LoaiDoiTuong": 1,
            "SoGiayTo": "001203004567",
            "SoDienThoai": "0912345678",
            "DiaChi": {
                "DiaChiChiTiet": "12 Lê Lợi",
                "PhuongXa": "Mỹ Bình",
                "TinhThanh": "An Giang",
            },
        },
    }
    item.update(overrides)
    return item


@pytest.fixture
def intake_factory(
    hub_topics: Settings, registry: RegistryClient, simulator: NationalPortalSimulator
) -> Iterator[Any]:
    """Intakes whose rounds the test calls (no poll loop), started; stopped after the test."""
    made: list[HeldIntake] = []

    def make(page_size: int = 100) -> HeldIntake:
        config = NationalConfig(url=simulator.url, timeout_s=2.0, page_size=page_size)
        held = HeldIntake(NationalIntake(hub_topics, registry, config, poll=False)).__enter__()
        made.append(held)
        return held

    yield make
    for held in made:
        held.__exit__()


def counted(metrics: IntakeMetrics, name: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(f"{name}_total", {"outcome": outcome})
    return value or 0.0


def events(settings: Settings, registry: RegistryClient) -> list[dict[str, Any]]:
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    return [serde.decode(r.value) for r in read_to_end(settings, topic)]


def dead_letters(settings: Settings, registry: RegistryClient) -> list[dict[str, Any]]:
    serde = serde_for(DEADLETTER, settings.topic_prefix, registry)
    topic = DEADLETTER.name(settings.topic_prefix)
    return [serde.decode(r.value) for r in read_to_end(settings, topic)]


def test_listed_dossiers_become_dossier_events(
    hub_topics: Settings,
    registry: RegistryClient,
    simulator: NationalPortalSimulator,
    intake_factory: Any,
) -> None:
    simulator.file_dossier(filed("QG-0001"))
    simulator.file_dossier(
        filed("QG-0002", "new", NgayTiepNhan="20260302090000", NgayHenTra="20260316170000",
              HinhThuc=1)
    )  # fmt: skip
    simulator.file_dossier(filed("QG-0003", "denied", NgayTiepNhan="20260302100000", LyDo="Sai"))
    held = intake_factory()
    report = held.drain()
    assert (report.listed, report.imported, report.events, report.dead_lettered) == (3, 3, 5, 0)
    assert counted(held.intake.metrics, "dvchub_national_intake", "imported") == 3

    produced = events(hub_topics, registry)
    by_code: dict[str, list[dict[str, Any]]] = {}
    for event in produced:
        by_code.setdefault(event["dossier_id"], []).append(event)
    assert {k: [e["event_type"] for e in v] for k, v in by_code.items()} == {
        "QG-0001": ["DOSSIER_SUBMITTED"],
        "QG-0002": ["DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED"],
        "QG-0003": ["DOSSIER_SUBMITTED", "DOSSIER_REFUSED"],
    }
    submitted = by_code["QG-0001"][0]
    assert submitted["source"] == "NATIONAL_PORTAL"
    assert submitted["occurred_at"] == datetime(2026, 3, 2, 1, 15, 30, tzinfo=UTC)
    assert str(submitted["event_id"]) == intake_event_id("QG-0001", 1, "DossierSubmitted")
    name, payload = submitted["payload"]
    assert name == "vn.dvchub.event.DossierSubmitted"
    assert payload["from_national_portal"] is True
    assert payload["national_dossier_code"] == "QG-0001"
    assert (payload["channel"], payload["procedure_code"], payload["agency_code"]) == (
        "ONLINE", "1.001612", "SXD"
    )  # fmt: skip
    assert payload["applicant"]["full_name"] == "Nguyễn Văn An"
    assert payload["applicant"]["kind"] == "CITIZEN"
    assert payload["applicant"]["address"]["province"] == "An Giang"
    assert by_code["QG-0002"][0]["payload"][1]["postal_return"] is True
    accepted = by_code["QG-0002"][1]
    assert accepted["payload"][1]["appointment_at"] == datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
    assert accepted["occurred_at"] == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert by_code["QG-0003"][1]["payload"][1]["reason"] == "Sai"


def test_re_poll_and_restart_import_nothing_twice(
    hub_topics: Settings,
    registry: RegistryClient,
    simulator: NationalPortalSimulator,
    intake_factory: Any,
) -> None:
    for i in range(5):
        simulator.file_dossier(filed(f"QG-{i:04d}"))
    first = intake_factory(page_size=2)
    report = first.drain()
    assert (report.imported, report.cursor, report.more) == (5, "5", False)
    assert first.drain().listed == 0  # the cursor moved past them

    # the portal lists one again (updated) with a new one; a restarted intake resumes
    simulator.file_dossier(filed("QG-0002", "new"))
    simulator.file_dossier(filed("QG-0100"))
    first.__exit__()
    restarted = intake_factory()
    assert restarted.cursor == "5"
    assert restarted.imported("QG-0004")
    again = restarted.drain()
    assert (again.listed, again.imported, again.duplicates) == (2, 1, 1)

    ids = [str(e["event_id"]) for e in events(hub_topics, registry)]
    assert len(ids) == len(set(ids)) == 6
    state = list(read_to_end(hub_topics, intake_state_topic(hub_topics)))
    cursors = [json.loads(r.value) for r in state if r.key == b"cursor"]
    assert cursors[-1] == {"cursor": "7"}
    markers = {r.key for r in state if r.key != b"cursor"}
    assert markers == {f"dossier:QG-{i:04d}".encode() for i in (0, 1, 2, 3, 4, 100)}


def test_two_rounds_listing_one_dossier_at_once_import_it_once(
    hub_topics: Settings,
    registry: RegistryClient,
    simulator: NationalPortalSimulator,
    intake_factory: Any,
) -> None:
    simulator.file_dossier(filed("QG-0001", "new"))
    held = intake_factory()
    rounds = [held.intake.poll_once(), held.intake.poll_once()]

    async def both() -> list[IntakeReport]:
        return list(await asyncio.gather(*rounds))

    reports = held.call(both())
    assert sorted((r.imported, r.duplicates) for r in reports) == [(0, 1), (1, 0)]
    assert len(events(hub_topics, registry)) == 2  # submitted and accepted, once


def test_unimportable_items_are_dead_lettered_and_the_rest_imported(
    hub_topics: Settings,
    registry: RegistryClient,
    simulator: NationalPortalSimulator,
    intake_factory: Any,
) -> None:
    unknown = filed("QG-0001", "archived")
    simulator.file_dossier(unknown)
    simulator.file_dossier(filed("QG-0002", "processing"))
    simulator.file_dossier({"MaHoSo": "QG-0003", "TrangThai": "receiving"})  # fields missing
    simulator.file_dossier("not an object")
    simulator.file_dossier(filed("QG-0005", NgayNop="20261399000000"))
    simulator.file_dossier(filed("QG-0006"))
    report = intake_factory().drain()
    assert (report.imported, report.dead_lettered) == (1, 5)
    assert [e["dossier_id"] for e in events(hub_topics, registry)] == ["QG-0006"]

    letters = sorted(dead_letters(hub_topics, registry), key=lambda x: x["original_key"] or b"~")
    assert [letter["original_key"] for letter in letters] == [
        b"QG-0001", b"QG-0002", b"QG-0003", b"QG-0005", None
    ]  # fmt: skip
    assert {letter["reason_code"] for letter in letters} == {"VALIDATION_FAILED"}
    assert {letter["processor"] for letter in letters} == {"national-intake"}
    assert json.loads(letters[0]["original_value"]) == unknown
    assert "unknown national portal state 'archived'" in letters[0]["reason"]
    assert "beyond intake" in letters[1]["reason"]
    assert "MaTTHC" in letters[2]["reason"]
    assert "0912345678" not in "".join(letter["reason"] for letter in letters)
    assert letters[0]["headers"] == [{"key": "cursor", "value": None}]  # asked from the start


def test_a_portal_failure_records_nothing_and_the_loop_goes_on(
    hub_topics: Settings,
    registry: RegistryClient,
    simulator: NationalPortalSimulator,
    intake_factory: Any,
) -> None:
    simulator.file_dossier(filed("QG-0001"))
    held = intake_factory()
    simulator.faults.arm("malformed")
    with pytest.raises(NationalPortalError, match="MALFORMED_REPLY"):
        held.poll_once()
    assert held.cursor is None
    assert counted(held.intake.metrics, "dvchub_national_intake_polls", "failed") == 1
    held.__exit__()

    # the shell's poll loop: a 5xx and an expired session are rounds asked again, not the end
    simulator.faults.arm("error_5xx", 1)
    simulator.expire_sessions()
    config = NationalConfig(url=simulator.url, timeout_s=2.0, poll_interval_s=0.1)
    with HeldIntake(NationalIntake(hub_topics, registry, config)) as looping:
        metrics = looping.intake.metrics
        deadline = time.monotonic() + 30
        # a round is counted once it ended, a moment after its dossier was imported
        while counted(metrics, "dvchub_national_intake_polls", "ok") < 1:
            assert time.monotonic() < deadline, "the poll loop did not end a round"
            time.sleep(0.1)
        assert looping.imported("QG-0001")
        assert counted(metrics, "dvchub_national_intake_polls", "failed") >= 1
    assert [e["dossier_id"] for e in events(hub_topics, registry)] == ["QG-0001"]


def test_the_service_polls_and_serves_ready_and_metrics_until_stopped(
    hub_topics: Settings, registry: RegistryClient, simulator: NationalPortalSimulator
) -> None:
    simulator.file_dossier(filed("QG-0001", "new"))
    config = NationalConfig(url=simulator.url, timeout_s=2.0, poll_interval_s=0.1)
    server = ServerThread(create_intake_app(hub_topics, config, registry=registry),
                          name="national-intake")  # fmt: skip
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            deadline = time.monotonic() + 30
            while len(events(hub_topics, registry)) < 2:
                assert time.monotonic() < deadline, "the service's loop imported nothing"
                time.sleep(0.2)
            ready = client.get("/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["views"] == {"national.intake": {"loaded": True, "records": 1}}
            assert ready.json()["cursor"] == "1"
            metrics = client.get("/metrics").text
            assert 'dvchub_national_intake_total{outcome="imported"} 1.0' in metrics
    finally:
        server.stop()
    assert [e["event_type"] for e in events(hub_topics, registry)] == [
        "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED"
    ]  # fmt: skip
