"""Citizen notifications from the routing fold (real serdes and registry, in-memory runner): one
per (dossier, step) with the applicant's consent, none without it, the template data of each
step, channels in the applicant's order with the ZNS -> SMS fallback, and the same message
for an event the source sent twice under two ids."""

from __future__ import annotations

import uuid
from typing import Any

from hub.processing import InMemoryRunner, is_mark
from hub.routing import COMMAND_NAMESPACE
from tests.routing._support import APPLICANT, Rig, Story, payloads, result_docs

CONSENTING = {**APPLICANT, "notify_consent": True, "notify_channels": ["ZNS", "EMAIL"]}


def life(story: Story) -> Story:
    """Every step the applicant is told about, in a dossier's order."""
    story.add("DOSSIER_ACCEPTED")
    story.add("PROCESSING_STEP_RECORDED")
    story.add("SUPPLEMENT_REQUESTED", reason="Thiếu bản vẽ", requested_documents=["Bản vẽ"])
    story.add("SUPPLEMENT_RECEIVED")
    story.add("FEE_REQUESTED")
    story.add("PAYMENT_REQUEST_CREATED", payment_reference="PAY-9", amount_vnd=200_000,
              payment_url="https://pay.example.vn/p/9")  # fmt: skip
    story.add("FEE_PAID", payment_reference="PAY-9")
    story.add("APOLOGY_ISSUED")
    story.add("RESULT_READY", documents=result_docs("kq"), return_channel="DESK")
    story.add("RESULT_RETURNED", return_channel="DESK", waybill_number=None)
    return story


def notifications(rig: Rig, *events: dict[str, Any]) -> list[dict[str, Any]]:
    commands = rig.decoded(rig.feed(*events))
    return [c for c in commands if c["command_type"] == "CITIZEN_NOTIFICATION"]


def test_one_notification_per_step_with_consent(rig: Rig) -> None:
    story = life(Story("HS-N-1", applicant=CONSENTING))
    sent = notifications(rig, *story.events)
    steps = [c["payload"][1]["step"] for c in sent]
    assert steps == ["RECEIVED", "SUPPLEMENT_REQUESTED", "FEE_REQUESTED", "APOLOGY",
                     "RESULT_READY", "RESULT_RETURNED"]  # fmt: skip
    keys = [c["idempotency_key"] for c in sent]
    assert keys == ["HS-N-1:notify:received", "HS-N-1:notify:supplement_requested:1",
                    "HS-N-1:notify:fee_requested:PAY-9", "HS-N-1:notify:apology",
                    "HS-N-1:notify:result_ready", "HS-N-1:notify:result_returned"]  # fmt: skip
    assert [str(c["command_id"]) for c in sent] == [
        str(uuid.uuid5(COMMAND_NAMESPACE, k)) for k in keys
    ]
    by_step = {c["payload"][1]["step"]: c["payload"][1] for c in sent}
    contact = by_step["RECEIVED"]["contact"]
    assert contact == {"name": "Nguyễn Văn An", "phone": "0900000001",
                       "email": "an@example.vn", "channels": ["ZNS", "SMS", "EMAIL"]}  # fmt: skip
    assert by_step["RECEIVED"]["procedure_name"] == "Cấp phiếu lý lịch tư pháp"
    supplement = by_step["SUPPLEMENT_REQUESTED"]["data"]
    assert (supplement["missing_items"], supplement["reason"]) == (["Bản vẽ"], "Thiếu bản vẽ")
    fee = by_step["FEE_REQUESTED"]["data"]
    assert (fee["amount_vnd"], fee["payment_url"]) == (200_000, "https://pay.example.vn/p/9")
    apology = by_step["APOLOGY"]["data"]
    apology_event = story.events[8]["payload"][1]
    assert apology["new_appointment_at"] == apology_event["new_appointment_at"]
    assert by_step["RESULT_READY"]["data"]["return_channel"] == "DESK"
    # the fee message names its causing event (the provider's link), like every command
    fee_command = sent[2]
    assert fee_command["causation_id"] == story.events[6]["event_id"]


def test_none_without_consent(rig: Rig) -> None:
    story = life(Story("HS-N-2", applicant={**CONSENTING, "notify_consent": False}))
    result = rig.feed(*story.events)
    assert [c for c in rig.decoded(result) if c["command_type"] == "CITIZEN_NOTIFICATION"] == []
    assert result.outcomes["not_routed"] == 1  # the payment link: nothing else to route
    assert result.letters == []


def test_none_without_a_contact_for_any_channel(rig: Rig) -> None:
    nobody = {**CONSENTING, "phone": None, "email": None}
    assert notifications(rig, *life(Story("HS-N-3", applicant=nobody)).events) == []


def test_channels_keep_only_those_with_a_contact(rig: Rig) -> None:
    no_phone = {**CONSENTING, "phone": None, "notify_channels": []}  # default order
    story = Story("HS-N-4", applicant=no_phone).then("DOSSIER_ACCEPTED")
    [sent] = notifications(rig, *story.events)
    assert sent["payload"][1]["contact"]["channels"] == ["EMAIL"]


def test_a_second_supplement_round_is_its_own_message(rig: Rig) -> None:
    story = Story("HS-N-5", applicant=CONSENTING)
    story.then("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED")
    story.then("SUPPLEMENT_REQUESTED", "SUPPLEMENT_RECEIVED", "SUPPLEMENT_REQUESTED")
    keys = [c["idempotency_key"] for c in notifications(rig, *story.events)]
    assert keys == ["HS-N-5:notify:received", "HS-N-5:notify:supplement_requested:1",
                    "HS-N-5:notify:supplement_requested:2"]  # fmt: skip


def test_a_payment_link_sent_twice_under_two_ids_is_the_same_message(rig: Rig) -> None:
    story = Story("HS-N-6", applicant=CONSENTING).then("DOSSIER_ACCEPTED", "FEE_REQUESTED")
    for _ in range(2):  # two paths reported the same payment request, two event ids
        story.add("PAYMENT_REQUEST_CREATED", payment_reference="PAY-6")
    assert story.events[-1]["event_id"] != story.events[-2]["event_id"]
    first, second = notifications(rig, *story.events)[1:]
    assert (
        first["idempotency_key"] == second["idempotency_key"] == "HS-N-6:notify:fee_requested:PAY-6"
    )
    assert first["command_id"] == second["command_id"]
    assert payloads([first], "CITIZEN_NOTIFICATION") == payloads([second], "CITIZEN_NOTIFICATION")


def test_redelivered_events_give_byte_identical_notifications(rig: Rig) -> None:
    story = life(Story("HS-N-7", applicant=CONSENTING))
    messages = [rig.message(e) for e in story.events]
    first = rig.run(messages)
    lost_marks = {k: v for k, v in rig.runner.table.items() if not is_mark(k)}
    again = InMemoryRunner(rig.processor, lost_marks).run(messages)
    assert [e.value for e in again.emits] == [e.value for e in first.emits]
    notified = [c for c in rig.decoded(again) if c["command_type"] == "CITIZEN_NOTIFICATION"]
    assert len(notified) == 6
