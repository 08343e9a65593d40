"""A processor whose states are Avro records: the common case, written once."""

from __future__ import annotations

from typing import Any

from hub.processing._types import Message, Processor, Reject
from hub.serde import AvroSerde, DecodeError, SchemaNotFound

Record = dict[str, Any]


def decode_message(serde: AvroSerde, message: Message) -> Record | Reject:
    """The decoded value of ``message``, or why it cannot be read (a dead letter: no schema
    registered under its id, or bytes that schema does not read)."""
    try:
        return serde.decode(message.value)
    except DecodeError as exc:
        missing = isinstance(exc.__cause__, SchemaNotFound)
        return Reject("SCHEMA_NOT_FOUND" if missing else "UNDECODABLE", str(exc))


class AvroStateProcessor(Processor[Record]):
    """States encoded with ``state_serde``; ``open`` fetches (or registers) the schema ids of
    ``state_serde`` and of ``serdes()`` (what the fold reads and emits) before the first message,
    so no batch waits on the registry."""

    state_serde: AvroSerde

    def serdes(self) -> tuple[AvroSerde, ...]:
        """The other serdes the fold uses."""
        return ()

    def open(self) -> None:
        for serde in (self.state_serde, *self.serdes()):
            _ = serde.schema_id
        super().open()

    def encode_state(self, state: Record) -> bytes:
        return self.state_serde.encode(state)

    def decode_state(self, data: bytes) -> Record:
        return self.state_serde.decode(data)
