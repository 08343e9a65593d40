"""The connectors' typed views of Avro records (TypedDicts) against the schemas they mirror:
the same fields, each of the Python type ``hub.serde`` decodes that Avro type into, so a schema
change that the types miss fails here rather than at a partner."""

from __future__ import annotations

from datetime import datetime
from types import NoneType, UnionType
from typing import Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from connectors.bank._facts import FeePaidPayload, PaymentFailedPayload
from connectors.vnpost._types import PostalOrderRecord
from hub.serde import load_schema

PRIMITIVES: dict[str, type] = {"string": str, "int": int, "long": int, "boolean": bool}
LOGICAL: dict[str, type] = {"uuid": str, "timestamp-millis": datetime}


def python_type(avro: object, named: dict[str, object]) -> object:
    """What the TypedDict should say for ``avro``: a type, a record schema (its fields are
    compared in turn), or a tuple of the branches of an optional union."""
    if isinstance(avro, list):
        branches = [python_type(b, named) for b in avro if b != "null"]
        return (*branches, NoneType) if "null" in avro else tuple(branches)
    if isinstance(avro, dict):
        if isinstance(avro.get("name"), str):
            named[str(avro["name"])] = avro
        if avro["type"] == "enum":
            return str
        if avro["type"] == "record":
            return avro
        logical = avro.get("logicalType")
        return LOGICAL[str(logical)] if logical else python_type(avro["type"], named)
    text = str(avro)
    return PRIMITIVES[text] if text in PRIMITIVES else python_type(named[text], named)


def mismatches(view: type, schema: dict[str, object], named: dict[str, object]) -> list[str]:
    """How ``view``, a TypedDict, differs from the record ``schema`` (nothing: they agree)."""
    fields = schema["fields"]
    assert isinstance(fields, list)
    hints = get_type_hints(view)
    by_name = {str(f["name"]): f["type"] for f in fields if isinstance(f, dict)}
    if hints.keys() != by_name.keys():
        return [f"{view.__name__}: fields {sorted(hints)} != {sorted(by_name)}"]
    found: list[str] = []
    for name, avro in by_name.items():
        expected, hint = python_type(avro, named), hints[name]
        if isinstance(expected, dict):
            if not is_typeddict(hint):
                found.append(f"{view.__name__}.{name}: {hint} is not a TypedDict of a record")
            else:
                found.extend(mismatches(hint, expected, named))
        elif isinstance(expected, tuple):
            branches = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
            if set(branches) != set(expected):
                found.append(f"{view.__name__}.{name}: {hint} for {expected}")
        elif hint is not expected:
            found.append(f"{view.__name__}.{name}: {hint} for {expected}")
    return found


@pytest.mark.parametrize(
    ("view", "schema_name"),
    [
        (PostalOrderRecord, "command.PostalOrder"),
        (FeePaidPayload, "event.FeePaid"),
        (PaymentFailedPayload, "event.PaymentFailed"),
    ],
)
def test_typed_records_mirror_their_schemas(view: type, schema_name: str) -> None:
    assert mismatches(view, load_schema(schema_name), {}) == []


def test_a_drifted_record_is_caught() -> None:
    """The check itself can fail: a renamed field, a retyped one, an optional one."""
    renamed = load_schema("event.PaymentFailed")
    renamed["fields"][0]["name"] = "reference"
    assert len(mismatches(PaymentFailedPayload, renamed, {})) == 1
    retyped = load_schema("event.PaymentFailed")
    retyped["fields"][1]["type"] = "long"
    assert mismatches(PaymentFailedPayload, retyped, {}) == [
        "PaymentFailedPayload.reason_code: <class 'str'> for <class 'int'>"
    ]
    optional = load_schema("command.PostalOrder")
    optional["fields"][1]["type"] = ["null", "string"]
    assert mismatches(PostalOrderRecord, optional, {}) == [
        "PostalOrderRecord.order_number: <class 'str'> for (<class 'str'>, <class 'NoneType'>)"
    ]
