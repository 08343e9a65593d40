"""Rebuilding dossier state from offset 0 of the event log, and checking it against the live one.

The replay reads every partition of ``dossier.events`` up to the end offsets it saw when it
started, folds each event with the same core the live agent uses (decode, dedupe by event id,
catalogue lookup, ``apply``) and writes the final state of every dossier to a fresh compacted
topic ``<prefix>dossier.state.<suffix>``. It writes no dead letters (the live processor already
did); it counts them. The catalogue is read in full first, so a submission the live processor
dead-lettered because its procedure arrived late is applied here: the check then reports it.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from hub.deadletter import DeadLetterInput
from hub.kafka import make_admin, make_consumer, make_producer
from hub.lifecycle._app import app_id_for
from hub.lifecycle._catalog import CatalogView
from hub.lifecycle._core import LifecycleCore, RawMessage
from hub.lifecycle._errors import LiveStateLagging, ReplayError
from hub.lifecycle._machine import Rejection, apply, is_duplicate
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, DOSSIER_STATE


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did; ``states`` maps dossier id to its decoded final state."""

    events: int
    applied: int
    duplicates: int
    dead_letters: Mapping[str, int]
    seconds: float
    target_topic: str | None
    states: Mapping[str, dict[str, Any]] = field(repr=False)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Difference:
    dossier_id: str
    what: str


def replay_topic_name(settings: Settings, suffix: str | None = None) -> str:
    suffix = suffix or f"replay-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    return f"{DOSSIER_STATE.name(settings.topic_prefix)}.{suffix}"


def _ensure_compacted(settings: Settings, topic: str) -> None:
    admin = make_admin(settings)
    try:
        if topic not in set(admin.list_topics()):
            spec = NewTopic(topic, settings.partitions, settings.replication_factor,
                            topic_configs={"cleanup.policy": "compact"})  # fmt: skip
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([spec], timeout_ms=30_000)
    finally:
        admin.close()


def _partitions(consumer: Any, topic: str) -> list[TopicPartition]:
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        raise ReplayError(f"topic {topic} does not exist")
    return [TopicPartition(topic, p) for p in sorted(parts)]


def replay(
    settings: Settings,
    registry: RegistryClient,
    *,
    target_topic: str | None = None,
    write: bool = True,
    progress: bool = True,
) -> ReplayResult:
    """Rebuild every dossier's state from offset 0; write it to ``target_topic`` if ``write``."""
    prefix = settings.topic_prefix
    core = LifecycleCore(
        serde_for(DOSSIER_EVENTS, prefix, registry), serde_for(DOSSIER_STATE, prefix, registry)
    )
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry)).start()
    try:
        catalog.require_ready()
    finally:
        catalog.stop()
    started = time.perf_counter()
    states: dict[str, dict[str, Any]] = {}
    letters: Counter[str] = Counter()
    events = applied = duplicates = 0
    topic = DOSSIER_EVENTS.name(prefix)
    consumer = make_consumer(
        settings, group_id=None, max_poll_records=5000, fetch_max_bytes=52_428_800
    )
    try:
        tps = _partitions(consumer, topic)
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        total = sum(end[tp] - begin[tp] for tp in tps)
        columns = (TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, disable=not progress) as bar:
            task = bar.add_task("events", total=total)
            remaining = {tp for tp in tps if end[tp] > begin[tp]}
            while remaining:
                for tp, records in consumer.poll(timeout_ms=500).items():
                    for record in records:
                        if record.offset >= end[tp]:
                            continue
                        events += 1
                        message = RawMessage(record.value or b"", record.key, record.topic,
                                             record.partition, record.offset)  # fmt: skip
                        event = core.decode(message)
                        if isinstance(event, DeadLetterInput):
                            letters[event.reason_code] += 1
                            continue
                        dossier_id = str(event["dossier_id"])
                        state = states.get(dossier_id)
                        if is_duplicate(state, event["event_id"]):
                            duplicates += 1
                            continue
                        code = _procedure_code(event, state)
                        result = apply(state, event, None if code is None else catalog.get(code))
                        if isinstance(result, Rejection):
                            letters[result.reason_code] += 1
                            continue
                        states[dossier_id] = result
                        applied += 1
                    bar.update(task, advance=len(records))
                    if consumer.position(tp) >= end[tp]:
                        remaining.discard(tp)
    finally:
        consumer.close()
    if write:
        encoded = {k: core.states.encode(v) for k, v in states.items()}
        target_topic = target_topic or replay_topic_name(settings)
        _ensure_compacted(settings, target_topic)
        producer = make_producer(
            settings, client_id="lifecycle-replay", linger_ms=50, batch_size=262_144
        )
        for key, value in encoded.items():
            producer.send(target_topic, key=key.encode(), value=value)
        producer.flush()
        producer.close()
    return ReplayResult(events, applied, duplicates, dict(letters), time.perf_counter() - started,
                        target_topic if write else None, states)  # fmt: skip


