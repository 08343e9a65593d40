"""Avro serialisation in the Confluent wire format, with a Confluent-compatible schema registry.

A message value is ``0x00`` (magic byte), the writer schema id as a 4-byte big-endian integer,
then the Avro binary body. Any standard Kafka/Avro client can read what the hub writes and the
hub can read what they write: the writer schema is fetched by id and resolved against the
reader's own schema, so old and new producers can share a topic.

The Avro body is written, and read when the writer schema is the reader's own, by code compiled
from the schema (``_compiled``, ``_compiled_read``: each union's branches known in advance;
``bench/serde.py`` times both against fastavro): byte for byte and record for record what
fastavro writes and reads. fastavro resolves other writer schemas and handles any value the
compiled code does not, so what is accepted, refused and raised stays fastavro's.

Exceptions (everything raised from this package is a ``SerdeError``)::

    SerdeError
    ├── RegistryError            the registry could not be used
    │   ├── RegistryUnavailable  transport failure, timeout or 5xx
    │   ├── SchemaNotFound       no schema with that id / subject / version
    │   └── IncompatibleSchema   the registry refused a schema under the compatibility rule
    ├── SchemaLoadError          a local .avsc file is missing or invalid
    ├── EncodeError              a record does not match its schema
    └── DecodeError              bytes are not a framed Avro message of a known schema
                                 (``.original`` keeps the bytes for the dead-letter topic)

Foreign errors (httpx, fastavro, ValueError from truncated input) are translated in the module
that calls the foreign library, always with ``raise ... from exc``.
"""

from hub.serde._compiled_read import Decoded
from hub.serde._exceptions import (
    DecodeError,
    EncodeError,
    IncompatibleSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaLoadError,
    SchemaNotFound,
    SerdeError,
)
from hub.serde._registry import COMPATIBILITY, RegistryClient
from hub.serde._schemas import (
    SCHEMA_DIR,
    TOP_LEVEL_SCHEMAS,
    canonical_json,
    load_schema,
    release_current,
    released_versions,
)
from hub.serde._topics import register_topic_schemas, serde_for
from hub.serde._wire import MAGIC_BYTE, AvroSerde, frame, unframe

__all__ = [
    "COMPATIBILITY",
    "MAGIC_BYTE",
    "SCHEMA_DIR",
    "TOP_LEVEL_SCHEMAS",
    "AvroSerde",
    "DecodeError",
    "Decoded",
    "EncodeError",
    "IncompatibleSchema",
    "RegistryClient",
    "RegistryError",
    "RegistryUnavailable",
    "SchemaLoadError",
    "SchemaNotFound",
    "SerdeError",
    "canonical_json",
    "frame",
    "load_schema",
    "register_topic_schemas",
    "release_current",
    "released_versions",
    "serde_for",
    "unframe",
]
