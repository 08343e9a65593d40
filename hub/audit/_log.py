"""Reading a prefix's topics whole, once each, for the checks: every record as stored (its
bytes, partition and offset) and decoded by the topic's serde.

A topic that does not exist is a part not deployed on the prefix (``exists``), not an error.
Every foreign error of a read (broker, registry, a record no schema reads) becomes an
``AuditReadError`` here, the package's one translation point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from kafka.errors import KafkaError

from hub import kafka
from hub.audit._errors import AuditReadError
from hub.processing import Message
from hub.serde import AvroSerde, RegistryClient, SerdeError, serde_for
from hub.settings import Settings
from hub.topics import TopicSpec


@dataclass(frozen=True, slots=True)
class Stored:
    """One record of a topic: where it is, its bytes and its decoded value (None: a tombstone)."""

    message: Message
    value: Mapping[str, object] | None

    @property
    def key(self) -> str:
        return "" if self.message.key is None else self.message.key.decode("utf-8", "replace")

    @property
    def where(self) -> str:
        return f"{self.message.topic}[{self.message.partition}]@{self.message.offset}"


class LogReader:
    """The prefix's topics as the audit reads them: each read to its end once, then kept."""

    def __init__(
        self, settings: Settings, registry: RegistryClient, *, timeout_s: float = 600.0
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.prefix = settings.topic_prefix
        self._timeout_s = timeout_s
        self._raw: dict[str, list[Message]] = {}
        self._decoded: dict[str, list[Stored]] = {}
        self._topics: frozenset[str] | None = None

    def name(self, spec: TopicSpec) -> str:
        return spec.name(self.prefix)

    def exists(self, spec: TopicSpec) -> bool:
        if self._topics is None:
            admin = None
            try:
                admin = kafka.make_admin(self.settings)
                self._topics = frozenset(admin.list_topics())
            except KafkaError as exc:
                raise AuditReadError(f"could not list the topics: {exc}") from exc
            finally:
                if admin is not None:
                    admin.close()
        return self.name(spec) in self._topics

    def serde(self, spec: TopicSpec) -> AvroSerde:
        return serde_for(spec, self.prefix, self.registry)

    def messages(self, spec: TopicSpec) -> list[Message]:
        """Every record of ``spec``'s topic, in offset order per partition ([] if it does not
        exist)."""
        if spec.suffix not in self._raw:
            found: list[Message] = []
            if self.exists(spec):
                try:
                    records = kafka.read_to_end(
                        self.settings, self.name(spec), timeout_s=self._timeout_s
                    )
                    found = [Message.of_record(r) for r in records]
                except (KafkaError, TimeoutError, kafka.TopicNotFound) as exc:
                    raise AuditReadError(f"could not read {self.name(spec)}: {exc}") from exc
            self._raw[spec.suffix] = found
        return self._raw[spec.suffix]

    def records(self, spec: TopicSpec) -> list[Stored]:
        """``messages`` decoded by the topic's serde (tombstones as None)."""
        if spec.suffix not in self._decoded:
            serde = self.serde(spec)
            self._decoded[spec.suffix] = [
                Stored(m, None if not m.value else self._decode(serde, m))
                for m in self.messages(spec)
            ]
        return self._decoded[spec.suffix]

    def latest(self, spec: TopicSpec) -> dict[str, Mapping[str, object]]:
        """Key -> latest value of a compacted topic (a tombstone removes its key)."""
        out: dict[str, Mapping[str, object]] = {}
        for stored in self.records(spec):
            if stored.value is None:
                out.pop(stored.key, None)
            else:
                out[stored.key] = stored.value
        return out

    @staticmethod
    def _decode(serde: AvroSerde, message: Message) -> Mapping[str, object]:
        try:
            # the decoding boundary: the serde reads the topic's value schema
            return cast(Mapping[str, object], serde.decode(message.value))
        except SerdeError as exc:
            where = f"{message.topic}[{message.partition}]@{message.offset}"
            raise AuditReadError(f"{where} cannot be decoded: {exc}") from exc
