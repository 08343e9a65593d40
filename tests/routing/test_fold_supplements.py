"""Supplement rounds (DanhSachHoSoBoSung) carried by the national sync, through the routing fold."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.dossier import DossierEvent
from hub.processing import InMemoryRunner, is_mark
from hub.routing import Routed, Rules
from hub.serde import RegistryClient
from hub.settings import Settings
from tests.routing._support import DIRECTORY, Rig, Story, payloads

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
    state = rig.state("HS-SUP-3") | {"supplements": []}
    routed = Rules(DIRECTORY).route(
        state, DossierEvent.from_record(story.add("SUPPLEMENT_RECEIVED")), None
    )
    assert isinstance(routed, Routed)
    assert routed.state["status"] == "PROCESSING"
    assert routed.state["supplements"] == []
    (sync,) = [c.payload for c in routed.commands if c.kind == "national-sync"]
    assert sync.get("supplements") == []


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
