"""``hub.records``, the schemas as TypedDicts: what the generator makes now, field for field.

The package is generated (``python -m hub.serde._typed``); these tests fail when a schema
changed and the package was not generated again, or when the generator lost a field.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator, Mapping
from typing import Any, NotRequired, get_origin

import pytest

import hub.records
from hub.serde import SCHEMA_DIR, TOP_LEVEL_SCHEMAS, load_schema
from hub.serde._codegen import full_name
from hub.serde._typed import RECORDS_PACKAGE, render


def _records(schema: Any, namespace: str = "") -> Iterator[Mapping[str, Any]]:
    """Every record schema defined in ``schema`` (nested ones included)."""
    if isinstance(schema, list):
        for branch in schema:
            yield from _records(branch, namespace)
    elif isinstance(schema, dict):
        namespace = schema.get("namespace", namespace)
        if schema["type"] == "record":
            yield schema
        for field in schema.get("fields", ()):
            yield from _records(field["type"], namespace)
        for key in ("items", "values"):
            if key in schema:
                yield from _records(schema[key], namespace)


def _all_records() -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for name in TOP_LEVEL_SCHEMAS:
        for record in _records(load_schema(name)):
            found.setdefault(record["name"].rpartition(".")[2], record)
    return found


def test_the_package_is_what_the_schemas_make() -> None:
    generated = render()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in RECORDS_PACKAGE.glob("*.py")}
    assert sorted(on_disk) == sorted(generated), "run python -m hub.serde._typed"
    for file, text in generated.items():
        assert on_disk[file] == text, f"hub/records/{file} differs: run python -m hub.serde._typed"


def test_every_generated_file_is_a_module_of_allowed_size() -> None:
    for file, text in render().items():
        assert text.count("\n") < 400, file


def test_each_typeddict_has_its_records_fields_and_defaults_are_not_required() -> None:
    names = vars(hub.records)
    records = _all_records()
    assert records, "no record found in the schemas"
    for short, schema in records.items():
        typed = names[short]
        hints = typing.get_type_hints(typed, localns=names, include_extras=True)
        assert list(hints) == [f["name"] for f in schema["fields"]], short
        optional = {name for name, hint in hints.items() if get_origin(hint) is NotRequired}
        assert optional == {f["name"] for f in schema["fields"] if "default" in f}, short


def test_each_enum_is_a_literal_of_its_symbols() -> None:
    names = vars(hub.records)
    enums = 0
    for path in SCHEMA_DIR.glob("*.avsc"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if schema["type"] == "enum":
            enums += 1
            assert typing.get_args(names[schema["name"]]) == tuple(schema["symbols"]), path.name
    assert enums


@pytest.mark.parametrize(
    ("alias", "schema", "field"),
    [("DossierEventPayload", "DossierEvent", "payload"),
     ("PartnerCommandPayload", "PartnerCommand", "payload")],
)  # fmt: skip
def test_a_union_of_records_is_named_tuples_of_its_branches(
    alias: str, schema: str, field: str
) -> None:
    """As the serde reads such a union: ``(full record name, record)``."""
    (branches,) = [f["type"] for f in load_schema(schema)["fields"] if f["name"] == field]
    names = [
        b if isinstance(b, str) else full_name(b["name"], b.get("namespace")) for b in branches
    ]
    tuples = typing.get_args(vars(hub.records)[alias])
    assert [typing.get_args(typing.get_args(t)[0])[0] for t in tuples] == names
    assert [typing.get_args(t)[1].__name__ for t in tuples] == [n.rsplit(".", 1)[1] for n in names]
