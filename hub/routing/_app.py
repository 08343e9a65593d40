"""The routing processor, declared (``SPEC``): its fold, the catalogue side input, a command
counter; run by ``hub.processing`` (``dvchub worker routing``)."""

from __future__ import annotations

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
    settings: Settings, registry: RegistryClient, options: processing.RunnerOptions
) -> RoutingProcessor:
    """The fold with a catalogue that follows ``catalog.procedures`` (loaded on ``open``) and the
    agency directory of ``DVC_AGENCY_DIRECTORY``."""
    prefix = settings.topic_prefix
    catalog = CatalogView(settings, serde_for(CATALOG_PROCEDURES, prefix, registry))
    return RoutingProcessor(
        serde_for(DOSSIER_EVENTS, prefix, registry),
        state_serde(settings, registry),
        serde_for(PARTNER_COMMANDS, prefix, registry),
        catalog.get,
        RoutingSettings().rules(),
        side_inputs=catalog_input(catalog),
        # a batch in flight spans at most batch_max offsets per partition: twice covers it
        redelivery_window=max(DEFAULT_REDELIVERY_WINDOW, 2 * options.batch_max),
        on_command=lambda command_type: COMMANDS.labels(command_type).inc(),
    )


SPEC = processing.ProcessorSpec(
    RoutingProcessor.name,
    live_processor,
    side_topics=(CATALOG_PROCEDURES,),
    honours=frozenset({processing.Option.CATALOG_GRACE}),
    environment=("DVC_AGENCY_DIRECTORY", "DVC_DESK_DIRECTORY", "DVC_EMC_POSTAL_RECEPTION"),
)
