"""A topic made again under the same name has another id: what tells a worker its local table
data belongs to a changelog that no longer exists."""

from __future__ import annotations

from hub import kafka
from hub.settings import Settings


def test_a_topic_made_again_has_a_new_id(settings: Settings) -> None:
    topic = f"{settings.topic_prefix}ids"
    assert kafka.topic_id(settings, topic) is None
    kafka.create_topic(settings, topic, partitions=1)
    first = kafka.topic_id(settings, topic)
    assert first is not None
    assert kafka.topic_id(settings, topic) == first
    admin = kafka.make_admin(settings)
    try:
        admin.delete_topics([topic])
    finally:
        admin.close()
    kafka.create_topic(settings, topic, partitions=1)
    second = kafka.topic_id(settings, topic)
    assert second is not None
    assert second != first
