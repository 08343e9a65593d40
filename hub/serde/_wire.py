"""Confluent wire format: magic byte, 4-byte schema id, Avro binary body."""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping

import fastavro
import fastavro.schema
from fastavro.types import Schema as ParsedSchema

from hub.serde._codegen import Unsupported
from hub.serde._compiled import Writer, compile_writer
from hub.serde._compiled_read import Decoded, Reader, Truncated, compile_reader
from hub.serde._exceptions import DecodeError, EncodeError, RegistryError, SchemaNotFound
from hub.serde._registry import RegistryClient
from hub.serde._schemas import Schema

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")


def frame(schema_id: int, body: bytes) -> bytes:
    """Prefix an Avro body with the Confluent header."""
    return _HEADER.pack(MAGIC_BYTE, schema_id) + body


def unframe(data: bytes) -> tuple[int, memoryview]:
    """Split a framed message into (schema id, Avro body); ``DecodeError`` if it is not framed."""
    if len(data) < _HEADER.size:
        raise DecodeError(f"{len(data)} bytes is shorter than the 5-byte Confluent header", data)
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise DecodeError(f"magic byte is {magic}, expected {MAGIC_BYTE}", data)
    return schema_id, memoryview(data)[_HEADER.size :]


#: What the compiled writers and readers raise on what they do not handle (fastavro decides).
_NOT_COMPILED = (
    Unsupported, Truncated, ValueError, TypeError, KeyError, AttributeError, IndexError,
    struct.error,
)  # fmt: skip


def _compiled_writer(schema: Schema) -> Writer | None:
    try:
        return compile_writer(schema)
    except Unsupported:
        return None


def _compiled_reader(schema: Schema) -> Reader | None:
    try:
        return compile_reader(schema)
    except Unsupported:
        return None


class AvroSerde:
    """Encode/decode one subject's records.

    Encoding writes with the local schema, registered under ``subject`` on first use. Decoding
    reads with the writer schema named by the message's id and resolves it to the local schema,
    so a consumer understands every backward-compatible version of the topic.

    Records are plain dicts; a union of several records (a ``payload``) is written and read as a
    ``(full record name, dict)`` tuple so the branch is explicit, never guessed.
    """

    def __init__(self, registry: RegistryClient, subject: str, schema: Schema) -> None:
        self.registry = registry
        self.subject = subject
        self.schema = schema
        self._parsed = fastavro.parse_schema(schema)
        self._write = _compiled_writer(schema)
        self._canonical = fastavro.schema.to_parsing_canonical_form(self._parsed)
        self._schema_id: int | None = None
        # schema id -> (parsed writer schema, reader schema or None when they are the same)
        self._writers: dict[int, tuple[ParsedSchema, ParsedSchema | None]] = {}
        #: schema id -> compiled reader, for the ids whose schema is the local one
        self._readers: dict[int, Reader] = {}

    @property
    def schema_id(self) -> int:
        """The registry id of the local schema (registers it on first use)."""
        if self._schema_id is None:
            self._schema_id = self.registry.register(self.subject, self.schema)
        return self._schema_id

    def encode(self, record: Mapping[str, object]) -> bytes:
        header = _HEADER.pack(MAGIC_BYTE, self.schema_id)
        if self._write is not None:
            try:
                return header + self._write(record)
            except _NOT_COMPILED:
                pass  # fastavro writes it, or raises the error it always raised
        buffer = io.BytesIO()
        buffer.write(header)
        try:
            fastavro.schemaless_writer(buffer, self._parsed, record)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise EncodeError(f"record does not match {self.schema.get('name')}: {exc}") from exc
        return buffer.getvalue()

    def decode(self, data: bytes) -> Decoded:
        schema_id, body = unframe(data)
        writer, reader = self._resolution(schema_id, data)
        compiled = self._readers.get(schema_id)
        if compiled is not None:
            try:
                return compiled(data, _HEADER.size)
            except _NOT_COMPILED:
                pass  # fastavro reads it, or raises the error it always raised
        try:
            record = fastavro.schemaless_reader(
                io.BytesIO(body),
                writer,
                reader,
                return_record_name=True,
                return_record_name_override=True,
            )
        except (ValueError, TypeError, KeyError, IndexError, EOFError, UnicodeDecodeError) as exc:
            raise DecodeError(
                f"Avro body does not decode with schema id {schema_id}: {exc}", data
            ) from exc
        except fastavro.read.SchemaResolutionError as exc:
            raise DecodeError(f"writer schema {schema_id} does not resolve: {exc}", data) from exc
        if not isinstance(record, dict):
            raise DecodeError(f"schema id {schema_id} does not describe a record", data)
        return record

    def _resolution(self, schema_id: int, data: bytes) -> tuple[ParsedSchema, ParsedSchema | None]:
        """Writer and reader schema for ``schema_id``; reader is None when both are the same,
        which spares fastavro a per-record schema resolution (about twice as fast)."""
        cached = self._writers.get(schema_id)
        if cached is None:
            try:
                writer = fastavro.parse_schema(self.registry.schema_by_id(schema_id))
            except SchemaNotFound as exc:
                raise DecodeError(
                    f"schema id {schema_id} is unknown to the registry", data
                ) from exc
            except RegistryError:
                raise  # the registry is down: not the message's fault, so no dead-letter
            same = fastavro.schema.to_parsing_canonical_form(writer) == self._canonical
            cached = (writer, None if same else self._parsed)
            self._writers[schema_id] = cached
            if same:  # compiled from the writer's own schema: its logical types, its defaults
                reader = _compiled_reader(self.registry.schema_by_id(schema_id))
                if reader is not None:
                    self._readers[schema_id] = reader
        return cached
