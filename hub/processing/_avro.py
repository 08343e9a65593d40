"""A processor whose states are Avro records: the common case, written once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar, cast

from hub.processing._types import Message, Processor, Reject
from hub.serde import AvroSerde, Decoded, DecodeError, SchemaNotFound

#: A record as the serde decodes it, before it is known as one of ``hub.records``' types.
Record = Decoded
#: A state record type (a TypedDict of ``hub.records``).
R = TypeVar("R", bound=Mapping[str, object])


def decode_message(serde: AvroSerde, message: Message) -> Record | Reject:
    """The decoded value of ``message``, or why it cannot be read (a dead letter: no schema
    registered under its id, or bytes that schema does not read)."""
    try:
        return serde.decode(message.value)
    except DecodeError as exc:
        missing = isinstance(exc.__cause__, SchemaNotFound)
        return Reject("SCHEMA_NOT_FOUND" if missing else "UNDECODABLE", str(exc))


def decode_as(kind: type[R], serde: AvroSerde, message: Message) -> R | Reject:
    """``decode_message`` for a topic whose schema's record type is ``kind`` (a TypedDict of
    ``hub.records``): the decoding boundary where the record becomes one."""
    record = decode_message(serde, message)
    return record if isinstance(record, Reject) else cast(R, record)


class AvroStateProcessor(Processor[R]):
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

    def encode_state(self, state: R) -> bytes:
        return self.state_serde.encode(state)

    def decode_state(self, data: bytes) -> R:
        # the decoding boundary: ``state_serde`` reads the state schema, whose type R is
        return cast(R, self.state_serde.decode(data))
