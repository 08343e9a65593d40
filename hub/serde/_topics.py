"""Binding the contract to topics: each topic's value schema under ``<topic>-value``."""

from __future__ import annotations

from hub.serde._registry import RegistryClient
from hub.serde._schemas import load_schema
from hub.serde._wire import AvroSerde
from hub.topics import ALL_TOPICS, TopicSpec, subject_for


def serde_for(spec: TopicSpec, prefix: str, registry: RegistryClient) -> AvroSerde:
    """The serde of ``spec``'s values on the topic named with ``prefix``."""
    return AvroSerde(registry, subject_for(spec.name(prefix)), load_schema(spec.value_schema))


def register_topic_schemas(registry: RegistryClient, prefix: str) -> dict[str, int]:
    """Register every topic's value schema (BACKWARD_TRANSITIVE); returns topic -> schema id."""
    return {spec.name(prefix): serde_for(spec, prefix, registry).schema_id for spec in ALL_TOPICS}
