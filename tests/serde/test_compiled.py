"""The compiled Avro writer writes exactly fastavro's bytes, and leaves the rest to fastavro."""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import fastavro
import pytest

from hub.sample import sample_events
from hub.serde import load_schema
from hub.serde._codegen import Unsupported
from hub.serde._compiled import compile_writer
from hub.serde._compiled_read import Truncated, compile_reader
from hub.serde._schemas import TOP_LEVEL_SCHEMAS

Schema = Any


def fastavro_bytes(schema: Schema, record: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), record)
    return buffer.getvalue()


class RecordMaker:
    """Random records valid for a schema: every union branch, empty and long arrays, long and
    non-ASCII strings, the int and long extremes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.named: dict[str, Any] = {}

    def collect(self, schema: Schema, namespace: str = "") -> None:
        """Learn every named type first: a random record may skip a type's definition."""
        if isinstance(schema, list):
            for branch in schema:
                self.collect(branch, namespace)
        elif isinstance(schema, dict):
            if schema["type"] in ("record", "enum"):
                full = self.full_name(schema, namespace)
                self.named[full] = schema
                for field in schema.get("fields", ()):
                    self.collect(field["type"], full.rpartition(".")[0])
            elif schema["type"] == "array":
                self.collect(schema["items"], namespace)

    def make(self, schema: Schema, namespace: str = "") -> Any:
        rng = self.rng
        if isinstance(schema, list):
            branch = rng.choice(schema)
            value = self.make(branch, namespace)
            several = sum(1 for b in schema if b != "null") > 1
            if several and value is not None:  # a union of records: the branch named
                return (self.full_name(branch, namespace), value)
            return value
        if isinstance(schema, str):
            named = self.named.get(schema) or self.named.get(f"{namespace}.{schema}")
            if named is not None:
                return self.make(named, namespace)
            return self.primitive(schema)
        kind, logical = schema["type"], schema.get("logicalType")
        if kind in ("record", "enum"):
            full = self.full_name(schema, namespace)
            self.named[full] = schema
            if kind == "enum":
                return rng.choice(schema["symbols"])
            space = full.rpartition(".")[0]
            return {f["name"]: self.make(f["type"], space) for f in schema["fields"]}
        if kind == "array":
            return [self.make(schema["items"], namespace) for _ in range(rng.choice((0, 1, 70)))]
        if logical == "timestamp-millis":
            moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(
                milliseconds=rng.randrange(-(10**12), 10**12)
            )
            return moment if rng.random() < 0.8 else int(moment.timestamp() * 1000)
        if logical == "date":
            return date(2025, 1, 1) + timedelta(days=rng.randrange(-40_000, 40_000))
        if logical == "uuid":
            return uuid.UUID(int=rng.getrandbits(128)) if rng.random() < 0.5 else str(uuid.uuid4())
        return self.primitive(kind)

    def primitive(self, kind: str) -> Any:
        rng = self.rng
        makers: dict[str, Callable[[], Any]] = {
            "null": lambda: None,
            "boolean": lambda: rng.random() < 0.5,
            "int": lambda: rng.choice((0, -1, 63, 64, -65, 2**31 - 1, -(2**31))),
            "long": lambda: rng.choice((0, -1, 300, 2**63 - 1, -(2**63), rng.getrandbits(40))),
            "string": lambda: rng.choice(("", "Sở Tư pháp", "y" * 64, "x" * 200)),
            "bytes": lambda: rng.randbytes(rng.choice((0, 5, 300))),
            "double": lambda: rng.uniform(-1e9, 1e9),
        }
        return makers[kind]()

    @staticmethod
    def full_name(schema: Schema, namespace: str) -> str:
        name = schema["name"] if isinstance(schema, dict) else schema
        space = schema.get("namespace", namespace) if isinstance(schema, dict) else namespace
        return str(name if "." in name or not space else f"{space}.{name}")


@pytest.mark.parametrize("name", TOP_LEVEL_SCHEMAS)
def test_generated_records_of_every_schema_are_written_as_fastavro_writes_them(name: str) -> None:
    schema = load_schema(name)
    write = compile_writer(schema)
    maker = RecordMaker(random.Random(name))
    maker.collect(schema)
    for _ in range(300):
        record = maker.make(schema)
        assert write(record) == fastavro_bytes(schema, record)


def test_every_sample_event_is_written_as_fastavro_writes_it() -> None:
    schema = load_schema("DossierEvent")
    write = compile_writer(schema)
    for event in sample_events(200, seed=3):
        assert write(event) == fastavro_bytes(schema, event)


@pytest.mark.parametrize(
    "change",
    [
        {"occurred_at": datetime(2025, 1, 1)},  # noqa: DTZ001 - naive on purpose: fastavro's
        {"payload": {"reason": "a payload without its record name"}},
        {"dossier_id": None},
        {"event_type": "NOT_AN_EVENT_TYPE"},
    ],
)
def test_what_the_compiled_writer_does_not_handle_it_raises_on(change: dict[str, Any]) -> None:
    event = {**next(iter(sample_events(1))), **change}
    with pytest.raises((Unsupported, ValueError, TypeError, KeyError, AttributeError)):
        compile_writer(load_schema("DossierEvent"))(event)


@pytest.mark.parametrize("name", TOP_LEVEL_SCHEMAS)
def test_generated_records_of_every_schema_are_read_as_fastavro_reads_them(name: str) -> None:
    schema = load_schema(name)
    parsed = fastavro.parse_schema(schema)
    read = compile_reader(schema)
    maker = RecordMaker(random.Random(f"read {name}"))
    maker.collect(schema)
    for _ in range(300):
        data = b"\x00" + fastavro_bytes(schema, maker.make(schema))  # read from offset 1
        expected = fastavro.schemaless_reader(
            io.BytesIO(data[1:]), parsed, None,
            return_record_name=True, return_record_name_override=True,
        )  # fmt: skip
        assert repr(read(data, 1)) == repr(expected)  # repr: types and time zones too


def test_a_truncated_record_is_not_read() -> None:
    schema = load_schema("DossierEvent")
    data = fastavro_bytes(schema, next(iter(sample_events(1))))
    read = compile_reader(schema)
    for end in (len(data) - 1, len(data) // 2, 1):
        with pytest.raises((Truncated, IndexError, ValueError)):
            read(data[:end], 0)
