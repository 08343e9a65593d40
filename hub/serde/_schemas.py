"""The local Avro contract: loading ``schemas/*.avsc`` and their released versions.

Shared named types live once, in ``schemas/<namespace>.<Name>.avsc``; fastavro resolves them by
file name and expands each top-level schema into the self-contained JSON the registry stores.
Released versions are snapshots of that expanded JSON in ``schemas/released/<Name>/v<N>.avsc``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeAlias

import fastavro.schema

from hub.serde._exceptions import SchemaLoadError
from hub.settings import REPO_ROOT

SCHEMA_DIR = REPO_ROOT / "schemas"
NAMESPACE = "vn.dvchub"
TOP_LEVEL_SCHEMAS: tuple[str, ...] = (
    "DossierEvent",
    "DossierState",
    "Procedure",
    "PartnerCommand",
    "PartnerOutcome",
    "PaymentState",
    "ReconciliationMismatch",
    "RoutingState",
    "SlaAlert",
    "DossierDeadline",
    "KpiSnapshot",
    "KpiDossier",
    "KpiFact",
    "ProcedureHistory",
    "DeadLetter",
)

#: A JSON document as ``json.loads`` gives it (an Avro schema is one), read-only.
JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | Mapping[str, JsonValue] | None"
#: A JSON object: an Avro record, enum, array or map schema, or a field.
JsonObject = Mapping[str, JsonValue]
#: A whole schema as callers build and edit it (tests and tools change one in place, reaching
#: into its fields): the code generators read it as a ``JsonObject``.
Schema = dict[str, Any]


@lru_cache(maxsize=64)
def _load_expanded(name: str, schema_dir: Path) -> str:
    path = schema_dir / f"{NAMESPACE}.{name}.avsc"
    if not path.is_file():
        raise SchemaLoadError(f"no schema file {path}")
    try:
        expanded = fastavro.schema.load_schema(str(path), _write_hint=False)
    except (fastavro.schema.SchemaParseException, ValueError, KeyError) as exc:
        raise SchemaLoadError(f"{path.name}: {exc}") from exc
    return json.dumps(expanded, ensure_ascii=False)


def load_schema(name: str, schema_dir: Path = SCHEMA_DIR) -> Schema:
    """The self-contained schema of ``name`` (e.g. ``"DossierEvent"``), as a fresh dict."""
    loaded: Schema = json.loads(_load_expanded(name, schema_dir))
    return loaded


def canonical_json(schema: Schema) -> str:
    """Stable JSON text of a schema (sorted keys), for comparing and registering."""
    return json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def released_dir(name: str, schema_dir: Path = SCHEMA_DIR) -> Path:
    return schema_dir / "released" / name


def released_versions(name: str, schema_dir: Path = SCHEMA_DIR) -> list[Schema]:
    """Every released version of ``name``, oldest first."""
    folder = released_dir(name, schema_dir)
    files = sorted(folder.glob("v*.avsc"), key=lambda p: int(p.stem[1:]))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


def release_current(name: str, schema_dir: Path = SCHEMA_DIR) -> Path | None:
    """Snapshot the current schema as the next released version, unless it is already the latest."""
    current = load_schema(name, schema_dir)
    versions = released_versions(name, schema_dir)
    if versions and canonical_json(versions[-1]) == canonical_json(current):
        return None
    folder = released_dir(name, schema_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{len(versions) + 1}.avsc"
    path.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
