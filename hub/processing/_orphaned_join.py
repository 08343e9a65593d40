"""A workaround for kafka-python 3.0.12: a group leader that orphans its own rejoin.

A member rejoins its group when the coordinator says so (``rejoin_needed``) or, if it is the
leader, when the topics' metadata no longer matches what it last assigned (its assignment
snapshot). In the second case the join runs as a task on the IO thread while ``poll`` waits
for it at most its timeout (0.1 s here); the leader's ``_perform_assignment`` then sets the
assignment snapshot to the metadata's, so the next ``poll`` sees no need to rejoin and never
takes the join's result. The member stays ``REBALANCING`` for good: its heartbeats stay off,
so the coordinator expels it after the session timeout; it goes on fetching the partitions it
had (another member now owns them too) and every commit is refused ("not part of an active
group"). Seen in the loop's kill test when a second worker joined, in a fresh worker alone in
its group, and in a lone consumer whose topic appeared after it subscribed; the fault suite's
outbox stuck after a broker kill had the same signature. ``tests/processing/
test_orphaned_join.py`` makes it happen at will.

``rejoin_if_orphaned`` puts such a member back: asked to rejoin, its next ``poll`` joins again
(as a new member if it was expelled) and this time takes the result. Before it, the consume
loop's only way out was ``GroupStuck``: a minute of refused commits, then a restart.
"""

from __future__ import annotations

import logging

from kafka import KafkaConsumer
from kafka.structs import MemberState

log = logging.getLogger("hub.processing.loop")


def orphaned(consumer: KafkaConsumer) -> bool:
    """Whether the consumer's group membership is rebalancing with nothing left to drive it.

    Reads kafka-python's private coordinator (pinned in requirements.lock): a version without
    it answers False, and the test of this module fails, saying the workaround is unchecked.
    """
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or not hasattr(coordinator, "need_rejoin"):
        return False
    return bool(coordinator.state == MemberState.REBALANCING and not coordinator.need_rejoin())


def rejoin_if_orphaned(consumer: KafkaConsumer, name: str) -> bool:
    """Ask an orphaned member to rejoin (True if it was one); the next ``poll`` joins."""
    if not orphaned(consumer):
        return False
    log.warning("%s: rebalancing with nothing to take the join's result (kafka-python's "
                "leader rejoin after a metadata change): joining again", name)  # fmt: skip
    consumer._coordinator.request_rejoin()
    return True
