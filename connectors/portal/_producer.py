"""What the portal connector produces, through the shared ack-after-broker publisher.

One idempotent ``acks=all`` producer (``connectors.common.AckedPublisher``) is shared by every
request. Its delivery timeout equals the connector's acknowledgement timeout, so a record the
connector gave up on (and answered 503 for) is also given up by the producer, instead of landing
minutes later behind the client's retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.common import AckedPublisher, NotAcknowledged
from connectors.portal._dedupe import Marker, accepted_ids_topic
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, TopicSpec

__all__ = ["Keyed", "NotAcknowledged", "Publisher"]


@dataclass(frozen=True)
class Keyed:
    """A record to produce with its Kafka key."""

    key: str
    record: dict[str, Any]


class Publisher(AckedPublisher):
    """Events, catalogue entries and accepted-id markers; every method blocks until acked."""

    def __init__(
        self, settings: Settings, registry: RegistryClient, *, ack_timeout_s: float
    ) -> None:
        super().__init__(settings, registry, client_id="dvchub-portal", ack_timeout_s=ack_timeout_s)
        self.events_topic = DOSSIER_EVENTS.name(self.prefix)
        self.procedures_topic = CATALOG_PROCEDURES.name(self.prefix)
        self.markers_topic = accepted_ids_topic(settings)

    def warm_up(self, *specs: TopicSpec) -> None:
        """Register both value schemas now rather than in the first request."""
        super().warm_up(*(specs or (DOSSIER_EVENTS, CATALOG_PROCEDURES)))

    def publish_events(self, events: Sequence[Keyed]) -> None:
        self.publish(DOSSIER_EVENTS, [(e.key, e.record) for e in events])

    def publish_procedure(self, procedure: Keyed) -> None:
        self.publish(CATALOG_PROCEDURES, [(procedure.key, procedure.record)])

    def publish_markers(self, markers: Sequence[Marker]) -> None:
        self.publish_bytes(self.markers_topic, [(m.event_id, m.to_value()) for m in markers])
