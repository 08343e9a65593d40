"""Ratings given on the national portal (LayDanhSachDanhGia), taken in by the intake over the
real Kafka and the simulator, and counted by the KPI folds like the province's own."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.national import NationalPortalSimulator
from connectors.national._listed import RATINGS
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.connectors.national.test_intake import (
    counted,
    dead_letters,
    events,
    filed,
    intake_factory,
)
from tests.kpi._support import Rig, procedure

__all__ = ["intake_factory"]  # the fixture, used by name

COMMENT = "Chị Hạnh ở bộ phận một cửa hướng dẫn rất tận tình"


def rating(rating_id: str, dossier: str, overall: int = 5, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "MaDanhGia": rating_id, "MaHoSo": dossier, "ThaiDo": 5, "ThoiGian": 4, "CongKhai": 4,
        "PhiLePhi": 3, "HaiLong": overall, "MaCanBo": "cb-qg-7", "NoiDung": COMMENT,
        "NgayDanhGia": "20260303090000",
    }  # fmt: skip
    item.update(overrides)
    return item


def test_a_national_rating_is_taken_in_once_and_counted(
    hub_topics: Settings,
    registry: RegistryClient,
    simulator: NationalPortalSimulator,
    intake_factory: Any,
) -> None:
    # refused on the national portal (handling ended), then rated there
    simulator.file_dossier(filed("QG-R1", "denied", NgayTiepNhan="20260302100000", LyDo="Sai"))
    simulator.file_rating(rating("DG-1", "QG-R1"))
    simulator.file_rating(rating("DG-2", "QG-R1", overall=6))  # off the scale
    simulator.file_rating(rating("DG-1", "QG-R1"))  # listed twice
    held = intake_factory()
    assert held.drain().imported == 1
    report = held.call(held.intake.drain(feed=RATINGS))
    assert (report.listed, report.imported, report.duplicates, report.dead_lettered) == (3, 1, 1, 1)
    assert counted(held.intake.metrics, "dvchub_national_intake_ratings", "imported") == 1

    rated = [e for e in events(hub_topics, registry) if e["event_type"] == "SATISFACTION_RATED"]
    assert len(rated) == 1
    (name, payload) = rated[0]["payload"]
    assert (rated[0]["dossier_id"], rated[0]["source"], name) == (
        "QG-R1", "NATIONAL_PORTAL", "vn.dvchub.event.SatisfactionRated",
    )  # fmt: skip
    assert payload == {"attitude": 5, "time": 4, "publicity": 4, "fees": 3, "overall": 5,
                       "channel": "NATIONAL_PORTAL", "official_id": "cb-qg-7",
                       "comment": COMMENT}  # fmt: skip
    assert rated[0]["occurred_at"] == datetime(2026, 3, 3, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    (letter,) = dead_letters(hub_topics, registry)
    assert "HaiLong" in letter["reason"]
    assert COMMENT not in letter["reason"]  # the comment is personal data
    assert letter["source_topic"] == "national:LayDanhSachDanhGia"

    # a restarted intake resumes after the ratings it listed: a new one only
    held.__exit__()
    simulator.file_rating(rating("DG-3", "QG-R1", overall=2, MaCanBo=None))
    restarted = intake_factory()
    again = restarted.call(restarted.intake.drain(feed=RATINGS))
    assert (again.listed, again.imported) == (1, 1)

    # the KPI folds count the latest (DG-3, same instant as DG-1: it replaces it) for SXD
    versions = [procedure("1.001612", "SXD", "Sở Xây dựng", "FULL_ONLINE")]
    kpis = Rig(registry, hub_topics.topic_prefix).compute(events(hub_topics, registry), versions)
    march = kpis.snapshots["SXD|2026-03"]["satisfaction"]
    assert march == {"rated": 1, "satisfied": 0, "attitude": 5, "time": 4, "publicity": 4,
                     "fees": 3, "overall": 2}  # fmt: skip
    assert kpis.snapshots["SXD|2026-03"]["satisfaction_by_official"] == []
