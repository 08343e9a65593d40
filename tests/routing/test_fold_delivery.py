"""How the routing fold takes its messages: duplicates, redelivery after a crash, the redelivery
window, and what it dead-letters."""

from __future__ import annotations

from hub.processing import InMemoryRunner, Message, is_mark
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.routing._support import Rig, Story

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
