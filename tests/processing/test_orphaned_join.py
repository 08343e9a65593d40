"""kafka-python's orphaned leader rejoin (``hub.processing._orphaned_join``), on the real broker.

A group's only member (so its leader) is made to see a metadata change (its assignment snapshot
no longer the metadata's) and polled as the consume loop polls while a join takes longer than
one poll: without the workaround it stays rebalancing with nothing to finish it, expelled and
refused every commit; with it, it is back in the group at the next polls. The first test is
kafka-python's bug itself: when a release fixes it, it fails, and the workaround can go.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from kafka import KafkaConsumer
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.errors import KafkaError
from kafka.structs import MemberState, OffsetAndMetadata

from hub.kafka import ensure_topics, make_consumer, partitions_of
from hub.processing._orphaned_join import orphaned, rejoin_if_orphaned
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.lifecycle._support import wait_until

SESSION_MS = 6_000


@pytest.fixture
def leader(settings: Settings) -> Iterator[KafkaConsumer]:
    """The only member of a group of its own, stable, every partition of its topic assigned."""
    ensure_topics(settings, [DOSSIER_EVENTS])
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    consumer = make_consumer(
        settings, group_id=f"{settings.topic_prefix}orphan", session_timeout_ms=SESSION_MS,
        heartbeat_interval_ms=2_000, partition_assignment_strategy=(CooperativeStickyAssignor,),
    )  # fmt: skip
    try:
        partitions_of(consumer, topic, timeout_s=30)
        consumer.subscribe([topic])
        wait_until(lambda: _joined(consumer), 30, 0.0)
        yield consumer
    finally:
        consumer.close(autocommit=False)


def _stable(consumer: KafkaConsumer) -> bool:
    return bool(consumer._coordinator.state == MemberState.STABLE)


def _joined(consumer: KafkaConsumer) -> bool:
    """One poll as the consume loop's; then whether it is in the group with all 3 partitions."""
    consumer.poll(timeout_ms=100)
    return _stable(consumer) and len(consumer.assignment()) == 3


def _orphan(consumer: KafkaConsumer) -> None:
    """A metadata change seen by the leader, polled without waiting for the join it starts."""
    consumer._coordinator._assignment_snapshot = {}  # what a topic's new metadata does
    deadline = time.monotonic() + 15
    while not orphaned(consumer):
        assert time.monotonic() < deadline, "the leader's rejoin was not orphaned"
        consumer.poll(timeout_ms=0)
        time.sleep(0.05)


def _commit(consumer: KafkaConsumer) -> bool:
    try:
        consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in consumer.assignment()})
    except KafkaError:  # CommitFailedError, RebalanceInProgressError: not in the group
        return False
    return True


def test_kafka_python_orphans_a_leaders_rejoin_for_good(leader: KafkaConsumer) -> None:
    _orphan(leader)
    until = time.monotonic() + SESSION_MS / 1000 + 4  # past the session: expelled by now
    while time.monotonic() < until:
        leader.poll(timeout_ms=100)
        assert orphaned(leader), "kafka-python finished the join by itself"
    assert not _stable(leader)
    assert leader.assignment(), "it still holds (and fetches) its partitions"
    assert not _commit(leader), "a commit was accepted from outside the group"


def test_an_orphaned_member_joins_again_and_commits(leader: KafkaConsumer) -> None:
    _orphan(leader)
    time.sleep(SESSION_MS / 1000 + 2)  # expelled meanwhile, as a worker busy for a while is

    def back() -> bool:  # the consume loop's order: poll, then the workaround
        joined = _joined(leader)
        rejoin_if_orphaned(leader, "test")
        return joined

    wait_until(back, 30, 0.0)
    assert _commit(leader)
