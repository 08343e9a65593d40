"""Avro readers compiled from a writer schema to Python code: fastavro's records, sooner.

The counterpart of ``hub.serde._compiled``: one function per named record, each field read in
place from the message's bytes, nothing interpreted per record. A reader serves only messages
whose writer schema is the reader's own (the common case); a schema to resolve is fastavro's.
What it returns is what ``fastavro.schemaless_reader(..., return_record_name=True,
return_record_name_override=True)`` returns: enums as strings, timestamp-millis as UTC
datetimes, dates, UUIDs, and a union's value as ``(record name, record)`` when the union has
several record branches. It raises on bytes it cannot read (truncated, a bad union index); the
caller then lets fastavro decide, so errors stay fastavro's. A test compares the two.
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from collections.abc import Callable
from typing import Any, cast

from hub.serde._codegen import (
    PRIMITIVES,
    SchemaCode,
    Unsupported,
    fields_of,
    full_name,
    name_of,
    symbols_of,
    type_node,
)
from hub.serde._schemas import JsonObject, JsonValue

#: A decoded record, the decoding boundary: its values are whatever the writer schema says,
#: so each reader takes it for its own record's TypedDict.
Decoded = dict[str, Any]
Reader = Callable[[bytes, int], Decoded]
#: The generated function of a record: the record and the position after it.
_ReadRecord = Callable[[bytes, int], tuple[Decoded, int]]


class Truncated(Exception):
    """The bytes end before the record does."""


def _varint(data: bytes, position: int, first: int) -> tuple[int, int]:
    """The rest of a varint whose first byte (above 127) was ``first``; zigzag not undone."""
    value, shift = first & 0x7F, 7
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 128:
            return value, position
        shift += 7


class _Compiler(SchemaCode):
    """Python source of one reader function per named record of a schema."""

    def __init__(self) -> None:
        super().__init__("r", "b, p")

    def record(self, schema: JsonObject, namespace: str) -> str:
        """The name of the function reading records of ``schema`` (compiled once)."""

        def body(space: str) -> list[str]:
            lines = ["d = {}"]
            for field in fields_of(schema):
                value = self.var()
                lines += self.read(field["type"], value, space)
                lines.append(f"d[{field['name']!r}] = {value}")
            return [*lines, "return d, p"]

        return self.record_function(schema, namespace, body)

    def long(self, value: str) -> list[str]:
        """Statements reading a zigzag varint into ``value``."""
        return [f"{value} = b[p]", "p += 1",
                f"if {value} > 127: {value}, p = _varint(b, p, {value})",
                f"{value} = ({value} >> 1) ^ -({value} & 1)"]  # fmt: skip

    def read(self, schema: JsonValue, value: str, namespace: str) -> list[str]:
        """Statements reading a value of ``schema`` into the variable ``value``."""
        if isinstance(schema, list):
            return self.union(schema, value, namespace)
        if isinstance(schema, str):
            named = self.named(schema, namespace)
            if named is not None:
                return self.read(named, value, namespace)
            return self.primitive(schema, value)
        node, kind, logical = type_node(schema)
        if kind == "record":
            return [f"{value}, p = {self.record(node, namespace)}(b, p)"]
        if kind == "enum":
            self.remember(node, namespace)
            symbols, index = self.constant(tuple(symbols_of(node))), self.var()
            return [*self.long(index), f"{value} = {symbols}[{index}]"]
        if kind in ("array", "map"):
            return self.repeated(node, value, namespace)
        if logical == "timestamp-millis" and kind == "long":
            return [*self.long(value), f"{value} = _EPOCH + _delta(microseconds={value} * 1000)"]
        if logical == "date" and kind == "int":
            return [*self.long(value), f"{value} = _from_ordinal({value} + _EPOCH_DAYS)"]
        if logical == "uuid" and kind == "string":
            return [*self.primitive("string", value), f"{value} = _UUID({value})"]
        if logical is not None or kind not in PRIMITIVES:
            raise Unsupported(f"type {kind} ({logical})")
        return self.primitive(kind, value)

    def primitive(self, kind: str, value: str) -> list[str]:
        if kind == "null":
            return [f"{value} = None"]
        if kind == "boolean":
            return [f"{value} = b[p] != 0", "p += 1"]
        if kind in ("int", "long"):
            return self.long(value)
        if kind in ("string", "bytes"):
            size = self.var()
            decode = ".decode()" if kind == "string" else ""
            return [*self.long(size), f"{value} = b[p:p + {size}]{decode}", f"p += {size}"]
        if kind in ("double", "float"):
            unpack, width = ("_DOUBLE", 8) if kind == "double" else ("_FLOAT", 4)
            return [f"{value} = {unpack}(b, p)[0]", f"p += {width}"]
        raise Unsupported(f"type {kind}")

    def repeated(self, schema: JsonObject, value: str, namespace: str) -> list[str]:
        """An array or a map: blocks of items, a negative count followed by a block size."""
        count, item, key, size = self.var(), self.var(), self.var(), self.var()
        if schema["type"] == "array":
            first, inner = f"{value} = []", self.read(schema["items"], item, namespace)
            inner.append(f"{value}.append({item})")
        else:
            first, inner = f"{value} = {{}}", self.primitive("string", key)
            inner += [*self.read(schema["values"], item, namespace), f"{value}[{key}] = {item}"]
        return [first, *self.long(count), f"while {count}:",
                f"    if {count} < 0:", f"        {count} = -{count}",
                *("        " + x for x in self.long(size)),
                f"    for _ in range({count}):", *("        " + x for x in inner),
                *("    " + x for x in self.long(count))]  # fmt: skip

    def union(self, branches: list[JsonValue], value: str, namespace: str) -> list[str]:
        records = sum(1 for b in branches if self._counts_as_record(b))
        index, lines = self.var(), []
        lines += self.long(index)
        for position, branch in enumerate(branches):
            lines.append(f"{'if' if position == 0 else 'elif'} {index} == {position}:")
            body = self.read(branch, value, namespace)
            name = self._record_name(branch, namespace)
            if records != 1 and name is not None:  # fastavro names the branch read
                body.append(f"{value} = ({name!r}, {value})")
            lines += ["    " + x for x in body]
        lines += ["else:", f"    raise _Bad('union index {{}}'.format({index}))"]
        return lines

    def _counts_as_record(self, branch: JsonValue) -> bool:
        """fastavro's count of a union's records: record schemas and named references."""
        if isinstance(branch, dict):
            return bool(branch["type"] == "record")
        return isinstance(branch, str) and branch not in PRIMITIVES

    def _record_name(self, branch: JsonValue, namespace: str) -> str | None:
        if isinstance(branch, dict):
            if branch["type"] != "record":
                return None
            return name_of(branch, namespace)
        if isinstance(branch, str) and branch not in PRIMITIVES:
            full = full_name(branch, namespace)
            return full if full in self.names else branch
        return None


def compile_reader(schema: JsonObject) -> Reader:
    """A function reading a record of ``schema`` (self-contained, as written) from
    ``data[start:]``; ``Unsupported`` if the schema is not covered."""
    if schema.get("type") != "record":
        raise Unsupported("the schema is not a record")
    compiler = _Compiler()
    top = compiler.record(schema, str(schema.get("namespace") or ""))
    helpers = {
        "_varint": _varint, "_EPOCH": dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        "_delta": dt.timedelta, "_from_ordinal": dt.date.fromordinal,
        "_EPOCH_DAYS": dt.date(1970, 1, 1).toordinal(), "_UUID": uuid.UUID,
        "_DOUBLE": struct.Struct("<d").unpack_from, "_FLOAT": struct.Struct("<f").unpack_from,
        "_Bad": Unsupported,
    }  # fmt: skip
    # generated code: its signature is the one ``_Compiler`` gives record functions
    read_record = cast(_ReadRecord, compiler.link(top, f"reader {schema['name']}", helpers))

    def read(data: bytes, start: int) -> Decoded:
        record, end = read_record(data, start)
        if end > len(data):
            raise Truncated(f"the record needs {end - start} bytes, {len(data) - start} given")
        return record

    return read
