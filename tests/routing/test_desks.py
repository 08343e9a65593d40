"""Routing of acceptance anywhere in the province, on hand-computed cases (real Avro serdes).

The province (``DESKS``, ``AGENCIES``): the provincial centre TTHCC and the Sở Xây dựng (SXD),
Sở Tư pháp (STP) in Long Xuyên; the district desk MC-CHOMOI and the district People's Committee
UBND-CM in Chợ Mới. A paper dossier goes by VNPost only between different places.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.dossier import Desk, DeskDirectory
from hub.processing import RunResult
from hub.records import RoutingState
from hub.routing import AgencyContact, AgencyDirectory, Rules
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.routing._support import STP, Rig, Story, catalog, kinds, payloads, result_docs

LX, CM = "Thành phố Long Xuyên", "Huyện Chợ Mới"
SXD = AgencyContact(name="Sở Xây dựng", line="8 Lê Lợi", province="An Giang",
                    phone="02963000002", district=LX)  # fmt: skip
UBND_CM = AgencyContact(name="UBND huyện Chợ Mới", line="QL 942", province="An Giang",
                        phone="02963000003", district=CM)  # fmt: skip
AGENCIES = AgencyDirectory({"STP": AgencyContact(**{**STP.__dict__, "district": LX}),
                            "SXD": SXD, "UBND-CM": UBND_CM})  # fmt: skip
DESKS = DeskDirectory({
    "TTHCC": Desk("TTHCC", "CENTRE", AgencyContact("Trung tâm Phục vụ hành chính công tỉnh",
                  "1 Lê Triệu Kiết", "An Giang", "02963957999", district=LX)),
    "MC-CHOMOI": Desk("MC-CHOMOI", "DISTRICT", AgencyContact("Bộ phận Một cửa huyện Chợ Mới",
                      "QL 942", "An Giang", "02963883333", district=CM)),
})  # fmt: skip


@pytest.fixture
def desk_rig(settings: Settings, registry: RegistryClient) -> Rig:
    procedures = catalog()
    procedures["P-SXD"] = {**procedures["P-FULL"], "procedure_code": "P-SXD",
                           "agency_code": "SXD", "agency_name": "Sở Xây dựng"}  # fmt: skip
    return Rig(settings, registry, rules=Rules(AGENCIES, desks=DESKS), procedures=procedures)


def filed_at(desk: str, dossier_id: str) -> Story:
    story = Story(dossier_id, "P-SXD", channel="DIRECT", receiving_desk=desk)
    story.events[0]["payload"][1]["agency_code"] = "SXD"
    return story


def forwarded_from(
    rig: Rig, desk: str, dossier_id: str, method: str
) -> tuple[Story, RunResult[RoutingState]]:
    """A dossier filed at ``desk`` for SXD, then forwarded by ``method``: the forward's result."""
    story = filed_at(desk, dossier_id)
    rig.feed(*story.events)
    forward = story.add("DOSSIER_FORWARDED", desk_code=desk, agency_code="SXD", method=method)
    return story, rig.feed(forward)


def routed(rig: Rig, story: Story, *event_types: str, **fields: Any) -> list[dict[str, Any]]:
    """The commands of the story's next event(s); fields go to the last one."""
    for event_type in event_types[:-1]:
        assert "dead_lettered" not in rig.feed(story.add(event_type)).outcomes
    return rig.decoded(rig.feed(story.add(event_types[-1], **fields)))


