"""The Avro contract: documented, growable, released, backward compatible on the real registry."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from hub.serde import (
    SCHEMA_DIR,
    TOP_LEVEL_SCHEMAS,
    IncompatibleSchema,
    RegistryClient,
    canonical_json,
    load_schema,
    released_versions,
)
from hub.topics import ALL_TOPICS


def _walk(schema: Any) -> Iterator[dict[str, Any]]:
    """Every named or field node of an expanded schema."""
    if isinstance(schema, dict):
        yield schema
        for key in ("fields", "items", "values", "type"):
            if key in schema:
                yield from _walk(schema[key])
    elif isinstance(schema, list):
        for item in schema:
            yield from _walk(item)


def _fields(name: str) -> Iterator[dict[str, Any]]:
    for node in _walk(load_schema(name)):
        if node.get("type") == "record":
            yield from node["fields"]


@pytest.mark.parametrize("name", TOP_LEVEL_SCHEMAS)
def test_every_field_is_documented(name: str) -> None:
    undocumented = [f["name"] for f in _fields(name) if not f.get("doc")]
    assert undocumented == []


@pytest.mark.parametrize("name", TOP_LEVEL_SCHEMAS)
def test_enums_have_a_default_so_they_can_grow(name: str) -> None:
    enums = [n for n in _walk(load_schema(name)) if n.get("type") == "enum"]
    assert enums, f"{name} uses no enum"
    for enum in enums:
        assert enum.get("default") == "UNKNOWN", enum["name"]
        assert enum["symbols"][0] == "UNKNOWN", enum["name"]


@pytest.mark.parametrize("name", TOP_LEVEL_SCHEMAS)
def test_amounts_are_long_and_moments_are_timestamps(name: str) -> None:
    for field in _fields(name):
        types = field["type"] if isinstance(field["type"], list) else [field["type"]]
        concrete = [t for t in types if t != "null"]
        if field["name"].endswith("_vnd"):
            assert concrete == ["long"], field["name"]
        if field["name"].endswith("_at"):
            assert len(concrete) == 1, field["name"]
            assert concrete[0] == {"type": "long", "logicalType": "timestamp-millis"}, field["name"]


@pytest.mark.parametrize("name", TOP_LEVEL_SCHEMAS)
def test_current_schema_is_the_latest_released_version(name: str) -> None:
    versions = released_versions(name)
    assert versions, f"{name} has no released version"
    assert canonical_json(versions[-1]) == canonical_json(load_schema(name)), (
        f"schemas/ changed {name} since its last release: run `dvchub schemas release` "
        "and commit the new version (the compatibility test then checks it)"
    )


@pytest.mark.parametrize("name", TOP_LEVEL_SCHEMAS)
def test_release_history_is_backward_transitive(registry: RegistryClient, name: str) -> None:
    """Registering every released version in order must succeed under BACKWARD_TRANSITIVE."""
    subject = f"test.{uuid.uuid4().hex}-value"
    ids = [registry.register(subject, version) for version in released_versions(name)]
    ids.append(registry.register(subject, load_schema(name)))
    assert registry.compatibility(subject) == "BACKWARD_TRANSITIVE"
    assert len(registry.versions(subject)) == len(set(ids))


def test_registry_refuses_a_breaking_change(registry: RegistryClient) -> None:
    """The check above can fail: a new required field without default is refused."""
    subject = f"test.{uuid.uuid4().hex}-value"
    registry.register(subject, load_schema("DossierEvent"))
    broken = copy.deepcopy(load_schema("DossierEvent"))
    broken["fields"].append({"name": "province_code", "type": "string", "doc": "new, no default"})
    with pytest.raises(IncompatibleSchema, match="province_code"):
        registry.register(subject, broken)


def test_compatibility_is_checked_against_every_version_not_only_the_latest(
    registry: RegistryClient,
) -> None:
    """v1 -> v2 (drops a field) -> v3 (re-adds it without default) breaks v1 data: refused."""
    subject = f"test.{uuid.uuid4().hex}-value"
    v1 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
    v2 = {"type": "record", "name": "R", "fields": []}
    v3 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    registry.register(subject, v1)
    registry.register(subject, v2)
    with pytest.raises(IncompatibleSchema):
        registry.register(subject, v3)


def test_asyncapi_documents_every_topic() -> None:
    text = (SCHEMA_DIR / "asyncapi.yaml").read_text(encoding="utf-8")
    for spec in ALL_TOPICS:
        assert f"dvc.{spec.suffix}" in text, spec.suffix
        assert f"vn.dvchub.{spec.value_schema}.avsc" in text, spec.value_schema
