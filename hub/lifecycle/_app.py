"""The lifecycle processor, declared (``SPEC``): its fold and its catalogue side input, run by
``hub.processing`` (``dvchub worker lifecycle``).

The table (``<app id>-dossiers-changelog``) holds each dossier's DossierState encoded exactly as
on ``dossier.state`` (Confluent-framed Avro), so what a restarted worker recovers from the
changelog is what integrators read.
"""

from __future__ import annotations

from hub import processing
from hub.dossier import CatalogView, catalog_input
from hub.lifecycle._processor import LifecycleProcessor
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, DOSSIER_STATE


def app_id_for(settings: Settings) -> str:
    """The faust app id, hence consumer group and changelog prefix, of ``settings``' prefix."""
    return f"{settings.topic_prefix}{LifecycleProcessor.name}"


def live_processor(
    settings: Settings, registry: RegistryClient, options: processing.RunnerOptions
) -> LifecycleProcessor:
    """The fold with a catalogue that follows ``catalog.procedures`` (loaded on ``open``); a
    submission waits ``options.grace_s`` for its procedure (the runner's grace)."""
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))
    return LifecycleProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        serde_for(DOSSIER_STATE, prefix, registry),
        catalog.get,
        side_inputs=catalog_input(catalog),
    )


SPEC = processing.ProcessorSpec(
    LifecycleProcessor.name,
    live_processor,
    side_topics=(CATALOG_PROCEDURES,),
    honours=frozenset({processing.Option.CATALOG_GRACE}),
)
