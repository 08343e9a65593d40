"""The event log against itself and against the lifecycle's published states.

``events``: every event id on ``dossier.events`` names one content; the same id with other
content is a disagreement. The same id again with the same content is a redelivery, counted in
the notes: the hub publishes at least once (a producer killed between its publish and its
offset commit publishes again on restart, under the same deterministic id) and every consumer
deduplicates by event id, which the ``states``, KPI and partner checks prove (a fact applied
twice would show there). Exactly-once publication (Kafka transactions) is not used.

``states``: every dossier's events folded again by the lifecycle's own fold (the kernel's status
machine, its dedupe and the catalogue, on the in-memory runner), compared with the latest
``dossier.state`` record: a dossier missing there is lost, one there but not in the log or with
another status or version disagrees. An event the fold refuses must have been dead-lettered by
the lifecycle, and an event the lifecycle dead-lettered is left out of the fold: the dead-letter
record (processor, source topic, partition, offset) is its only excuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from hub.audit._log import LogReader
from hub.audit._model import CheckResult, Finding, result
from hub.lifecycle import LifecycleProcessor
from hub.processing import InMemoryRunner, Message
from hub.records import DossierState
from hub.serde import DecodeError
from hub.topics import CATALOG_PROCEDURES, DEADLETTER, DOSSIER_EVENTS, DOSSIER_STATE

EVENTS, STATES = "events", "states"

#: (partition, offset) of a record of one topic.
Position = tuple[int, int]


@dataclass(frozen=True)
class Replayed:
    """The lifecycle's fold of the whole log: each dossier's state as the log says it is."""

    states: Mapping[str, DossierState]
    #: events left out of the fold because a dead letter of the lifecycle names them
    excused: int = 0


def check_events(reader: LogReader) -> CheckResult:
    serde = reader.serde(DOSSIER_EVENTS)
    decoded: list[tuple[str, Mapping[str, object]]] = []
    undecodable = 0
    messages = reader.messages(DOSSIER_EVENTS)
    for message in messages:
        try:
            event = serde.decode(message.value)
        except DecodeError:
            undecodable += 1  # the states check wants its dead letter
            continue
        decoded.append((f"{message.topic}[{message.partition}]@{message.offset}", event))
    judged = judge_events(decoded)
    notes = [f"{undecodable} undecodable (see states)"] if undecodable else []
    if judged.two_paths:
        notes.append(f"{judged.two_paths} facts from two paths under one id (deduplicated)")
    if judged.redelivered:
        notes.append(f"{judged.redelivered} redelivered under their id (deduplicated)")
    return result(EVENTS, len(messages), judged.findings, notes)


@dataclass(frozen=True)
class JudgedEvents:
    findings: list[Finding]
    #: repeats that were one fact reached by two paths (another ``causation_id``)
    two_paths: int
    #: repeats of the same event from the same cause: a publisher's redelivery
    redelivered: int


def judge_events(events: Iterable[tuple[str, Mapping[str, object]]]) -> JudgedEvents:
    """The findings about ``events`` ((where, decoded DossierEvent), in log order), and how the
    repeats under one id came about.

    A fact that two paths may report (a payment: its callback and the status query the hub
    sends when the callback is late) gets an id derived from the fact on both, so the consumers
    keep one (``connectors.outbox.EventDraft.event_id``); the two race by design, so that repeat,
    from another cause (``causation_id``: the query command, none for the callback), is no
    double. The same event again from the same cause is a redelivery (at least once, see the
    module's docstring); only another content under an id is a finding here."""
    first: dict[str, tuple[tuple[object, ...], object]] = {}
    findings: list[Finding] = []
    two_paths = redelivered = 0
    for where, event in events:
        event_id = str(event["event_id"])
        content = (event["event_type"], event["dossier_id"], event["payload"])
        cause = event.get("causation_id")
        if event_id not in first:
            first[event_id] = (content, cause)
        elif first[event_id][0] != content:
            findings.append(
                Finding(EVENTS, "disagreeing", event_id, f"another content under the id at {where}")
            )
        elif first[event_id][1] != cause:
            two_paths += 1
        else:
            redelivered += 1
    return JudgedEvents(findings, two_paths, redelivered)


def lifecycle_letters(reader: LogReader, processor: str, topic: str) -> set[Position]:
    """Where the dead letters of ``processor`` about ``topic`` say their records were."""
    return {
        (int(str(v["source_partition"])), int(str(v["source_offset"])))
        for stored in reader.records(DEADLETTER)
        if (v := stored.value) is not None
        and v["processor"] == processor
        and v["source_topic"] == topic
        and v["source_partition"] is not None
        and v["source_offset"] is not None
    }


def _kept(messages: list[Message], excused: set[Position]) -> Iterator[Message]:
    return (m for m in messages if (m.partition or 0, m.offset or 0) not in excused)


def replay_states(reader: LogReader) -> tuple[Replayed, list[Finding]]:
    """The lifecycle's fold of every event not excused by a dead letter, and a finding for each
    event it refuses that no dead letter names (the lifecycle lost it silently)."""
    catalogue = reader.latest(CATALOG_PROCEDURES)
    processor = LifecycleProcessor(
        reader.serde(DOSSIER_EVENTS), reader.serde(DOSSIER_STATE), catalogue.get
    )
    topic = reader.name(DOSSIER_EVENTS)
    excused = lifecycle_letters(reader, processor.name, topic)
    run = InMemoryRunner(processor).run(_kept(reader.messages(DOSSIER_EVENTS), excused))
    lost = [
        Finding(
            STATES,
            "lost",
            f"{topic}[{letter.source_partition}]@{letter.source_offset}",
            f"refused ({letter.reason_code}) with no dead letter of the lifecycle",
        )
        for letter in run.letters
    ]
    kept = {k.decode(): s for k, s in run.states.items()}
    return Replayed(kept, len(excused)), lost


def check_states(reader: LogReader, replayed: Replayed, refused: list[Finding]) -> CheckResult:
    if not reader.exists(DOSSIER_STATE):
        return CheckResult(STATES, 0, skipped=f"no {reader.name(DOSSIER_STATE)} (no lifecycle)")
    live = reader.latest(DOSSIER_STATE)
    findings = list(refused)
    for dossier_id in sorted(replayed.states.keys() | live.keys()):
        want, have = replayed.states.get(dossier_id), live.get(dossier_id)
        if have is None:
            findings.append(Finding(STATES, "lost", dossier_id, "in the log, no state"))
        elif want is None:
            findings.append(Finding(STATES, "disagreeing", dossier_id, "a state, not in the log"))
        elif (want["status"], want["version"]) != (have["status"], have["version"]):
            findings.append(
                Finding(
                    STATES,
                    "disagreeing",
                    dossier_id,
                    f"status/version {have['status']}/{have['version']}, the log "
                    f"says {want['status']}/{want['version']}",
                )
            )
    notes = [f"{replayed.excused} events excused by a dead letter"] if replayed.excused else []
    return result(STATES, len(replayed.states.keys() | live.keys()), findings, notes)
