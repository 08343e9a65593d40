"""Rebuilding dossier state from offset 0 of the event log, and checking it against the live one.

The replay reads every partition of ``dossier.events`` up to the end offsets it saw when it
started, folds each event with the same core the live agent uses (decode, dedupe by event id,
catalogue lookup, ``apply``) and writes the final state of every dossier to a fresh compacted
topic ``<prefix>dossier.state.<suffix>``. It writes no dead letters (the live processor already
did); it counts them. The catalogue is read in full first, so a submission the live processor
dead-lettered because its procedure arrived late is applied here: the check then reports it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from hub import kafka
from hub.dossier import CatalogView
from hub.lifecycle._app import app_id_for
from hub.lifecycle._errors import LiveStateLagging, ReplayError
from hub.lifecycle._processor import LifecycleProcessor
from hub.processing import InMemoryRunner, Message, is_mark, partition_of_mark
from hub.records import DossierState
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
    states: Mapping[str, DossierState] = field(repr=False)

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


def _messages(settings: Settings, topic: str) -> Iterator[Message]:
    for record in kafka.read_to_end(settings, topic, timeout_s=3600):
        yield Message.of_record(record)


def _with_progress(messages: Iterable[Message], total: int, shown: bool) -> Iterator[Message]:
    columns = (TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not shown) as bar:
        task = bar.add_task("events", total=total)
        for n, message in enumerate(messages, 1):
            yield message
            if n % 5000 == 0:
                bar.update(task, completed=n)
        bar.update(task, completed=total)


def replay(
    settings: Settings,
    registry: RegistryClient,
    *,
    target_topic: str | None = None,
    write: bool = True,
    progress: bool = True,
) -> ReplayResult:
    """Rebuild every dossier's state from offset 0; write it to ``target_topic`` if ``write``.

    The same fold as the live worker, on the in-memory runner; the catalogue is read in full
    first, so nothing is deferred. Dead letters are counted, not written (live wrote them).
    """
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry)).start()
    try:
        catalog.require_ready()
    finally:
        catalog.stop()
    processor = LifecycleProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        serde_for(DOSSIER_STATE, prefix, registry),
        catalog.get,
    )
    started = time.perf_counter()
    topic = DOSSIER_EVENTS.name(prefix)
    try:
        ranges = kafka.offsets(settings, topic)
    except kafka.TopicNotFound as exc:
        raise ReplayError(f"topic {topic} does not exist") from exc
    total = sum(end - begin for begin, end in ranges.values())
    run = InMemoryRunner(processor).run(_with_progress(_messages(settings, topic), total, progress))
    if write:
        target_topic = target_topic or replay_topic_name(settings)
        kafka.create_topic(settings, target_topic, config={"cleanup.policy": "compact"})
        producer = kafka.make_producer(
            settings, client_id="lifecycle-replay", linger_ms=50, batch_size=262_144
        )
        for key, value in run.encoded_states():
            producer.send(target_topic, key=key, value=value)
        producer.flush()
        producer.close()
    letters = Counter(letter.reason_code for letter in run.letters)
    states = {key.decode(): state for key, state in run.states.items()}
    return ReplayResult(run.messages, run.outcomes["applied"], run.outcomes["duplicate"],
                        dict(letters), time.perf_counter() - started,
                        target_topic if write else None, states)  # fmt: skip


def read_states(
    settings: Settings, registry: RegistryClient, topic: str
) -> dict[str, DossierState]:
    """The latest decoded state per dossier on a state topic (live or replayed)."""
    serde = serde_for(DOSSIER_STATE, settings.topic_prefix, registry)
    latest: dict[str, bytes] = {}
    try:
        for record in kafka.read_to_end(settings, topic, timeout_s=600):
            if record.value is None:
                latest.pop(record.key.decode(), None)
            else:
                latest[record.key.decode()] = record.value
    except kafka.TopicNotFound as exc:
        raise ReplayError(f"topic {topic} does not exist") from exc
    # the decoding boundary: the serde reads the DossierState schema
    return {k: cast(DossierState, serde.decode(v)) for k, v in latest.items()}


def changelog_topic(settings: Settings) -> str:
    """The live table's changelog (faust: ``<app id>-<table>-changelog``)."""
    return f"{app_id_for(settings)}-{LifecycleProcessor.table}-changelog"


def live_marks(settings: Settings) -> dict[int, int]:
    """partition -> next offset the live workers will apply, read from the table's changelog."""
    marks: dict[int, int] = {}
    for record in kafka.read_to_end(settings, changelog_topic(settings), timeout_s=600):
        if record.key is not None and is_mark(record.key) and record.value is not None:
            marks[partition_of_mark(record.key)] = int(record.value)
    return marks


def live_lag(settings: Settings) -> int:
    """Events of the log the live processor has not applied yet, by its own offset marks.

    Not the consumer group's committed offsets: faust-streaming may leave a taken-over
    partition's offsets uncommitted for minutes while its events are long applied.
    """
    ranges = kafka.offsets(settings, DOSSIER_EVENTS.name(settings.topic_prefix))
    try:
        marks = live_marks(settings)
    except kafka.TopicNotFound:
        marks = {}
    return sum(max(0, end - marks.get(p, begin)) for p, (begin, end) in ranges.items())


def wait_caught_up(settings: Settings, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (lag := live_lag(settings)) > 0:
        if time.monotonic() > deadline:
            raise LiveStateLagging(f"live processor is {lag} events behind the log")
        time.sleep(0.5)


def compare(
    live: Mapping[str, Mapping[str, object]], rebuilt: Mapping[str, Mapping[str, object]]
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


def _short(value: object, limit: int = 120) -> str:
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
