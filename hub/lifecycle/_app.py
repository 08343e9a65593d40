"""The lifecycle worker, declared: its fold, its catalogue side input, run by ``hub.processing``.

The table (``<app id>-dossiers-changelog``) holds each dossier's DossierState encoded exactly as
on ``dossier.state`` (Confluent-framed Avro), so what a restarted worker recovers from the
changelog is what integrators read.
"""

from __future__ import annotations

import faust

from hub import processing
from hub.dossier import CatalogView, catalog_input
from hub.lifecycle._processor import LifecycleProcessor
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, DOSSIER_STATE

#: How a lifecycle worker runs (``hub.processing.RunnerOptions``; ``grace_s`` is how long a
#: submission waits for its procedure to reach the catalogue).
AppOptions = processing.RunnerOptions


def app_id_for(settings: Settings) -> str:
    """The faust app id, hence consumer group and changelog prefix, of ``settings``' prefix."""
    return f"{settings.topic_prefix}{LifecycleProcessor.name}"


def live_processor(settings: Settings, registry: RegistryClient) -> LifecycleProcessor:
    """The fold with a catalogue that follows ``catalog.procedures`` (loaded on ``open``)."""
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))
    return LifecycleProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        serde_for(DOSSIER_STATE, prefix, registry),
        catalog.get,
        side_inputs=catalog_input(catalog),
    )


def create_app(settings: Settings, options: AppOptions | None = None) -> faust.App:
    """The lifecycle faust app of ``settings``' topic prefix (isolated by its app id)."""
    processor = live_processor(settings, RegistryClient(settings.schema_registry_url))
    return processing.create_app(processor, settings, options)
