"""The shared consume loop's contract (``hub.processing.ConsumeLoop``), on the real broker and
registry, with two worker processes of a minimal handler (``tests.processing.loop_echo``).

One is killed -9 mid-stream: nothing is lost (every event echoed), nothing is doubled that
was committed (only the victim's partitions see repeats, and a dedupe by id leaves each event
once); a poison record is dead-lettered with its bytes and its partition goes on; after a
SIGTERM the survivor's group has committed everything, so a fresh worker echoes nothing again.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from hub.events import new_event
from hub.kafka import ensure_topics, make_producer, read_to_end
from hub.processing import WorkerProcess
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS
from tests.lifecycle._support import wait_until
from tests.processing.loop_echo import BOOM, LOOP_ECHO, NAME

DOSSIERS = 30
EVENTS_PER_WAVE = 160
POISON = b"not an Avro record at all"
APPLIED = f'dvchub_processor_events_total{{processor="{NAME}",outcome="applied"}}'
#: a fresh worker assigned every partition reads from the commits within a few 100 ms polls
REDO_WINDOW_S = 3.0


class EchoProcess(WorkerProcess):
    def __init__(self, settings: Settings, log_dir: Path, name: str) -> None:
        # 16 at a time, each up to 1 s: at the kill many are in flight, finished out of order,
        # across several commits (every 0.5 s); a mark past an unfinished one would lose it
        super().__init__(
            None, settings, log_dir / f"{name}.log", module="tests.processing.loop_echo",
            args=("--delay-ms", "1000", "--threads", "16"),
        )  # fmt: skip


def _echoes(settings: Settings) -> list[tuple[int, str]]:
    """(partition, event id) of every echo so far."""
    records = read_to_end(settings, LOOP_ECHO.name(settings.topic_prefix), timeout_s=30)
    return [(r.partition, r.value.decode()) for r in records]


def _dead_letters(settings: Settings, registry: RegistryClient) -> list[tuple[str, str, bytes]]:
    serde = serde_for(DEADLETTER, settings.topic_prefix, registry)
    records = read_to_end(settings, DEADLETTER.name(settings.topic_prefix), timeout_s=30)
    letters = (serde.decode(r.value) for r in records)
    return [(d["processor"], d["reason_code"], d["original_value"]) for d in letters]


def test_a_killed_consumer_loses_nothing_and_the_poison_stalls_nothing(
    settings: Settings, registry: RegistryClient, tmp_path: Path
) -> None:
    ensure_topics(settings, [DOSSIER_EVENTS, LOOP_ECHO, DEADLETTER])
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    now = datetime.now(UTC)
    waves = [
        [new_event(f"HS-LOOP-{i % DOSSIERS:02d}", "DossierRefused", {"reason": "x"},
                   source="HUB", occurred_at=now) for i in range(EVENTS_PER_WAVE)]
        for _ in range(2)
    ]  # fmt: skip
    ids = {str(e["event_id"]) for wave in waves for e in wave}
    boom = serde.encode(new_event(BOOM, "DossierRefused", {"reason": "x"}, source="HUB",
                                  occurred_at=now))  # fmt: skip
    workers = [EchoProcess(settings, tmp_path, f"echo-{n}") for n in (1, 2)]
    producer = make_producer(settings)
    try:
        for worker in workers:
            worker.wait_ready(90)
        wait_until(lambda: all(w.status().get("assigned") for w in workers), 60, 0.2)
        for i, event in enumerate(waves[0]):
            if i == EVENTS_PER_WAVE // 2:  # mid-stream, in a dossier with events after it
                producer.send(topic, key=event["dossier_id"].encode(), value=POISON)
                producer.send(topic, key=BOOM.encode(), value=boom)
            producer.send(topic, key=event["dossier_id"].encode(), value=serde.encode(event))
        producer.flush()
        wait_until(lambda: sum(w.metric(APPLIED) for w in workers) >= 30, 60, 0.05)
        victim, survivor = workers
        victims = {int(a.rsplit(":", 1)[1]) for a in victim.status().get("assigned", [])}
        victim.kill()
        assert len(_echoes(settings)) < len(ids), "the kill came after the stream"
        for event in waves[1]:
            producer.send(topic, key=event["dossier_id"].encode(), value=serde.encode(event))
        producer.flush()
        wait_until(lambda: {e for _, e in _echoes(settings)} >= ids, 120, 0.5)
        letters = wait_until(lambda: len(set(_dead_letters(settings, registry))) >= 2 and
                             _dead_letters(settings, registry), 30, 0.5)  # fmt: skip
        # every echo exists while the survivor may still be redoing the victim's uncommitted
        # range; a SIGTERM makes work in flight stale (the next owner redoes it), so stop it once
        # it has read every partition to its end and settled all it read
        wait_until(lambda: (s := survivor.status()).get("pending") == 0
                   and s.get("behind") == [], 60, 0.2)  # fmt: skip
        survivor.stop()  # SIGTERM: what it did since its last commit is committed as it stops
        assert survivor.proc.returncode == 0
        echoed = _echoes(settings)

        fresh = EchoProcess(settings, tmp_path, "fresh")
        workers.append(fresh)
        fresh.wait_ready(90)
        wait_until(lambda: fresh.status().get("assigned"), 60, 0.2)
        # what it would redo arrives within a few polls; nothing should
        wait_until(
            lambda: (
                fresh.metric(f'dvchub_processor_batch_messages_count{{processor="{NAME}"}}') == 0
                and fresh.status().get("pending") == 0
            ),
            10,
            0.5,
        )
        assert len(_echoes(settings)) == len(echoed), "a committed event was redone"
    finally:
        producer.close()
        for worker in workers:
            if worker.alive():
                worker.stop()
    counts = Counter(event_id for _, event_id in echoed)
    assert set(counts) == ids  # nothing lost, nothing made up
    doubled = {partition for partition, event_id in echoed if counts[event_id] > 1}
    assert doubled <= victims, "only what the victim had not committed is redone"
    # set aside with their bytes (perhaps twice: the victim's may be redone)
    assert set(letters) == {(NAME, "UNDECODABLE", POISON), (NAME, "PROCESSING_ERROR", boom)}
