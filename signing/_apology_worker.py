"""``dvchub worker apology``: the apology letters of ``signing._apology`` as a processor on the
hub's consume loop (``hub.processing.ConsumeLoop``).

It consumes ``<prefix>sla.alerts`` in a consumer group of its own and follows two views of the
dossiers (``hub.materialized``): the lifecycle's ``dossier.state`` (applicant, procedure) and the
SLA's ``sla.deadlines`` (agency, dates, an apology already issued, the late record's reason).
Before deciding on an alert it waits (bounded) until the deadlines view holds the record that
raised the alert (so an officer's ApologyIssued the SLA applied before it is seen) and the
states view caught up with its topic. A letter is written,
signed and its ApologyIssued acknowledged by the broker on ``dossier.events`` before the alert
is done: a crash repeats at most the letters not committed, under the same event id (one per
dossier), which the folds of the event log drop. A signature that fails writes nothing (the
officers send their own letter; ``dvchub_apology_letters{outcome="signing_failed"}``).

The worker takes the signing worker's configuration (``DVC_SIGNING_*``, ``DVC_SIGNING_STORE_DIR``)
and the letters' (``DVC_APOLOGY_*``: ``ApologySettings``, ``DVC_APOLOGY_FONT_DIR``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Any, Final, cast

from prometheus_client import Counter

from hub.kafka import ensure_topics, make_producer
from hub.materialized import MaterializedTopic
from hub.processing import (
    ConsumeLoop,
    LoopHandler,
    LoopOptions,
    LoopSpec,
    RunnerOptions,
    Ticket,
    run_until_signalled,
)
from hub.records import DossierDeadline, DossierState, SlaAlert
from hub.serde import AvroSerde, RegistryClient, serde_for
from hub.settings import Settings
from hub.sla import alert_tag
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE, SLA_ALERTS, SLA_DEADLINES

from ._apology import ASKING, ApologySettings, ApologyWriter, Skip, letter_for
from ._processor import MAX_POLL_RECORDS, publish_acknowledged
from ._worker import configured_service

LETTERS = Counter("dvchub_apology_letters", "Apology alerts handled, by outcome.", ["outcome"])
log = logging.getLogger("signing.apology")
#: How long an alert waits for the views to catch up with their topics before it is decided.
CATCH_UP_S: Final = 10.0


def group_for(settings: Settings) -> str:
    return f"{settings.topic_prefix}apology"


class ApologyProcessor(LoopHandler):
    """SLA alerts asking for an apology, answered with a signed letter (``run`` blocks until
    ``stop``)."""

    name = "apology"
    source = SLA_ALERTS
    outputs = (DOSSIER_EVENTS,)

    def __init__(
        self, settings: Settings, writer: ApologyWriter, registry: RegistryClient, *,
        letters: ApologySettings | None = None, options: LoopOptions | None = None,
    ) -> None:  # fmt: skip
        prefix = settings.topic_prefix
        options = options or LoopOptions(
            group_id=group_for(settings), client_id="dvchub-apology",
            max_poll_records=MAX_POLL_RECORDS,
        )  # fmt: skip
        self._settings = settings
        self._writer = writer
        self._letters = letters or ApologySettings.from_env()
        self._topic = DOSSIER_EVENTS.name(prefix)
        self._serde: AvroSerde = serde_for(DOSSIER_EVENTS, prefix, registry)
        self.states = MaterializedTopic[DossierState](
            settings, serde_for(DOSSIER_STATE, prefix, registry), DOSSIER_STATE.name(prefix),
            what="dossiers",
        )  # fmt: skip
        self.deadlines = MaterializedTopic[DossierDeadline](
            settings, serde_for(SLA_DEADLINES, prefix, registry), SLA_DEADLINES.name(prefix),
            what="deadlines",
        )  # fmt: skip
        #: dossiers this process wrote a letter for: a redelivery before the SLA applied it
        self._written: set[str] = set()
        producer = make_producer(settings, client_id=options.client_id)
        self.loop = ConsumeLoop(settings, self, options, producer=producer, registry=registry)

    def run(self) -> None:
        self.loop.run()

    def stop(self) -> None:
        self.loop.stop()

    def open(self) -> None:
        _ = self._serde.schema_id
        ensure_topics(self._settings, [DOSSIER_STATE, SLA_DEADLINES])  # the views follow them
        for view in (self.states, self.deadlines):
            view.start().wait_ready()

    def close(self) -> None:
        for view in (self.states, self.deadlines):
            view.stop()

    def ready(self) -> bool:
        return self.states.ready and self.deadlines.ready

    def handle(self, ticket: Ticket, value: Mapping[str, Any]) -> None:
        alert = cast(SlaAlert, value)  # the decoding boundary: sla.alerts holds SlaAlert records
        dossier = alert["dossier_id"]
        if dossier in self._written:
            self._finish(ticket, "repeated")
            return
        if alert["kind"] in ASKING:
            self._catch_up(alert)
        letter = letter_for(
            alert, self.states.get(dossier), self.deadlines.get(dossier), self._letters
        )
        if isinstance(letter, Skip):
            self._finish(ticket, letter.why)
            return
        event = self._writer.write(alert, letter)
        if not isinstance(event, Mapping):
            log.warning("apology letter of %s not signed: %s", dossier, event.reason_code)
            self._finish(ticket, "signing_failed")
            return
        if publish_acknowledged(self.loop, self._serde, self._topic, ticket, dossier, [event]):
            self._written.add(dossier)
            self._finish(ticket, "written")

    def _catch_up(self, alert: SlaAlert) -> None:
        """Until the deadlines view holds the record that raised ``alert`` (bounded: the SLA may
        publish its state after its alerts), and the states view what was on its topic."""
        tag = alert_tag(alert["kind"], alert["due_at"])
        deadline = time.monotonic() + CATCH_UP_S
        while time.monotonic() < deadline:
            self.deadlines.catch_up().wait(deadline - time.monotonic())
            record = self.deadlines.get(alert["dossier_id"])
            if record is not None and tag in record["alerts_raised"]:
                break
        self.states.catch_up().wait(CATCH_UP_S)

    def _finish(self, ticket: Ticket, outcome: str) -> None:
        LETTERS.labels(outcome).inc()
        ticket.done(outcome)


def run_worker(settings: Settings, options: RunnerOptions) -> None:
    """Write the letters SLA alerts ask for until SIGTERM / SIGINT."""
    service, store, config = configured_service("apology")
    loop_options = LoopOptions.of_runner(options, group_for(settings), "dvchub-apology")
    loop_options = dataclasses.replace(
        loop_options, max_poll_records=min(options.batch_max, MAX_POLL_RECORDS)
    )
    writer = ApologyWriter(service, store, timestamped=config.tsa is not None)
    with RegistryClient(settings.schema_registry_url) as registry:
        processor = ApologyProcessor(settings, writer, registry, options=loop_options)
        run_until_signalled(processor.loop)


SPEC = LoopSpec(
    "apology", run_worker,
    side_topics=(DOSSIER_STATE, SLA_DEADLINES),
    environment=("DVC_SIGNING_*", "DVC_SIGNING_STORE_DIR", "DVC_APOLOGY_*"),
)  # fmt: skip
