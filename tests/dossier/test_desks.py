"""The receiving desk and the competent agency in the kernel: ``Placement`` and ``DeskDirectory``.

Hand-computed: a dossier filed at a district desk (Chợ Mới) for a provincial department (Sở Xây
dựng), forwarded, received, transferred to another department, its result sent back to the desk.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.dossier import DeskDirectory, DossierEvent, Placement, placement_of
from hub.events import new_event

T0 = datetime(2025, 3, 3, 1, tzinfo=UTC)


def ev(name: str, n: int, **payload: Any) -> DossierEvent:
    record = new_event("HS-D1", name, payload, source="PROVINCIAL_PORTAL",
                       occurred_at=T0 + timedelta(hours=n))  # fmt: skip
    return DossierEvent.from_record(record)


def submitted(desk: str | None) -> DossierEvent:
    return ev("DossierSubmitted", 0, procedure_code="1.009994", agency_code="SXD",
              receiving_desk=desk)  # fmt: skip


def test_a_dossier_filed_at_a_district_desk_travels_to_the_department_and_back() -> None:
    steps = [
        (submitted("MC-CHOMOI"), ("SXD", "MC-CHOMOI", "AT_DESK")),
        (ev("DossierForwarded", 1, desk_code="MC-CHOMOI", agency_code="SXD", method="POSTAL"),
         ("SXD", "MC-CHOMOI", "TO_AGENCY")),
        (ev("DossierReceivedByAgency", 2, agency_code="SXD"), ("SXD", "MC-CHOMOI", "AT_AGENCY")),
        (ev("AgencyTransferred", 3, from_agency_code="SXD", to_agency_code="STP",
            reason="Không thuộc thẩm quyền", method="POSTAL"), ("STP", "MC-CHOMOI", "TO_AGENCY")),
        (ev("DossierReceivedByAgency", 4, agency_code="STP"), ("STP", "MC-CHOMOI", "AT_AGENCY")),
        (ev("ProcessingStepRecorded", 5, kind="HANDLED"), ("STP", "MC-CHOMOI", "AT_AGENCY")),
        (ev("ResultForwarded", 6, agency_code="STP", desk_code="MC-CHOMOI", method="POSTAL"),
         ("STP", "MC-CHOMOI", "RESULT_TO_DESK")),
        (ev("ResultReceivedByDesk", 7, desk_code="MC-CHOMOI"),
         ("STP", "MC-CHOMOI", "RESULT_AT_DESK")),
    ]  # fmt: skip
    placement = Placement()
    for event, (agency, desk, where) in steps:
        placement = placement.after(event)
        assert (placement.competent_agency, placement.receiving_desk, placement.where) == (
            agency, desk, where), event.event_type  # fmt: skip
    assert placement.via_desk
    assert placement_of(e for e, _ in steps) == placement


def test_a_submission_without_a_desk_means_the_agencys_own_desk() -> None:
    # what every DossierSubmitted written before the field meant
    placement = placement_of([submitted(None)])
    assert placement == Placement("SXD", None, "AT_AGENCY")
    assert not placement.via_desk


DESKS = """
[desks.TTHCC]
name = "Trung tâm Phục vụ hành chính công tỉnh"
kind = "CENTRE"
line = "Số 1 Lê Triệu Kiết"
district = "Thành phố Long Xuyên"
province = "An Giang"
phone = "02963957999"

[desks.MC-CHOMOI]
name = "Bộ phận Một cửa huyện Chợ Mới"
kind = "DISTRICT"
line = "Quốc lộ 942"
district = " huyện chợ mới "
province = "An Giang"
phone = "02963883333"
"""


def test_the_desks_are_read_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "desks.toml"
    path.write_text(DESKS, encoding="utf-8")
    desks = DeskDirectory.load(path)
    centre, district = desks.get("TTHCC"), desks.get("MC-CHOMOI")
    assert centre is not None
    assert district is not None
    assert (centre.kind, district.kind) == ("CENTRE", "DISTRICT")
    assert district.contact.place == ("an giang", "huyện chợ mới")
    assert centre.contact.place != district.contact.place
    assert district.contact.party()["address"]["district"] == " huyện chợ mới "
    assert desks.name("MC-XYZ") == "MC-XYZ"
    assert desks.get(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[desks.A]\nname = "A"\nkind = "KIOSK"\nline = "x"\nprovince = "p"\nphone = "1"',
         "kind 'KIOSK'"),
        ('[desks.A]\nname = "A"\nkind = "CENTRE"\nline = "x"\nprovince = "p"', "missing ['phone']"),
        ('[agencies.A]\nname = "A"', "only a [desks.<code>] table"),
    ],
)  # fmt: skip
def test_a_bad_desk_directory_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "desks.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        DeskDirectory.load(path)


def test_the_example_directory_loads() -> None:
    example = Path(__file__).parents[2] / "infra" / "desks.example.toml"
    desks = DeskDirectory.load(example)
    assert sorted(desks.desks) == ["MC-CHOMOI", "TTHCC"]
