"""The routing fold on the in-memory runner, with the real Avro serdes and registry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.dossier import STATUS_CODES, DossierEvent
from hub.processing import InMemoryRunner, Message, is_mark
from hub.routing import (
    COMMAND_NAMESPACE,
    DEFAULT_AGENCY,
    AgencyDirectory,
    Routed,
    Rules,
    command_id,
    emc_level,
    idempotency_key,
    reception_form,
)
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.routing._support import (
    ADDRESS,
    APPLICANT,
    DIRECTORY,
    STP,
    Rig,
    Story,
    kinds,
    payloads,
    result_docs,
)

FULL_PATH = ("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "PROCESSING_STEP_RECORDED")


@pytest.fixture
def rig(settings: Settings, registry: RegistryClient) -> Rig:
    return Rig(settings, registry)


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


# -- supplement rounds (DanhSachHoSoBoSung) -------------------------------------------------------

APPOINTMENT = datetime(2025, 3, 10, 10, tzinfo=UTC)
APOLOGY_DATE = datetime(2025, 3, 20, 2, tzinfo=UTC)  # payload_for's ApologyIssued


def processing(dossier_id: str) -> Story:
    story = Story(dossier_id)
    story.add("DOSSIER_ACCEPTED", appointment_at=APPOINTMENT)
    story.add("PROCESSING_STEP_RECORDED")
    return story


def test_a_supplement_round_is_carried_by_the_national_sync(rig: Rig) -> None:
    story = processing("HS-SUP-1")
    requested = story.add("SUPPLEMENT_REQUESTED", reason="Thiếu bản vẽ thiết kế")
    received = story.add("SUPPLEMENT_RECEIVED")
    commands = rig.decoded(rig.feed(*story.events))
    syncs = payloads(commands, "NATIONAL_DOSSIER_SYNC")
    assert [s["status_code"] for s in syncs] == [1, 2, 4, 5, 4]
    assert [s["supplements"] for s in syncs[:3]] == [[], [], []]
    opened = {"requested_at": requested["occurred_at"], "received_at": None,
              "old_appointment_at": APPOINTMENT, "new_appointment_at": None,
              "reason": "Thiếu bản vẽ thiết kế"}  # fmt: skip
    assert syncs[3]["supplements"] == [opened]
    # the SLA engine shifts the appointment; routing knows no new date: it stays null
    assert syncs[4]["supplements"] == [{**opened, "received_at": received["occurred_at"]}]
    assert rig.state("HS-SUP-1")["supplements"] == syncs[4]["supplements"]


def test_two_rounds_and_an_apology_between_them(rig: Rig) -> None:
    story = processing("HS-SUP-2")
    first = story.add("SUPPLEMENT_REQUESTED", reason="Thiếu bản sao")
    first_in = story.add("SUPPLEMENT_RECEIVED")
    story.add("APOLOGY_ISSUED")  # after the first round: its new appointment
    second = story.add("SUPPLEMENT_REQUESTED", reason="Sai thông tin")
    second_in = story.add("SUPPLEMENT_RECEIVED")
    commands = rig.decoded(rig.feed(*story.events))
    syncs = payloads(commands, "NATIONAL_DOSSIER_SYNC")
    round_1 = {"requested_at": first["occurred_at"], "received_at": first_in["occurred_at"],
               "old_appointment_at": APPOINTMENT, "new_appointment_at": APOLOGY_DATE,
               "reason": "Thiếu bản sao"}  # fmt: skip
    round_2 = {"requested_at": second["occurred_at"], "received_at": second_in["occurred_at"],
               "old_appointment_at": APOLOGY_DATE, "new_appointment_at": None,
               "reason": "Sai thông tin"}  # fmt: skip
    apology_sync = syncs[5]
    assert (apology_sync["status_code"], apology_sync["appointment_at"]) == (4, APOLOGY_DATE)
    assert apology_sync["supplements"] == [round_1]
    assert syncs[6]["supplements"] == [round_1, {**round_2, "received_at": None}]
    assert syncs[-1]["supplements"] == [round_1, round_2]
    # every sync carries the rounds so far, oldest first
    assert [len(s["supplements"]) for s in syncs] == [0, 0, 0, 1, 1, 1, 2, 2]


def test_a_supplement_received_without_an_open_round_closes_nothing(rig: Rig) -> None:
    """A state written before rounds were kept (decoded with ``supplements`` = [])."""
    story = processing("HS-SUP-3")
    story.add("SUPPLEMENT_REQUESTED")
    rig.feed(*story.events)
    state = {**rig.state("HS-SUP-3"), "supplements": []}
    routed = Rules(DIRECTORY).route(
        state, DossierEvent.from_record(story.add("SUPPLEMENT_RECEIVED")), None
    )
    assert isinstance(routed, Routed)
    assert routed.state["status"] == "PROCESSING"
    assert routed.state["supplements"] == []
    (sync,) = [c.payload for c in routed.commands if c.kind == "national-sync"]
    assert sync["supplements"] == []


def test_supplement_commands_are_identical_when_redelivered_or_refolded(
    settings: Settings, registry: RegistryClient, rig: Rig
) -> None:
    story = processing("HS-SUP-4")
    story.then("SUPPLEMENT_REQUESTED", "SUPPLEMENT_RECEIVED", "APOLOGY_ISSUED",
               "SUPPLEMENT_REQUESTED")  # fmt: skip
    messages = [rig.message(e) for e in story.events]
    first = rig.run(messages)
    lost_marks = {k: v for k, v in rig.runner.table.items() if not is_mark(k)}
    again = InMemoryRunner(rig.processor, lost_marks).run(messages)
    assert again.outcomes == {"redelivered": len(story.events)}
    assert [e.value for e in again.emits] == [e.value for e in first.emits]
    # a fresh fold of the same events gives the same commands, byte for byte
    other = Rig(settings, registry)
    refolded = other.run(other.message(e, i) for i, e in enumerate(story.events))
    assert [e.value for e in refolded.emits] == [e.value for e in first.emits]
    syncs = payloads(rig.decoded(first), "NATIONAL_DOSSIER_SYNC")
    assert [r["new_appointment_at"] for r in syncs[-1]["supplements"]] == [APOLOGY_DATE, None]


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


# -- duplicates and redelivery ------------------------------------------------------------------


def test_an_event_produced_twice_is_routed_once(rig: Rig) -> None:
    story = Story("HS-15", postal_intake=True, channel="POSTAL").then("DOSSIER_ACCEPTED")
    first = rig.feed(*story.events)
    again = rig.feed(*story.events)  # the same event ids at new offsets
    assert again.outcomes == {"duplicate": 2}
    assert again.emits == []
    assert len(rig.decoded(first)) == 7


def test_a_redelivery_after_a_crash_re_emits_the_same_commands(rig: Rig) -> None:
    """The state reached the changelog, the commands and the mark did not: the event comes again
    at the same offset and its commands are emitted again, byte for byte."""
    story = Story("HS-16", postal_intake=True, channel="POSTAL").then("DOSSIER_ACCEPTED")
    messages = [rig.message(e) for e in story.events]
    first = rig.run(messages)
    table = {k: v for k, v in rig.runner.table.items() if not is_mark(k)}  # the marks lost
    restarted = InMemoryRunner(rig.processor, table)
    again = restarted.run(messages)
    assert again.outcomes == {"redelivered": 2}
    assert [e.value for e in again.emits] == [e.value for e in first.emits]
    assert [e.key for e in again.emits] == [b"HS-16"] * 7
    # with the marks, a restarted worker skips them instead
    assert InMemoryRunner(rig.processor, rig.runner.table).run(messages).redelivered == 2


def test_the_redelivery_window_keeps_only_recent_commands(
    settings: Settings, registry: RegistryClient
) -> None:
    rig = Rig(settings, registry)
    rig.processor.redelivery_window = 10
    story = Story("HS-17").then("DOSSIER_ACCEPTED")
    rig.run([rig.message(story.events[0], 0), rig.message(story.events[1], 5)])
    assert [r["offset"] for r in rig.state("HS-17")["recent"]] == [0, 5]
    story.add("PROCESSING_STEP_RECORDED")
    rig.run([rig.message(story.events[2], 12)])
    assert [r["offset"] for r in rig.state("HS-17")["recent"]] == [5, 12]


# -- what the fold refuses ----------------------------------------------------------------------


def test_what_routing_cannot_apply_is_dead_lettered_with_a_precise_reason(rig: Rig) -> None:
    orphan = Story("HS-18").events[0]
    accepted = Story("HS-19").add("DOSSIER_ACCEPTED")
    story = Story("HS-20")
    returned = story.add("RESULT_RETURNED")
    unknown = Story("HS-21", procedure="P-NONE").events[0]
    wrong_key = rig.message(orphan, offset=0)
    bad = [
        Message(b"\x00\x7f\xff\xff\xffgarbage", b"HS-22", DOSSIER_EVENTS.suffix, 0, 0),
        Message(wrong_key.value, b"HS-OTHER", DOSSIER_EVENTS.suffix, 0, 1),
    ]
    rig.message(orphan), rig.message(orphan)  # (offsets 0 and 1 are taken)
    result = rig.run([*bad, rig.message(accepted), rig.message(story.events[0]),
                      rig.message(returned), rig.message(unknown)])  # fmt: skip
    reasons = [(letter.reason_code, letter.reason) for letter in result.letters]
    assert [code for code, _ in reasons] == [
        "SCHEMA_NOT_FOUND", "VALIDATION_FAILED", "INVALID_TRANSITION", "INVALID_TRANSITION",
        "UNKNOWN_PROCEDURE",
    ]  # fmt: skip
    assert reasons[2][1] == "DOSSIER_ACCEPTED is not allowed for a dossier the hub does not know"
    assert reasons[3][1] == "RESULT_RETURNED is not allowed for status SUBMITTED"
    assert reasons[4][1] == "procedure P-NONE is not in the catalogue"
    assert all(letter.processor == "routing" for letter in result.letters)
    assert result.letters[0].original_value == bad[0].value


def test_a_second_submission_of_a_dossier_is_refused(rig: Rig) -> None:
    rig.feed(*Story("HS-23").events)
    result = rig.feed(*Story("HS-23").events)
    assert [letter.reason_code for letter in result.letters] == ["INVALID_TRANSITION"]


# -- the codes, the directory --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "form", "code"),
    [("DIRECT_ONLY", 2, 0), ("DIRECT_ONLY", 1, 0), ("UNKNOWN", 1, 0), ("PARTIAL_ONLINE", 2, 0),
     ("PARTIAL_ONLINE", 1, 3), ("FULL_ONLINE", 2, 1), ("FULL_ONLINE", 1, 4)],
)  # fmt: skip
def test_emc_level_combines_the_procedure_level_and_the_reception_form(
    level: str, form: int, code: int
) -> None:
    assert emc_level(level, form) == code


def test_a_postal_dossier_counts_as_configured_for_emc() -> None:
    state: dict[str, Any] = {"from_national_portal": False, "channel": "POSTAL"}
    assert reception_form(state) == 2
    assert reception_form(state, "ONLINE") == 1
    assert reception_form({**state, "channel": "DIRECT"}, "ONLINE") == 2
    with pytest.raises(ValueError, match="postal_counts_as"):
        Rules(postal_counts_as="BY_PIGEON")


def test_the_agency_directory_is_read_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(
        '[default]\nname = "Trung tâm PVHCC"\nline = "1 Lê Triệu Kiết"\nprovince = "An Giang"\n'
        'phone = "0296111"\n\n[agencies.STP]\nline = "3 Lê Lợi"\nprovince = "An Giang"\n'
        'phone = "0296222"\nemail = "stp@angiang.gov.vn"\n',
        encoding="utf-8",
    )
    directory = AgencyDirectory.load(path)
    assert directory.contact("STP").name == "Trung tâm PVHCC"  # no name: the default's
    assert directory.contact("STP").party("Sở Tư pháp") == {
        "name": "Sở Tư pháp", "phone": "0296222", "email": "stp@angiang.gov.vn",
        "address": {"line": "3 Lê Lợi", "ward": None, "district": None, "province": "An Giang"},
    }  # fmt: skip
    assert directory.contact("OTHER").line == "1 Lê Triệu Kiết"


@pytest.mark.parametrize(
    ("text", "message"),
    [("[agencies.STP]\nname = 'x'\n", "lacks line, province, phone"),
     ("[agencies.STP]\nline='a'\nprovince='b'\nphone='c'\nfax='d'\n", "unknown key"),
     ("[agency]\n", "unknown table"), ("[default\n", "not valid TOML"),
     ("[agencies.STP]\nline=''\nprovince='b'\nphone='c'\n", "must be text")],
)  # fmt: skip
def test_a_bad_agency_directory_is_refused_precisely(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "agencies.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        AgencyDirectory.load(path)
    with pytest.raises(ValueError, match="No such file"):
        AgencyDirectory.load(tmp_path / "missing.toml")
