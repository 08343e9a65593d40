"""The lifecycle processor end to end: real Kafka, real registry, a real worker process."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka import TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from hub.api import DEV_KEYS, bearer_headers, create_api, development_keys
from hub.kafka import make_consumer
from hub.lifecycle import app_id_for, read_states, replay, replay_check
from hub.serde import serde_for
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE
from tests.lifecycle._support import (
    APPLIED,
    DUPLICATES,
    EVENTS,
    REFETCHED,
    StateReader,
    chain,
    dead_letters,
    make_event,
    procedure_record,
    wait_until,
)
from tests.lifecycle.conftest import Harness


def state_of(h: Harness, dossier_id: str, version: int) -> dict[str, Any]:
    reader = StateReader(h.settings, h.registry)

    def check() -> dict[str, Any] | None:
        state = reader.latest().get(dossier_id)
        return state if state is not None and state["version"] >= version else None

    state: dict[str, Any] = wait_until(check, timeout_s=30)
    return state


def letters_for(h: Harness, dossier_id: str, count: int) -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]] | None:
        found = [
            d
            for d in dead_letters(h.settings, h.registry)
            if d["original_key"] == dossier_id.encode()
        ]
        return found if len(found) >= count else None

    found: list[dict[str, Any]] = wait_until(check, timeout_s=30)
    return found


def test_lifecycle_from_two_sources_merges_into_one_state(harness: Harness) -> None:
    desk = chain("HS-MERGE", "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", source="ONE_STOP_DESK")
    portal = [make_event("HS-MERGE", "NATIONAL_SYNC_COMPLETED", 3, source="NATIONAL_PORTAL"),
              make_event("HS-MERGE", "PROCESSING_STEP_RECORDED", 4, source="NATIONAL_PORTAL"),
              make_event("HS-MERGE", "RESULT_READY", 5, source="ONE_STOP_DESK"),
              make_event("HS-MERGE", "RESULT_RETURNED", 6, source="NATIONAL_PORTAL")]  # fmt: skip
    sent = harness.producer.send(desk + portal)
    state = state_of(harness, "HS-MERGE", 6)
    assert state["status"] == "RESULT_RETURNED"
    assert [h["event_id"] for h in state["history"]] == [e["event_id"] for e in sent]
    assert state["last_event_id"] == sent[-1]["event_id"]
    assert state["level"] == "FULL_ONLINE"
    assert state["procedure_name"] == "Thủ tục 1.004227"  # the catalogue name


def test_illegal_transition_is_dead_lettered_with_reason(harness: Harness) -> None:
    events = chain("HS-ILLEGAL", "DOSSIER_SUBMITTED", "RESULT_RETURNED", "DOSSIER_ACCEPTED")
    harness.producer.send(events)
    state = state_of(harness, "HS-ILLEGAL", 2)
    assert state["status"] == "ACCEPTED"
    assert [h["event_type"] for h in state["history"]] == ["DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED"]
    (letter,) = letters_for(harness, "HS-ILLEGAL", 1)
    assert letter["reason_code"] == "INVALID_TRANSITION"
    assert "RESULT_RETURNED is not allowed for status SUBMITTED" in letter["reason"]
    assert letter["processor"] == "lifecycle"
    assert letter["source_topic"] == DOSSIER_EVENTS.name(harness.settings.topic_prefix)
    serde = serde_for(DOSSIER_EVENTS, harness.settings.topic_prefix, harness.registry)
    assert serde.decode(letter["original_value"])["event_id"].hex == events[1]["event_id"].replace(
        "-", ""
    )


def test_duplicates_are_ignored_and_counted(harness: Harness) -> None:
    before = harness.worker.metric(DUPLICATES)
    events = chain("HS-DUP", "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED")
    harness.producer.send([events[0], events[0], events[1], events[0], events[1]])
    harness.producer.send([make_event("HS-DUP", "PROCESSING_STEP_RECORDED", 5)])
    state = state_of(harness, "HS-DUP", 3)
    assert state["version"] == 3
    assert [h["event_type"] for h in state["history"]] == [
        "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED",
    ]  # fmt: skip
    assert wait_until(lambda: harness.worker.metric(DUPLICATES) - before >= 3)
    assert harness.worker.metric(DUPLICATES) - before == 3
    assert not [
        d
        for d in dead_letters(harness.settings, harness.registry)
        if d["original_key"] == b"HS-DUP"
    ]


def test_unknown_procedure_is_dead_lettered(harness: Harness) -> None:
    submitted = make_event("HS-NOPROC", "DOSSIER_SUBMITTED", procedure_code="9.999999")
    harness.producer.send([submitted, make_event("HS-NOPROC", "DOSSIER_ACCEPTED", 1)])
    letters = letters_for(harness, "HS-NOPROC", 2)
    assert [d["reason_code"] for d in letters] == ["UNKNOWN_PROCEDURE", "INVALID_TRANSITION"]
    assert "9.999999" in letters[0]["reason"]
    assert "HS-NOPROC" not in StateReader(harness.settings, harness.registry).latest()


def test_procedure_published_just_after_its_dossier_is_waited_for(harness: Harness) -> None:
    from hub.kafka import make_producer
    from hub.topics import CATALOG_PROCEDURES

    harness.producer.send(
        [make_event("HS-LATEPROC", "DOSSIER_SUBMITTED", procedure_code="7.000001")]
    )
    serde = serde_for(CATALOG_PROCEDURES, harness.settings.topic_prefix, harness.registry)
    producer = make_producer(harness.settings)
    topic = CATALOG_PROCEDURES.name(harness.settings.topic_prefix)
    producer.send(topic, key=b"7.000001", value=serde.encode(procedure_record("7.000001")))
    producer.flush()
    producer.close()
    assert state_of(harness, "HS-LATEPROC", 1)["procedure_code"] == "7.000001"


def test_poison_messages_are_dead_lettered_and_the_partition_keeps_flowing(
    harness: Harness,
) -> None:
    good = chain("HS-POISON", "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED")
    serde = serde_for(DOSSIER_EVENTS, harness.settings.topic_prefix, harness.registry)
    valid = serde.encode(good[1])
    bad_magic = b"\x07" + valid[1:]
    malformed = valid[:5] + b"\xff\xff\xff\xff\xff\xff\x01"
    unknown_schema = b"\x00" + struct.pack(">I", 987_654_321) + valid[5:]
    short = b"\x00\x01"
    harness.producer.send(good[:1])
    for poison in (bad_magic, malformed, unknown_schema, short):
        harness.producer.send_raw("HS-POISON", poison)  # same key: same partition, in order
    harness.producer.send(good[1:])
    state = state_of(harness, "HS-POISON", 3)
    assert state["status"] == "PROCESSING"
    letters = letters_for(harness, "HS-POISON", 4)
    assert [d["original_value"] for d in letters] == [bad_magic, malformed, unknown_schema, short]
    assert [d["reason_code"] for d in letters] == [
        "UNDECODABLE", "UNDECODABLE", "SCHEMA_NOT_FOUND", "UNDECODABLE",
    ]  # fmt: skip
    assert "magic byte is 7" in letters[0]["reason"]
    offsets = [d["source_offset"] for d in letters]
    assert offsets == sorted(offsets)
    assert len(set(offsets)) == 4


def test_key_that_is_not_the_dossier_id_is_dead_lettered(harness: Harness) -> None:
    serde = serde_for(DOSSIER_EVENTS, harness.settings.topic_prefix, harness.registry)
    harness.producer.send_raw(
        "HS-WRONGKEY", serde.encode(make_event("HS-OTHER", "DOSSIER_SUBMITTED"))
    )
    harness.producer.flush()
    (letter,) = letters_for(harness, "HS-WRONGKEY", 1)
    assert letter["reason_code"] == "VALIDATION_FAILED"


def test_query_api(harness: Harness) -> None:
    sent = harness.producer.send(
        chain("HS-API", "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "FEE_REQUESTED")
    )
    state_of(harness, "HS-API", 3)
    api = create_api(harness.settings, keys=development_keys())
    with TestClient(api, headers=bearer_headers(DEV_KEYS.integrator)) as client:
        wait_until(lambda: client.get("/v1/dossiers/HS-API").status_code == 200, timeout_s=30)
        wait_until(lambda: client.get("/v1/dossiers/HS-API").json()["version"] == 3, timeout_s=30)
        body = client.get("/v1/dossiers/HS-API").json()
        assert body["status"] == "FEE_REQUESTED"
        assert body["fees_requested_vnd"] == 200_000
        assert body["updated_at"].startswith("2025-03-03T02:02:00")
        events = client.get("/v1/dossiers/HS-API/events").json()
        assert [e["event_id"] for e in events["events"]] == [e["event_id"] for e in sent]
        assert events["events"][2]["from_status"] == "ACCEPTED"
        listed = client.get("/v1/dossiers", params={"agency": "STP", "status": "6"}).json()
        assert "HS-API" in [item["dossier_id"] for item in listed["items"]]
        assert all(item["status"] == "FEE_REQUESTED" for item in listed["items"])
        other = client.get("/v1/dossiers", params={"agency": "NOPE"}).json()
        assert other == {"total": 0, "limit": 100, "offset": 0, "items": []}
        assert client.get("/v1/dossiers/HS-NOTHERE").status_code == 404
        assert client.get("/v1/dossiers", params={"status": "FLYING"}).status_code == 422
        # /healthz is ready once every view (states and SLA deadlines) has loaded; the deadlines
        # view may finish a moment after the state view that served the reads above.
        wait_until(lambda: client.get("/healthz").json()["ready"] is True, timeout_s=30)


def test_replay_equals_live_state(harness: Harness) -> None:
    # The duplicates and poison the replay must count are this test's own: ``make test`` spreads
    # a module's tests over its pytest processes (``--dist loadgroup``), each with a harness of
    # its own, so the other tests' records may not be in this log (a CI run counted 0). A replay
    # before and one after them tell exactly what they added, whatever else the log holds.
    before = replay(harness.settings, harness.registry, write=False, progress=False)
    duplicates_before = harness.worker.metric(DUPLICATES)
    events = chain("HS-REPLAY", "DOSSIER_SUBMITTED", "DOSSIER_REFUSED")
    harness.producer.send([events[0], events[0], events[1], events[0], events[1]])
    valid = harness.producer.serde.encode(events[1])
    poison = (b"\x07" + valid[1:], valid[:5] + b"\xff\xff\xff\xff\xff\xff\x01", b"\x00\x01")
    for value in poison:
        harness.producer.send_raw("HS-REPLAY", value)
    harness.producer.flush()
    state_of(harness, "HS-REPLAY", 2)
    letters_for(harness, "HS-REPLAY", len(poison))
    # the live worker counted them too (a batch is counted once its marks are acknowledged)
    assert wait_until(lambda: harness.worker.metric(DUPLICATES) - duplicates_before >= 3)
    assert harness.worker.metric(DUPLICATES) - duplicates_before == 3
    assert replay_check(harness.settings, harness.registry, wait_s=60) == []
    target = f"{DOSSIER_STATE.name(harness.settings.topic_prefix)}.replay-test"
    result = replay(harness.settings, harness.registry, target_topic=target, progress=False)
    assert result.events - before.events == 5 + len(poison)
    assert result.applied - before.applied == 2
    assert result.duplicates - before.duplicates == 3
    undecodable = [r.dead_letters.get("UNDECODABLE", 0) for r in (before, result)]
    assert undecodable[1] - undecodable[0] == len(poison)
    live = read_states(
        harness.settings, harness.registry, DOSSIER_STATE.name(harness.settings.topic_prefix)
    )
    # the late procedure is in the catalogue now, so the replay applies what live dead-lettered
    assert set(read_states(harness.settings, harness.registry, target)) == set(live)
    assert replay_check(harness.settings, harness.registry, replayed_topic=target) == []
    # tamper with the replayed topic: the check must notice
    from hub.kafka import make_producer

    serde = serde_for(DOSSIER_STATE, harness.settings.topic_prefix, harness.registry)
    producer = make_producer(harness.settings)
    producer.send(
        target, key=b"HS-REPLAY", value=serde.encode({**live["HS-REPLAY"], "status": "STOPPED"})
    )
    producer.flush()
    producer.close()
    diffs = replay_check(harness.settings, harness.registry, replayed_topic=target)
    assert [(d.dossier_id, d.what.split(":")[0]) for d in diffs] == [("HS-REPLAY", "status")]


def test_restart_recovers_state_from_the_changelog(harness: Harness) -> None:
    types = ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED",
             "SUPPLEMENT_REQUESTED", "SUPPLEMENT_RECEIVED")  # fmt: skip
    events = chain("HS-RESTART", *types)
    harness.producer.send(events[:3])
    state_of(harness, "HS-RESTART", 3)
    replay_check(harness.settings, harness.registry)  # waits until every offset is committed
    harness.worker.kill()
    # While no worker runs, events[3] is appended and the group's offset is committed past it,
    # as a consumer that dropped records would (faust can, around rebalances): the restarted
    # worker must notice the gap from its changelog-backed offset mark and read it back.
    topic = DOSSIER_EVENTS.name(harness.settings.topic_prefix)
    meta = harness.producer.producer.send(
        topic, key=b"HS-RESTART", value=harness.producer.serde.encode(events[3])
    ).get(timeout=10)
    skip_past(harness, TopicPartition(topic, meta.partition), meta.offset + 1)
    worker = harness.start_worker("w1-restarted")
    assert worker.metric(EVENTS) == 0
    # old event ids replayed after the restart: recognised from the recovered table
    harness.producer.send([events[1], events[2], events[4]])
    state = state_of(harness, "HS-RESTART", 5)
    assert [h["event_id"] for h in state["history"]] == [e["event_id"] for e in events]
    assert wait_until(lambda: worker.metric(DUPLICATES) == 2)
    assert worker.metric(APPLIED) == 2
    assert worker.metric(REFETCHED) == 1


def skip_past(harness: Harness, tp: TopicPartition, offset: int) -> None:
    """Commit ``offset`` for the lifecycle group (once the killed member has left it)."""
    consumer = make_consumer(harness.settings, group_id=app_id_for(harness.settings))
    try:
        consumer.assign([tp])

        def commit() -> bool:
            try:
                consumer.commit({tp: OffsetAndMetadata(offset, "", -1)})
            except KafkaError:
                return False  # the group still has the SIGKILLed member until its session ends
            return True

        wait_until(commit, timeout_s=30)
        assert consumer.committed(tp) == offset
    finally:
        consumer.close()


def test_cli_commands(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from dvchub.cli._lifecycle import register
    from hub.settings import get_settings

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    for command in (
        ["api", "serve", "--help"],
        ["replay", "--help"],
    ):
        assert runner.invoke(app, command).exit_code == 0
    monkeypatch.setenv("DVC_TOPIC_PREFIX", harness.settings.topic_prefix)
    monkeypatch.setenv("DVC_PARTITIONS", str(harness.settings.partitions))
    get_settings.cache_clear()
    try:
        checked = runner.invoke(app, ["replay-check", "--wait", "60"])
        assert checked.exit_code == 0, checked.output
        assert "live state equals the replay" in checked.output
        replayed = runner.invoke(app, ["replay", "--suffix", "cli"])
        assert replayed.exit_code == 0, replayed.output
        assert f"{DOSSIER_STATE.name(harness.settings.topic_prefix)}.cli" in replayed.output
    finally:
        get_settings.cache_clear()
