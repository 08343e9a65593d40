"""The SLA bench's fold-core half: the dossiers, the SLA fold on the in-memory runner, the
folded states copied into a worker's changelog (``bench/sla.py`` runs it, and the worker)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench._report import avro_string, kafka_partition
from hub import kafka
from hub.dossier import CatalogEntry
from hub.events import new_event
from hub.kafka import make_producer
from hub.processing import InMemoryRunner, Message, app_id_for, encode_due, timer_key
from hub.records import DossierDeadline
from hub.sample import VN_TZ
from hub.serde import AvroSerde
from hub.settings import Settings
from hub.sla import SlaProcessor, SlaSettings
from hub.topics import DOSSIER_EVENTS

PROCEDURE = "1.004227"  # a sample procedure with a 10 working-day deadline
#: when the dossiers that come due together are accepted (a Monday morning, Vietnam time)
ACCEPTED = datetime(2025, 3, 3, 9, 0, tzinfo=VN_TZ)
DESK = {"official_id": "cb-0012", "official_name": "Lâm Thị Thu", "title": "Chuyên viên",
        "department": "Bộ phận Một cửa", "agency_code": "STP"}  # fmt: skip


@dataclass(frozen=True)
class Serdes:
    events: AvroSerde
    deadlines: AvroSerde
    alerts: AvroSerde


def dossier_events(dossier_id: str, accepted_at: datetime) -> list[Mapping[str, object]]:
    """Submitted a minute before ``accepted_at``, accepted then (days from the catalogue)."""
    submitted: dict[str, object] = {
        "procedure_code": PROCEDURE, "procedure_name": None, "agency_code": "STP",
        "channel": "ONLINE", "postal_intake": False, "postal_return": False,
        "from_national_portal": False, "national_dossier_code": None, "documents": [],
        "applicant": {"kind": "CITIZEN", "full_name": "Nguyễn Văn An", "id_number": "001090000001",
                      "phone": "0900000000", "email": None, "address": None},
    }  # fmt: skip
    accepted = {"appointment_at": None, "deadline_working_days": None, "level": "FULL_ONLINE"}
    return [
        new_event(dossier_id, "DossierSubmitted", submitted, source="PROVINCIAL_PORTAL",
                  occurred_at=accepted_at - timedelta(minutes=1), actor=DESK),
        new_event(dossier_id, "DossierAccepted", accepted, source="PROVINCIAL_PORTAL",
                  occurred_at=accepted_at, actor=DESK),
    ]  # fmt: skip


def encoded_messages(
    serde: AvroSerde, dossiers: list[tuple[str, datetime]], partitions: int
) -> list[Message]:
    """The events of ``dossiers`` (id, acceptance) as the worker receives them, offsets per
    partition in order."""
    offsets: Counter[int] = Counter()
    messages: list[Message] = []
    for dossier_id, accepted_at in dossiers:
        key = dossier_id.encode()
        partition = kafka_partition(key, partitions)
        for event in dossier_events(dossier_id, accepted_at):
            value = serde.encode(event)
            messages.append(Message(value, key, DOSSIER_EVENTS.suffix, partition,
                                    offsets[partition]))  # fmt: skip
            offsets[partition] += 1
    return messages


def make_processor(serdes: Serdes, catalog: Mapping[str, CatalogEntry]) -> SlaProcessor:
    """The worker's fold, on the same serdes, catalogue and (environment's) policy."""
    return SlaProcessor(
        serdes.events, serdes.deadlines, serdes.alerts, catalog.get, SlaSettings().policy()
    )


# -- 1. the fold core ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FoldRate:
    dossiers: int
    events: int
    seconds: float
    timers: int


def fold_rate(processor: SlaProcessor, count: int, partitions: int) -> FoldRate:
    """Fold ``count`` dossiers' events in batches of 1,000, as the worker does."""
    dossiers = [(f"SLAFOLD-{n:08d}", ACCEPTED + timedelta(minutes=n % 600)) for n in range(count)]
    messages = encoded_messages(processor.events, dossiers, partitions)
    runner: InMemoryRunner[DossierDeadline] = InMemoryRunner(processor, batch_size=1000)
    started = time.perf_counter()
    result = runner.run(messages)
    seconds = time.perf_counter() - started
    if result.outcomes["applied"] != len(messages):
        raise SystemExit(f"the fold did not apply every event: {dict(result.outcomes)}")
    return FoldRate(count, len(messages), seconds, len(runner.due()))


