"""The routing fold on the in-memory runner, with the real Avro serdes and registry: the
commands each dossier story causes (supplement rounds, redelivery and dead letters, the codes
and the directory are in the other test_* files of this package)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from hub.dossier import STATUS_CODES
from hub.processing import InMemoryRunner
from hub.routing import COMMAND_NAMESPACE, DEFAULT_AGENCY, command_id, idempotency_key
from tests.routing._support import ADDRESS, APPLICANT, STP, Rig, Story, kinds, payloads, result_docs

FULL_PATH = ("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "PROCESSING_STEP_RECORDED")


def signed(story: Story, document_id: str) -> None:
    story.add("RESULT_SIGNED", document_id=document_id)


def test_an_online_dossier_syncs_every_status_and_tracks_every_step(rig: Rig) -> None:
    story = Story("HS-1").then(*FULL_PATH)
    story.add("RESULT_READY", documents=result_docs("kq"), return_channel="ONLINE")
    signed(story, "kq")
    story.add("RESULT_RETURNED", return_channel="ONLINE", waybill_number=None)
    result = rig.feed(*story.events)
    commands = rig.decoded(result)
    assert result.letters == []
    assert not [k for k in kinds(commands) if k.startswith("POSTAL")]
    syncs = payloads(commands, "NATIONAL_DOSSIER_SYNC")
    assert [s["status_code"] for s in syncs] == [1, 2, 4, 9, 10]  # step 4 -> 4 is no change
    assert syncs[-1]["returned_at"] == story.events[-1]["occurred_at"]
    assert syncs[-1]["received_at"] == story.events[1]["occurred_at"]  # NgayTiepNhan: accepted
    assert syncs[0]["procedure_name"] == "Cấp phiếu lý lịch tư pháp"
    assert syncs[0]["applicant_name"] == "Nguyễn Văn An"
    assert syncs[0]["postal"] is False
    assert [d["document_id"] for d in syncs[3]["result_documents"]] == ["kq"]
    progress = payloads(commands, "NATIONAL_PROGRESS_UPDATE")
    # the desk official is the handler of every event: every status change and both steps
    assert [p["status_code"] for p in progress] == [1, 2, 4, 4, 9, 10]
    step = progress[2]
    assert step["handler_name"] == "Lâm Thị Thu"
    assert step["handler_title"] == "Chuyên viên"
    assert step["department"] == "Bộ phận Một cửa"
    assert step["content"] == "Chuyển phòng"
    emc = payloads(commands, "EMC_TRACKING_RECORD")
    assert [e["emc_status"] for e in emc] == [0, 1, 4, 4, 2, 3]  # the steps are transfers
    assert {(e["reception_form"], e["level"], e["postal"], e["payment_form"]) for e in emc} == {
        (1, 4, 0, 0)
    }
    # commands of one event: sync, then progress, then EMC (a later status never first)
    assert kinds(commands[:3]) == ["NATIONAL_DOSSIER_SYNC", "NATIONAL_PROGRESS_UPDATE",
                                   "EMC_TRACKING_RECORD"]  # fmt: skip


def test_every_command_is_named_by_its_causing_event(rig: Rig) -> None:
    story = Story("HS-2", postal_intake=True, channel="POSTAL")
    commands = rig.decoded(rig.feed(*story.events))
    event = story.events[0]
    assert kinds(commands) == ["POSTAL_ORDER:INTAKE_PICKUP", "NATIONAL_DOSSIER_SYNC",
                               "NATIONAL_PROGRESS_UPDATE", "EMC_TRACKING_RECORD"]  # fmt: skip
    expected_kinds = ["postal-pickup", "national-sync", "national-progress", "emc"]
    for command, kind in zip(commands, expected_kinds, strict=True):
        named = uuid.uuid5(COMMAND_NAMESPACE, f"{event['event_id']}:{kind}")
        assert str(command["command_id"]) == str(named) == command_id(event["event_id"], kind)
        assert command["idempotency_key"] == idempotency_key(event["event_id"], kind)
        assert command["idempotency_key"] == f"{event['event_id']}:{kind}"
        assert command["causation_id"] == event["event_id"]
        assert command["correlation_id"] == event["correlation_id"] == "HS-2"
        assert command["dossier_id"] == "HS-2"
        assert command["created_at"] == event["recorded_at"]
    again = Rig.__new__(Rig)
    again.__dict__.update(rig.__dict__)
    again.runner = InMemoryRunner(rig.processor)  # a replay from scratch
    replay = again.run([rig.message(event, offset=0)])
    assert [e.value for e in replay.emits] == [
        rig.commands.encode(c) for c in commands
    ]  # byte-identical


def test_postal_intake_orders_a_pickup_from_the_applicant_to_the_agency(rig: Rig) -> None:
    story = Story("HS-3", postal_intake=True, channel="POSTAL")
    (pickup,) = payloads(rig.decoded(rig.feed(*story.events)), "POSTAL_ORDER")
    assert pickup["direction"] == "INTAKE_PICKUP"
    assert pickup["order_number"] == "HS-3"
    assert pickup["cod_amount_vnd"] == 0
    assert pickup["sender"] == {"name": "Nguyễn Văn An", "address": ADDRESS,
                                "phone": "0900000001", "email": "an@example.vn"}  # fmt: skip
    receiver = pickup["receiver"]
    assert receiver["name"] == "Sở Tư pháp"  # the catalogue's agency name wins
    assert receiver["address"]["line"] == STP.line
    assert receiver["phone"] == STP.phone
    emc = payloads(rig.decoded(rig.feed(story.add("DOSSIER_ACCEPTED"))), "EMC_TRACKING_RECORD")
    assert emc[0]["postal"] == 1
    assert emc[0]["reception_form"] == 2
    assert emc[0]["level"] == 1  # full-online procedure, received directly


def test_an_agency_missing_from_the_directory_gets_the_default_entry(rig: Rig) -> None:
    story = Story("HS-4", procedure="P-DIR", postal_intake=True, channel="POSTAL")
    story.events[0]["payload"][1]["agency_code"] = "UBND-X"
    (pickup,) = payloads(rig.decoded(rig.feed(*story.events)), "POSTAL_ORDER")
    assert pickup["receiver"]["name"] == DEFAULT_AGENCY.name
    assert pickup["receiver"]["address"]["line"] == DEFAULT_AGENCY.line


def test_postal_intake_and_return_with_cash_on_delivery_of_the_fees_due(rig: Rig) -> None:
    story = Story("HS-5", postal_intake=True, postal_return=True, channel="POSTAL")
    story.then("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED")
    story.add("FEE_REQUESTED", total_vnd=300_000, fee_lines=[
        {"code": "LP", "name": "Lệ phí", "kind": "CHARGE", "amount_vnd": 300_000}])  # fmt: skip
    story.add("FEE_PAID", amount_vnd=120_000, method="DESK_CASH")  # a part at the desk
    story.add("RESULT_READY", documents=result_docs("kq"), return_channel="UNKNOWN")
    before_signing = rig.decoded(rig.feed(*story.events))
    assert kinds(before_signing).count("POSTAL_ORDER:RESULT_DELIVERY") == 0
    syncs = payloads(before_signing, "NATIONAL_DOSSIER_SYNC")
    assert [s["status_code"] for s in syncs] == [1, 2, 4, 6, 4, 9]  # the fee step from 4 back to 4
    assert syncs[-1]["postal"] is True
    assert syncs[-1]["fee_lines"][0]["amount_vnd"] == 300_000
    signing = rig.decoded(rig.feed(story.add("RESULT_SIGNED", document_id="kq")))
    assert kinds(signing) == ["POSTAL_ORDER:RESULT_DELIVERY"]  # no status change: nothing else
    delivery = signing[0]["payload"][1]
    assert delivery["cod_amount_vnd"] == 180_000  # 300 000 requested - 120 000 paid
    assert delivery["sender"]["name"] == "Sở Tư pháp"
    assert delivery["sender"]["phone"] == STP.phone
    assert delivery["receiver"]["name"] == "Nguyễn Văn An"
    assert delivery["receiver"]["address"] == ADDRESS
    assert delivery["order_number"] == "HS-5"
    emc = payloads(before_signing, "EMC_TRACKING_RECORD")
    assert emc[-1]["payment_form"] == 2  # paid at the desk
    assert rig.decoded(rig.feed(story.add("RESULT_RETURNED"))) != []
    assert rig.state("HS-5")["delivery_ordered"] is True


def test_fees_of_the_catalogue_paid_at_the_return_are_collected_on_delivery(rig: Rig) -> None:
    story = Story("HS-6", procedure="P-FEE", postal_return=True)
    story.then(*FULL_PATH)
    story.add("RESULT_READY", documents=[], return_channel="POSTAL")  # a paper result
    commands = rig.decoded(rig.feed(*story.events))
    (delivery,) = payloads(commands, "POSTAL_ORDER")
    assert delivery["direction"] == "RESULT_DELIVERY"
    assert delivery["cod_amount_vnd"] == 150_000
    assert [line["code"] for line in payloads(commands, "NATIONAL_DOSSIER_SYNC")[-1]["fee_lines"]] \
        == ["LP1", "P1"]  # fmt: skip


def test_a_result_by_post_is_sent_once_every_document_is_signed_and_only_once(rig: Rig) -> None:
    story = Story("HS-7", postal_return=True).then(*FULL_PATH)
    story.add("RESULT_READY", documents=result_docs("kq1", "kq2"), return_channel="POSTAL")
    signed(story, "kq1")
    first = rig.decoded(rig.feed(*story.events))
    assert "POSTAL_ORDER:RESULT_DELIVERY" not in kinds(first)
    signed(story, "kq2")
    signed(story, "kq1")  # signed again (a new event id): nothing more
    later = rig.decoded(rig.feed(*story.events[-2:]))
    assert kinds(later) == ["POSTAL_ORDER:RESULT_DELIVERY"]
    assert later[0]["payload"][1]["cod_amount_vnd"] == 0


def test_a_result_returned_online_is_not_posted_even_if_post_was_asked(rig: Rig) -> None:
    story = Story("HS-8", postal_return=True).then(*FULL_PATH)
    story.add("RESULT_READY", documents=result_docs("kq"), return_channel="ONLINE")
    signed(story, "kq")
    assert "POSTAL_ORDER:RESULT_DELIVERY" not in kinds(rig.decoded(rig.feed(*story.events)))


@pytest.mark.parametrize("ending", ["DOSSIER_REFUSED", "DOSSIER_WITHDRAWN", "PROCESSING_STOPPED"])
def test_an_open_pickup_is_cancelled_when_the_dossier_ends_before_collection(
    rig: Rig, ending: str
) -> None:
    story = Story(f"HS-9-{ending}", postal_intake=True, channel="POSTAL")
    if ending != "DOSSIER_REFUSED":
        story.then("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED")
    if ending == "DOSSIER_WITHDRAWN":
        story.then("SUPPLEMENT_REQUESTED")
    story.add(ending)
    result = rig.feed(*story.events)
    commands = rig.decoded(result)
    assert result.letters == []
    last = [c for c in commands if c["causation_id"] == story.events[-1]["event_id"]]
    assert kinds(last) == ["POSTAL_CANCEL", "NATIONAL_DOSSIER_SYNC", "NATIONAL_PROGRESS_UPDATE",
                           "EMC_TRACKING_RECORD"]  # fmt: skip
    cancel = last[0]["payload"][1]
    assert cancel["direction"] == "INTAKE_PICKUP"
    assert cancel["order_number"] == story.dossier_id
    assert payloads(last, "NATIONAL_DOSSIER_SYNC")[0]["status_code"] == STATUS_CODES[
        {"DOSSIER_REFUSED": "REFUSED", "DOSSIER_WITHDRAWN": "WITHDRAWN",
         "PROCESSING_STOPPED": "STOPPED"}[ending]]  # fmt: skip
    assert payloads(last, "EMC_TRACKING_RECORD")[0]["emc_status"] == 0
    if ending == "DOSSIER_REFUSED":
        content = payloads(last, "NATIONAL_PROGRESS_UPDATE")[0]["content"]
        assert content == "Không tiếp nhận hồ sơ: Không thuộc thẩm quyền"


def test_a_collected_pickup_is_not_cancelled(rig: Rig) -> None:
    story = Story("HS-10", postal_intake=True, channel="POSTAL")
    story.add("POSTAL_STATUS_CHANGED", direction="INTAKE_PICKUP", status="COLLECTING")
    story.add("POSTAL_STATUS_CHANGED", direction="INTAKE_PICKUP", status="COLLECTED")
    story.add("DOSSIER_REFUSED")
    result = rig.feed(*story.events)
    assert "POSTAL_CANCEL" not in kinds(rig.decoded(result))
    assert result.outcomes["not_routed"] == 1  # COLLECTING: the order can still be cancelled
    assert rig.state("HS-10")["pickup_open"] is False


def test_a_dossier_from_the_national_portal(rig: Rig) -> None:
    story = Story("HS-11", procedure="P-PART", channel="ONLINE", from_national_portal=True,
                  national_dossier_code="G22.99-250303-0001")  # fmt: skip
    story.then("DOSSIER_ACCEPTED")
    story.events[-1]["payload"][1]["level"] = "FULL_ONLINE"  # the catalogue's level wins
    story.add("FEE_REQUESTED")
    story.add("FEE_PAID", method="NATIONAL_PAYMENT_PLATFORM", actor=None)
    commands = rig.decoded(rig.feed(*story.events))
    emc = payloads(commands, "EMC_TRACKING_RECORD")
    assert all(e["from_national_portal"] is True and e["reception_form"] == 1 for e in emc)
    assert [e["level"] for e in emc] == [3, 3, 3, 3]  # partial-online, received online
    assert [e["payment_form"] for e in emc] == [0, 0, 0, 1]  # paid online at the end
    assert [s["status_code"] for s in payloads(commands, "NATIONAL_DOSSIER_SYNC")] == [1, 2, 6, 2]
    # FeePaid from the bank names no handler: no progress push for it
    assert len(payloads(commands, "NATIONAL_PROGRESS_UPDATE")) == 3


def test_an_apology_moves_the_appointment_on_the_national_portal(rig: Rig) -> None:
    appointment = datetime(2025, 3, 10, 10, tzinfo=UTC)
    story = Story("HS-12")
    story.add("DOSSIER_ACCEPTED", appointment_at=appointment)
    story.add("APOLOGY_ISSUED")
    commands = rig.decoded(rig.feed(*story.events))
    syncs = payloads(commands, "NATIONAL_DOSSIER_SYNC")
    assert [s["appointment_at"] for s in syncs] == [
        None,
        appointment,
        datetime(2025, 3, 20, 2, tzinfo=UTC),
    ]
    assert kinds(c for c in commands if c["causation_id"] == story.events[-1]["event_id"]) == [
        "NATIONAL_DOSSIER_SYNC"
    ]


def test_postal_intake_without_an_address_routes_the_rest(rig: Rig) -> None:
    story = Story("HS-13", postal_intake=True, channel="POSTAL",
                  applicant={**APPLICANT, "address": None})  # fmt: skip
    result = rig.feed(*story.events)
    assert result.outcomes["postal_unaddressed"] == 1
    assert kinds(rig.decoded(result)) == ["NATIONAL_DOSSIER_SYNC", "NATIONAL_PROGRESS_UPDATE",
                                          "EMC_TRACKING_RECORD"]  # fmt: skip


def test_events_routing_leaves_to_others_change_nothing(rig: Rig) -> None:
    story = Story("HS-14").then("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "FEE_REQUESTED",
                                "PAYMENT_REQUEST_CREATED", "PAYMENT_FAILED",
                                "NATIONAL_SYNC_COMPLETED", "POSTAL_ORDER_CREATED")  # fmt: skip
    result = rig.feed(*story.events)
    assert result.outcomes["not_routed"] == 4
    assert not [c for c in rig.decoded(result)
                if c["causation_id"] in {e["event_id"] for e in story.events[4:]}]  # fmt: skip
