"""The routing worker, declared: its fold, the catalogue side input, a command counter."""

from __future__ import annotations

import faust
from prometheus_client import Counter

from hub import processing
from hub.dossier import CatalogView, catalog_input
from hub.routing._config import RoutingSettings
from hub.routing._processor import DEFAULT_REDELIVERY_WINDOW, RoutingProcessor
from hub.serde import AvroSerde, RegistryClient, load_schema, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS, PARTNER_COMMANDS

COMMANDS = Counter(
    "dvchub_routing_commands_total", "Partner commands produced by routing, by type.", ["type"]
)

#: Avro schema of the table's values.
STATE_SCHEMA = "RoutingState"


def state_subject(settings: Settings) -> str:
    """Registry subject of the table's values: its changelog topic's (TopicNameStrategy)."""
    name, table = RoutingProcessor.name, RoutingProcessor.table
    return f"{settings.topic_prefix}{name}-{table}-changelog-value"


def state_serde(settings: Settings, registry: RegistryClient) -> AvroSerde:
    return AvroSerde(registry, state_subject(settings), load_schema(STATE_SCHEMA))


def live_processor(
    settings: Settings,
    registry: RegistryClient,
    routing: RoutingSettings | None = None,
    *,
    redelivery_window: int = DEFAULT_REDELIVERY_WINDOW,
) -> RoutingProcessor:
    """The fold with a catalogue that follows ``catalog.procedures`` (loaded on ``open``)."""
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))
    return RoutingProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        state_serde(settings, registry),
        serde_for(PARTNER_COMMANDS, prefix, registry),
        catalog.get,
        (routing or RoutingSettings()).rules(),
        side_inputs=catalog_input(catalog),
        redelivery_window=redelivery_window,
        on_command=lambda command_type: COMMANDS.labels(command_type).inc(),
    )


def create_routing_app(
    settings: Settings,
    options: processing.RunnerOptions | None = None,
    routing: RoutingSettings | None = None,
) -> faust.App:
    """The routing faust app of ``settings``' topic prefix (isolated by its app id)."""
    opts = options or processing.RunnerOptions()
    processor = live_processor(
        settings, RegistryClient(settings.schema_registry_url), routing,
        redelivery_window=max(DEFAULT_REDELIVERY_WINDOW, 2 * opts.batch_max),
    )  # fmt: skip
    return processing.create_app(processor, settings, opts)