# -- 2. the changelog, filled --------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One real encoded state, due at ``due_ms``; copies differ only by the dossier id."""

    dossier_id: str
    encoded: bytes
    due_ms: int
    state: DossierDeadline

    def copy(self, new_id: str) -> bytes:
        return self.encoded.replace(avro_string(self.dossier_id), avro_string(new_id))


def copy_id(number: int) -> str:
    return f"SLABENCH-{number:08d}"


def make_templates(processor: SlaProcessor, later: int, partitions: int) -> list[Template]:
    """The state of a dossier accepted at ``ACCEPTED`` (first), then of ``later`` dossiers
    accepted one minute after another, each folded by the SLA fold and encoded as it stores it."""
    dossiers = [(f"SLATMPL-{n:08d}", ACCEPTED + timedelta(minutes=n)) for n in range(later + 1)]
    runner: InMemoryRunner[DossierDeadline] = InMemoryRunner(processor)
    result = runner.run(encoded_messages(processor.events, dossiers, partitions))
    due = runner.due()
    templates = []
    for dossier_id, _ in dossiers:
        key = dossier_id.encode()
        due_at = due.get(key)
        if due_at is None:
            raise SystemExit(f"template {dossier_id} has no timer: {dict(result.outcomes)}")
        encoded = result.table[key]
        templates.append(Template(dossier_id, encoded, ms(due_at), processor.decode_state(encoded)))
    first = templates[0].due_ms
    if any(t.due_ms <= first for t in templates[1:]):
        raise SystemExit("a later template is due no later than the first: no single instant")
    for t in templates:  # the substitution must change the id and nothing else
        copied = processor.decode_state(t.copy(copy_id(0)))
        if copied["dossier_id"] != copy_id(0) or {**copied, "dossier_id": t.dossier_id} != t.state:
            raise SystemExit(f"copying the state of {t.dossier_id} changed more than its id")
    return templates


def copies(templates: list[Template], count: int, due: int) -> Iterator[tuple[str, Template]]:
    """(dossier id, template): the first ``due`` copies of the first template, the rest spread
    over the later ones."""
    later = templates[1:]
    for number in range(count):
        template = templates[0] if number < due else later[(number - due) % len(later)]
        yield copy_id(number), template


@dataclass(frozen=True)
class Fill:
    records: int
    value_bytes: int
    seconds: float


def changelog_topic(processor: SlaProcessor, settings: Settings) -> str:
    """The worker's table changelog: faust names it ``<app id>-<table>-changelog``."""
    return f"{app_id_for(processor, settings)}-{processor.table}-changelog"


def fill_changelog(
    settings: Settings, topic: str, templates: list[Template], count: int, due: int
) -> Fill:
    """Create the changelog (compacted, as many partitions as the events) and write each copy's
    state, then its timer entry, to the partition of its key."""
    kafka.create_topic(settings, topic, config={"cleanup.policy": "compact"})
    producer = make_producer(settings, client_id="bench-sla-fill", linger_ms=50,
                             batch_size=524_288)  # fmt: skip
    started = time.perf_counter()
    total = 0
    for dossier_id, template in copies(templates, count, due):
        key = dossier_id.encode()
        partition = kafka_partition(key, settings.partitions)
        value = template.copy(dossier_id)
        producer.send(topic, key=key, value=value, partition=partition)
        producer.send(topic, key=timer_key(partition, key), value=encode_due(template.due_ms),
                      partition=partition)  # fmt: skip
        total += len(value)
    producer.flush()
    seconds = time.perf_counter() - started
    producer.close()
    return Fill(2 * count, total, seconds)


@dataclass(frozen=True)
class FireRate:
    timers: int
    alerts: int
    seconds: float


def fire_rate(processor: SlaProcessor, template: Template, due: int, partitions: int) -> FireRate:
    """Fire ``due`` copies of ``template`` at its due instant on the in-memory runner, from a
    table holding what the changelog holds (states and timer entries; nothing decoded yet, as
    after a restart): the fold's own cost of firing them, no broker involved."""
    table: dict[bytes, bytes] = {}
    for number in range(due):
        key = copy_id(number).encode()
        partition = kafka_partition(key, partitions)
        table[key] = template.copy(copy_id(number))
        table[timer_key(partition, key)] = encode_due(template.due_ms)
    runner: InMemoryRunner[DossierDeadline] = InMemoryRunner(processor, table)
    at = datetime.fromtimestamp(template.due_ms / 1000, VN_TZ)
    started = time.perf_counter()
    result = runner.fire_due(at)
    seconds = time.perf_counter() - started
    if sum(result.outcomes.values()) != due:
        raise SystemExit(f"{due:,} timers due, {dict(result.outcomes)} fired")
    return FireRate(due, len(result.emits), seconds)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