def _procedure_code(event: Mapping[str, Any], state: Mapping[str, Any] | None) -> str | None:
    if event["event_type"] == "DOSSIER_SUBMITTED":
        return str(event["payload"][1]["procedure_code"])
    if (
        event["event_type"] == "DOSSIER_ACCEPTED"
        and state is not None
        and state.get("procedure_code")
    ):
        return str(state["procedure_code"])
    return None


def read_states(
    settings: Settings, registry: RegistryClient, topic: str
) -> dict[str, dict[str, Any]]:
    """The latest decoded state per dossier on a state topic (live or replayed)."""
    serde = serde_for(DOSSIER_STATE, settings.topic_prefix, registry)
    consumer = make_consumer(settings, group_id=None, max_poll_records=5000)
    latest: dict[str, bytes] = {}
    try:
        tps = _partitions(consumer, topic)
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if record.value is None:
                        latest.pop(record.key.decode(), None)
                    else:
                        latest[record.key.decode()] = record.value
    finally:
        consumer.close()
    return {k: serde.decode(v) for k, v in latest.items()}


def live_lag(settings: Settings, group_id: str | None = None) -> int:
    """Events of the log the live processor has not committed yet (its consumer group lag)."""
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    # A consumer of the group that never subscribes: it only fetches the committed offsets.
    consumer = make_consumer(settings, group_id=group_id or app_id_for(settings))
    try:
        tps = _partitions(consumer, topic)
        end = consumer.end_offsets(tps)
        return sum(end[tp] - (consumer.committed(tp) or 0) for tp in tps)
    finally:
        consumer.close()


def wait_caught_up(settings: Settings, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (lag := live_lag(settings)) > 0:
        if time.monotonic() > deadline:
            raise LiveStateLagging(f"live processor is {lag} events behind the log")
        time.sleep(0.5)


def compare(
    live: Mapping[str, Mapping[str, Any]], rebuilt: Mapping[str, Mapping[str, Any]]
) -> list[Difference]:
    """Every dossier whose live and rebuilt states differ, with the fields that differ."""
    out: list[Difference] = []
    for dossier_id in sorted(set(live) | set(rebuilt)):
        a, b = live.get(dossier_id), rebuilt.get(dossier_id)
        if a is None or b is None:
            out.append(Difference(dossier_id, "only in the replay" if a is None else "only live"))
            continue
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                out.append(
                    Difference(
                        dossier_id,
                        f"{name}: live={_short(a.get(name))} replay={_short(b.get(name))}",
                    )
                )
    return out


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def replay_check(
    settings: Settings,
    registry: RegistryClient,
    *,
    replayed_topic: str | None = None,
    wait_s: float = 60.0,
    progress: bool = False,
) -> list[Difference]:
    """Compare the live ``dossier.state`` with a replay (``replayed_topic``, or one run now)."""
    wait_caught_up(settings, wait_s)
    live = read_states(settings, registry, DOSSIER_STATE.name(settings.topic_prefix))
    if replayed_topic is not None:
        rebuilt = read_states(settings, registry, replayed_topic)
    else:
        rebuilt = dict(replay(settings, registry, write=False, progress=progress).states)
    return compare(live, rebuilt)
