"""``hub.materialized.TopicFollower`` on the real broker: loading, and ``catch_up()`` as the
barrier a caller waits on before trusting that a key is not on the topic."""

from __future__ import annotations

import threading

from hub.kafka import create_topic, make_producer
from hub.materialized import TopicFollower
from hub.settings import Settings

#: Records per burst: more than one poll returns (max_poll_records below), so a barrier set
#: after the first poll would be caught short.
BURST = 1_200
MAX_POLL_RECORDS = 100
TIMEOUT_S = 30.0


class Keys(TopicFollower):
    def __init__(self, settings: Settings, topic: str) -> None:
        super().__init__(settings, topic, what="keys", max_poll_records=MAX_POLL_RECORDS)
        self.keys: list[bytes] = []

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is not None:
            self.keys.append(key)

    def __len__(self) -> int:
        return len(self.keys)


def produce(settings: Settings, topic: str, start: int, count: int) -> None:
    producer = make_producer(settings)
    try:
        for n in range(start, start + count):
            producer.send(topic, key=f"k{n}".encode(), value=b"v")
        producer.flush(timeout=TIMEOUT_S)
    finally:
        producer.close()


def test_ready_after_loading_and_catch_up_after_later_records(settings: Settings) -> None:
    topic = f"{settings.topic_prefix}follower"
    create_topic(settings, topic, partitions=3)
    produce(settings, topic, 0, BURST)
    follower = Keys(settings, topic).start()
    try:
        assert follower.wait_ready(TIMEOUT_S)
        assert len(follower) == BURST
        produce(settings, topic, BURST, BURST)  # acknowledged: on the topic before catch_up
        reached = follower.catch_up()
        assert reached.wait(TIMEOUT_S)
        assert len(follower) == 2 * BURST
        assert sorted(follower.keys) == sorted(f"k{n}".encode() for n in range(2 * BURST))
    finally:
        follower.stop()


def test_catch_up_on_an_idle_topic_returns_at_once_and_each_caller_gets_its_event(
    settings: Settings,
) -> None:
    topic = f"{settings.topic_prefix}idle"
    create_topic(settings, topic, partitions=3)
    follower = Keys(settings, topic).start()
    try:
        assert follower.wait_ready(TIMEOUT_S)
        events = [follower.catch_up() for _ in range(5)]
        waiters = [threading.Thread(target=e.wait, args=(TIMEOUT_S,)) for e in events]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
        assert all(e.is_set() for e in events)
        assert len(follower) == 0
    finally:
        follower.stop()
