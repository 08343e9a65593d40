"""Avro writers compiled from a schema to Python code: the same bytes as fastavro, 2-3x sooner.

fastavro's writer interprets the schema for every record, and resolves every union by
validating the value against each branch (a nullable record is validated whole, then written).
A state record has ~25 nullable unions, so that costs more than the fold itself. The code made
here knows each field's type and each union's branches in advance: ``None`` is branch ``null``,
anything else the one other branch; a union of several records takes the ``(record name,
dict)`` tuple ``AvroSerde`` reads and writes.

The compiled writer covers what the hub's schemas use (records, enums, arrays, maps, nullable
unions, named record unions, primitives, timestamp-millis, date and uuid). Whatever it does not
cover, or a value it does not expect (a naive datetime, a union value without its branch
name, a missing field), makes it raise; ``AvroSerde`` then writes the record with fastavro,
which either writes it as before or raises the error it always raised. A test checks that both
writers give the same bytes, record for record.
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from collections.abc import Callable, Mapping
from typing import cast

from hub.serde._codegen import (
    SchemaCode,
    Unsupported,
    fields_of,
    full_name,
    json_text,
    name_of,
    symbols_of,
    type_node,
)
from hub.serde._schemas import JsonObject, JsonValue

#: A record's values are opaque here: the generated code writes them as the schema says.
Writer = Callable[[Mapping[str, object]], bytes]
#: The generated function of a record: appends its body to the buffer.
_WriteRecord = Callable[[bytearray, Mapping[str, object]], None]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DAYS = dt.date(1970, 1, 1).toordinal()
_DOUBLE = struct.Struct("<d").pack
_FLOAT = struct.Struct("<f").pack
_MIN_LONG, _MAX_LONG = -(2**63), 2**63 - 1


def _long(out: bytearray, n: int) -> None:
    """Zigzag varint, as Avro writes int and long (fastavro refuses more than 64 bits)."""
    if not _MIN_LONG <= n <= _MAX_LONG:
        raise Unsupported("a long out of range")
    n = (n << 1) ^ (n >> 63)
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _varint(n: int) -> bytes:
    out = bytearray()
    _long(out, n)
    return bytes(out)


def _count(out: bytearray, n: int) -> None:
    """A length or count: one byte up to 63 (the common case, without a call of ``_long``)."""
    if n < 64:
        out.append(n << 1)
    else:
        _long(out, n)


def _string_of(value: str) -> list[str]:
    """Statements writing the string variable ``value``: its UTF-8 length, then its bytes."""
    return [f"b = {value}.encode()", "_count(o, len(b)) if len(b) > 63 else o.append(len(b) << 1)",
            "o += b"]  # fmt: skip


def _bytes(out: bytearray, value: bytes) -> None:
    _long(out, len(value))
    out += value


def _millis(value: object) -> int:
    """timestamp-millis as fastavro computes it; ints pass, naive datetimes go to fastavro."""
    if type(value) is int:
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + int(delta.microseconds / 1000)
    raise Unsupported(f"timestamp value {type(value).__name__}")


def _date(value: object) -> int:
    if type(value) is int:
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.toordinal() - _EPOCH_DAYS
    raise Unsupported(f"date value {type(value).__name__}")


def _uuid(value: object) -> object:
    return str(value) if isinstance(value, uuid.UUID) else value  # a str, or fastavro judges it


def _branch(value: object, names: Mapping[str, int]) -> tuple[int, object]:
    """The branch of a named-record union value ``(name, record)``."""
    if type(value) is not tuple or len(value) != 2 or value[0] not in names:
        raise Unsupported("a union value is not a (record name, record) tuple")
    return names[value[0]], value[1]


class _Compiler(SchemaCode):
    """Python source of one writer function per named record of a schema."""

    def __init__(self) -> None:
        super().__init__("w", "o, d")

    def record(self, schema: JsonObject, namespace: str) -> str:
        """The name of the function writing records of ``schema`` (compiled once)."""

        def body(space: str) -> list[str]:
            lines: list[str] = []
            for field in fields_of(schema):
                value = self.var()
                if "default" in field:
                    default = self.constant(field["default"])
                    lines.append(f"{value} = d.get({field['name']!r}, {default})")
                else:
                    lines.append(f"{value} = d.get({field['name']!r})")
                lines += self.write(field["type"], value, space)
            return lines

        return self.record_function(schema, namespace, body)

    def write(self, schema: JsonValue, value: str, namespace: str) -> list[str]:
        """Statements writing ``value`` (a variable) of ``schema`` to ``o``."""
        if isinstance(schema, list):
            return self.union(schema, value, namespace)
        if isinstance(schema, str):
            named = self.named(schema, namespace)
            if named is not None:
                return self.write(named, value, namespace)
            return self.primitive(schema, value)
        node, kind, logical = type_node(schema)
        if kind == "record":
            return [f"{self.record(node, namespace)}(o, {value})"]
        if kind == "enum":
            self.remember(node, namespace)
            index = self.constant({s: _varint(i) for i, s in enumerate(symbols_of(node))})
            return [f"o += {index}[{value}]"]
        if kind == "array":
            item = self.var()
            inner = self.write(node["items"], item, namespace)
            return [f"if {value}:", f"    _count(o, len({value}))", f"    for {item} in {value}:",
                    *("        " + line for line in inner), "o.append(0)"]  # fmt: skip
        if kind == "map":
            key, item = self.var(), self.var()
            inner = self.write(node["values"], item, namespace)
            return [f"if {value}:", f"    _count(o, len({value}))",
                    f"    for {key}, {item} in {value}.items():", *_string_of(key),
                    *("        " + line for line in inner), "o.append(0)"]  # fmt: skip
        if logical == "timestamp-millis" and kind == "long":
            return [f"_long(o, _millis({value}))"]
        if logical == "date" and kind == "int":
            return [f"_long(o, _date({value}))"]
        if logical == "uuid" and kind == "string":
            return [f"{value} = _uuid({value})", *_string_of(value)]
        if logical is not None or kind == "fixed":
            raise Unsupported(f"type {kind} ({logical})")
        return self.primitive(kind, value)

    def primitive(self, kind: str, value: str) -> list[str]:
        writes = {
            "null": [f"if {value} is not None: raise _Unsupported('null')"],
            "boolean": [f"o.append(1 if {value} else 0)"],
            "int": [f"_long(o, {value})"],
            "long": [f"_long(o, {value})"],
            "string": _string_of(value),
            "bytes": [f"_bytes(o, {value})"],
            "double": [f"o += _DOUBLE(float({value}))"],
            "float": [f"o += _FLOAT(float({value}))"],
        }
        if kind not in writes:
            raise Unsupported(f"type {kind}")
        return writes[kind]

    def union(self, branches: list[JsonValue], value: str, namespace: str) -> list[str]:
        others = [i for i, b in enumerate(branches) if b != "null"]
        null = branches.index("null") if "null" in branches else None
        lines: list[str] = []
        if null is not None:
            lines += [f"if {value} is None:", f"    o += {_varint(null)!r}", "else:"]
        indent = "    " if null is not None else ""
        if len(others) == 1:
            (index,) = others
            inner = [f"o += {_varint(index)!r}", *self.write(branches[index], value, namespace)]
            if self._is_record(branches[index], namespace):
                # fastavro's (name, record) notation names the only branch: unwrap it
                inner.insert(0, f"if type({value}) is tuple: {value} = {value}[1]")
            return lines + [indent + line for line in inner]
        names: dict[str, int] = {}
        for index in others:
            if not self._is_record(branches[index], namespace):
                raise Unsupported("a union of several branches that are not all records")
            names[self._name_of(branches[index], namespace)] = index
        table, item = self.constant(names), self.var()
        inner = [f"i, {item} = _branch({value}, {table})", "_long(o, i)"]
        for position, index in enumerate(others):
            keyword = "if" if position == 0 else "elif"
            inner.append(f"{keyword} i == {index}:")
            inner += ["    " + line for line in self.write(branches[index], item, namespace)]
        return lines + [indent + line for line in inner]

    def _is_record(self, schema: JsonValue, namespace: str) -> bool:
        if isinstance(schema, dict):
            return bool(schema["type"] == "record")
        named = self.named(json_text(schema, "a union branch"), namespace)
        return named is not None and named["type"] == "record"

    def _name_of(self, schema: JsonValue, namespace: str) -> str:
        if isinstance(schema, dict):
            return name_of(schema, namespace)
        full = full_name(json_text(schema, "a union branch"), namespace)
        return full if full in self.names else str(schema)


def compile_writer(schema: JsonObject) -> Writer:
    """A function writing records of ``schema`` (a self-contained record schema, as
    ``load_schema`` gives it) to Avro binary; it raises ``Unsupported`` (or another error) for
    a value it does not handle. ``Unsupported`` from here: the schema is not covered."""
    if schema.get("type") != "record":
        raise Unsupported("the schema is not a record")
    compiler = _Compiler()
    top = compiler.record(schema, str(schema.get("namespace") or ""))
    helpers = {
        "_long": _long, "_count": _count, "_bytes": _bytes, "_millis": _millis, "_date": _date,
        "_uuid": _uuid, "_branch": _branch, "_DOUBLE": _DOUBLE, "_FLOAT": _FLOAT,
        "_Unsupported": Unsupported,
    }  # fmt: skip
    # generated code: its signature is the one ``_Compiler`` gives record functions
    write_record = cast(_WriteRecord, compiler.link(top, f"writer {schema['name']}", helpers))

    def write(record: Mapping[str, object]) -> bytes:
        out = bytearray()
        write_record(out, record)
        return bytes(out)

    return write
