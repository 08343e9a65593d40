"""Helpers of the apology tests: late dossiers as the lifecycle and the SLA see them (their folds
in memory on real serdes), published to the topics the apology worker follows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hub.events import payload_name_of
from hub.kafka import make_producer
from hub.lifecycle import LifecycleProcessor
from hub.processing import InMemoryRunner
from hub.records import DossierState
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import Reappointment
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE, SLA_ALERTS, SLA_DEADLINES
from tests.routing._support import APPLICANT, Story, catalog
from tests.signing._workers import logged_events
from tests.sla._support import Rig

APPLICANT_NAME = str(APPLICANT["full_name"])
EXTENSION = Reappointment(5)


class LateDossiers:
    """Dossiers accepted on the routing tests' catalogue (5 working days) whose apology alerts
    the SLA fold raised; ``publish`` puts their states, deadlines and alerts on the topics."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        prefix = settings.topic_prefix
        self.settings = settings
        self.sla = Rig(registry, prefix, catalog=catalog())
        self.sla.processor.reappointment = EXTENSION
        self.events = serde_for(DOSSIER_EVENTS, prefix, registry)
        self.states = serde_for(DOSSIER_STATE, prefix, registry)
        self.lifecycle: InMemoryRunner[DossierState] = InMemoryRunner(
            LifecycleProcessor(self.events, self.states, catalog().get)
        )
        self.stories: dict[str, Story] = {}
        self.raised: dict[tuple[str, str], dict[str, Any]] = {}

    def accept(self, dossier_id: str, **submitted: Any) -> Story:
        story = Story(dossier_id, **submitted).then("DOSSIER_ACCEPTED")
        self.stories[dossier_id] = story
        self.apply(*story.events)
        return story

    def apply(self, *events: Mapping[str, Any]) -> None:
        self.sla.feed(*events)
        self.lifecycle.run(self.sla.message(e) for e in events)

    def alert(self, dossier_id: str, kind: str = "APOLOGY_DUE") -> dict[str, Any]:
        """Fire the timers until the dossier raised ``kind`` (others' alerts are kept)."""
        while (dossier_id, kind) not in self.raised:
            due = self.sla.due(dossier_id)
            assert due is not None, f"{dossier_id} raised no {kind}"
            self.raised.update({(a["dossier_id"], a["kind"]): a for a in self.sla.fire(due)})
        return self.raised[(dossier_id, kind)]

    def publish(self, alerts: Iterable[Mapping[str, Any]] = ()) -> None:
        prefix = self.settings.topic_prefix
        producer = make_producer(self.settings)
        try:
            for dossier_id in self.stories:
                key = dossier_id.encode()
                state = self.lifecycle.state(key)
                assert state is not None, dossier_id
                producer.send(DOSSIER_STATE.name(prefix), key=key, value=self.states.encode(state))
                deadline = self.sla.processor.deadlines.encode(self.sla.record(dossier_id))
                producer.send(SLA_DEADLINES.name(prefix), key=key, value=deadline)
            producer.flush()  # the views hold them before the alerts come
            for alert in alerts:
                value = self.sla.alert_serde.encode(alert)
                producer.send(SLA_ALERTS.name(prefix), key=str(alert["dossier_id"]).encode(),
                              value=value)  # fmt: skip
            producer.flush()
        finally:
            producer.close()


def apologies(settings: Settings, registry: RegistryClient) -> list[tuple[int, dict[str, Any]]]:
    """(partition, event) of every ApologyIssued on the event log so far."""
    return logged_events(settings, registry, lambda e: payload_name_of(e) == "ApologyIssued")


def local_date(moment: datetime) -> str:
    """How the letter writes a date (Asia/Ho_Chi_Minh)."""
    from signing import VIETNAM_TZ

    return moment.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y")