def test_a_district_desk_forwards_by_post_to_a_provincial_department_and_gets_the_result_back(
    desk_rig: Rig,
) -> None:
    story = filed_at("MC-CHOMOI", "HS-DESK-1")
    submitted = desk_rig.decoded(desk_rig.feed(*story.events))
    sync = payloads(submitted, "NATIONAL_DOSSIER_SYNC")[0]
    # the national portal's dossier: handled by SXD (DonViXuLy), received by the district desk
    assert (sync["agency_code"], sync["receiving_unit"]) == ("SXD", "MC-CHOMOI")
    forwarded = routed(desk_rig, story, "DOSSIER_ACCEPTED", "DOSSIER_FORWARDED",
                       desk_code="MC-CHOMOI", agency_code="SXD", method="POSTAL")  # fmt: skip
    assert kinds(forwarded) == ["POSTAL_ORDER:DESK_TO_AGENCY", "NATIONAL_PROGRESS_UPDATE"]
    order = payloads(forwarded, "POSTAL_ORDER")[0]
    assert (order["sender"]["name"], order["receiver"]["name"]) == (
        "Bộ phận Một cửa huyện Chợ Mới", "Sở Xây dựng")  # fmt: skip
    assert order["sender"]["address"]["district"] == CM
    assert order["order_number"] == "HS-DESK-1"
    progress = payloads(forwarded, "NATIONAL_PROGRESS_UPDATE")[0]
    assert progress["content"] == "Chuyển hồ sơ đến cơ quan có thẩm quyền giải quyết"
    story.add("DOSSIER_RECEIVED_BY_AGENCY", agency_code="SXD")
    story.add("PROCESSING_STEP_RECORDED")
    story.add("RESULT_READY", documents=result_docs(), return_channel="DESK")
    assert desk_rig.feed(*story.events[-3:]).outcomes == {"routed": 3}
    back = routed(desk_rig, story, "RESULT_FORWARDED", agency_code="SXD",
                  desk_code="MC-CHOMOI", method="POSTAL")  # fmt: skip
    assert kinds(back) == ["POSTAL_ORDER:AGENCY_TO_DESK", "NATIONAL_PROGRESS_UPDATE"]
    delivery = payloads(back, "POSTAL_ORDER")[0]
    assert (delivery["sender"]["name"], delivery["receiver"]["name"]) == (
        "Sở Xây dựng", "Bộ phận Một cửa huyện Chợ Mới")  # fmt: skip
    assert delivery["cod_amount_vnd"] == 0  # fees are paid at the desk that returns it
    state = desk_rig.state("HS-DESK-1")
    assert (state["receiving_desk"], state["result_forward_ordered"]) == ("MC-CHOMOI", True)


def test_a_desk_in_the_agencys_own_district_hands_the_dossier_over_without_the_post(
    desk_rig: Rig,
) -> None:
    _, forwarded = forwarded_from(desk_rig, "TTHCC", "HS-DESK-2", "POSTAL")
    assert kinds(desk_rig.decoded(forwarded)) == ["NATIONAL_PROGRESS_UPDATE"]


def test_an_agency_transfer_re_targets_the_open_pickup_and_re_syncs_the_national_portal(
    desk_rig: Rig,
) -> None:
    story, _ = forwarded_from(desk_rig, "MC-CHOMOI", "HS-DESK-3", "POSTAL")
    moved = routed(desk_rig, story, "AGENCY_TRANSFERRED", from_agency_code="SXD",
                   to_agency_code="STP", reason="Thuộc thẩm quyền Sở Tư pháp",
                   method="POSTAL")  # fmt: skip
    assert kinds(moved) == ["POSTAL_CANCEL", "POSTAL_ORDER:DESK_TO_AGENCY",
                            "NATIONAL_DOSSIER_SYNC", "NATIONAL_PROGRESS_UPDATE"]  # fmt: skip
    cancel = payloads(moved, "POSTAL_CANCEL")[0]
    assert (cancel["direction"], cancel["order_number"]) == ("DESK_TO_AGENCY", "HS-DESK-3")
    again = payloads(moved, "POSTAL_ORDER")[0]
    assert again["sender"]["name"] == "Bộ phận Một cửa huyện Chợ Mới"
    assert again["receiver"]["name"] == STP.name
    sync = payloads(moved, "NATIONAL_DOSSIER_SYNC")[0]
    assert (sync["agency_code"], sync["receiving_unit"]) == ("STP", "MC-CHOMOI")


def test_a_dossier_at_a_department_transferred_to_a_district_travels_by_post_between_them(
    desk_rig: Rig,
) -> None:
    story, _ = forwarded_from(desk_rig, "TTHCC", "HS-DESK-4", "INTERNAL")
    desk_rig.feed(story.add("DOSSIER_RECEIVED_BY_AGENCY", agency_code="SXD"))
    moved = routed(desk_rig, story, "AGENCY_TRANSFERRED", from_agency_code="SXD",
                   to_agency_code="UBND-CM", reason="Thẩm quyền cấp huyện",
                   method="POSTAL")  # fmt: skip
    assert kinds(moved) == ["POSTAL_ORDER:AGENCY_TO_AGENCY", "NATIONAL_DOSSIER_SYNC",
                            "NATIONAL_PROGRESS_UPDATE"]  # fmt: skip
    order = payloads(moved, "POSTAL_ORDER")[0]
    assert (order["sender"]["name"], order["receiver"]["name"]) == (
        "Sở Xây dựng", "UBND huyện Chợ Mới")  # fmt: skip


def test_a_desk_missing_from_the_directory_gets_no_order_and_the_outcome_says_so(
    desk_rig: Rig,
) -> None:
    _, result = forwarded_from(desk_rig, "MC-UNKNOWN", "HS-DESK-5", "POSTAL")
    assert result.outcomes == {"postal_unaddressed": 1}
    assert kinds(desk_rig.decoded(result)) == ["NATIONAL_PROGRESS_UPDATE"]
