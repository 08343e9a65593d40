"""The serde exception hierarchy; drawn in ``hub.serde``'s docstring."""

from __future__ import annotations


class SerdeError(Exception):
    """Base of every error raised by ``hub.serde``."""


class RegistryError(SerdeError):
    """The schema registry could not be used."""


class RegistryUnavailable(RegistryError):
    """Transport failure, timeout or server error talking to the registry."""


class SchemaNotFound(RegistryError):
    """The registry has no schema with that id, subject or version."""


class IncompatibleSchema(RegistryError):
    """The registry refused a schema under the subject's compatibility rule."""


class SchemaLoadError(SerdeError):
    """A local ``.avsc`` file is missing or is not a valid Avro schema."""


class EncodeError(SerdeError):
    """A record does not match its schema."""


class DecodeError(SerdeError):
    """Bytes are not a Confluent-framed Avro message of a schema the registry knows.

    ``original`` carries the exact bytes received so callers can dead-letter them unchanged.
    """

    def __init__(self, message: str, original: bytes) -> None:
        super().__init__(message)
        self.original = original
