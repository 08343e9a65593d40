"""The demo's acceptance-anywhere part on the real stack: its dossier through the portal
connector to Kafka and back."""

from __future__ import annotations

import re

import pytest

from dvchub.demo._desks import show_desks
from hub.serde import RegistryClient
from hub.settings import Settings


def test_the_demo_shows_a_desk_dossier_end_to_end(
    settings: Settings, registry: RegistryClient, capsys: pytest.CaptureFixture[str]
) -> None:
    show_desks(settings, registry, "t1")
    out = capsys.readouterr().out
    assert "9 events of HS-DESK-t1 accepted by the portal, 9 read back from" in out
    assert (
        "a forward from TTHCC of a dossier filed at MC-CHOMOI -> 422: events[1].payload.desk_code"
    ) in out
    # the national portal's two units, VNPost both ways between Chợ Mới and Long Xuyên
    assert "DonViXuLy SXD, DonViTiepNhan MC-CHOMOI" in out
    assert "DESK_TO_AGENCY: Bộ phận Một cửa huyện Chợ Mới -> Sở Xây dựng tỉnh An Giang" in out
    assert "AGENCY_TO_DESK: Sở Xây dựng tỉnh An Giang -> Bộ phận Một cửa huyện Chợ Mới" in out
    # received Thu 6 16:00, due Wed 5 16:00 (2 working days by post after Mon 3 16:00)
    late = (
        r"TO_AGENCY \(POSTAL\), agency SXD \(Sở Xây dựng[^)]*\), desk MC-CHOMOI: 1\.0 working day"
    )
    assert re.search(late, out), out[-2000:]
