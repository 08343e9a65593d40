"""Helpers of the live routing tests: real topics, real worker processes, the expected commands
from the same fold on the in-memory runner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hub import processing
from hub.kafka import make_producer
from hub.routing import AgencyDirectory, Rules
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import CATALOG_PROCEDURES, PARTNER_COMMANDS
from tests.lifecycle._support import EventProducer, read_all
from tests.routing._support import Rig, Story, catalog, result_docs

DIRECTORY_TOML = """\
[default]
name = "Trung tâm Phục vụ hành chính công tỉnh An Giang"
line = "Số 1 Lê Triệu Kiết"
province = "An Giang"
phone = "02963957999"

[agencies.STP]
name = "Sở Tư pháp"
line = "3 Lê Lợi"
district = "Long Xuyên"
province = "An Giang"
phone = "02963000001"
"""
EVENTS = 'dvchub_processor_events_total{processor="routing"}'


class RoutingWorker(processing.WorkerProcess):
    def __init__(
        self, settings: Settings, log_dir: Path, name: str, directory: Path, *extra: str
    ) -> None:
        super().__init__(
            "routing", settings, log_dir / f"{name}.log",
            args=("--session-timeout", "6", "--catalog-grace", "1.5", *extra),
            env={"DVC_AGENCY_DIRECTORY": str(directory)},
        )  # fmt: skip


def story(n: int) -> Story:
    """One of four dossier shapes, by ``n``: online to the end; postal both ways with a fee
    part-paid at the desk; postal intake refused (pickup cancelled); from the national portal."""
    dossier_id = f"HS-L{n:04d}"
    shape = n % 4
    if shape == 0:
        s = Story(dossier_id).then("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED")
        s.add("RESULT_READY", documents=result_docs("kq"), return_channel="ONLINE")
        s.add("RESULT_SIGNED", document_id="kq")
        s.add("RESULT_RETURNED", return_channel="ONLINE", waybill_number=None)
    elif shape == 1:
        s = Story(dossier_id, postal_intake=True, postal_return=True, channel="POSTAL")
        s.add("POSTAL_STATUS_CHANGED", direction="INTAKE_PICKUP", status="COLLECTED")
        s.then("DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "FEE_REQUESTED")
        s.add("FEE_PAID", amount_vnd=50_000, method="DESK_CASH")
        s.add("RESULT_READY", documents=result_docs("kq"), return_channel="POSTAL")
        s.add("RESULT_SIGNED", document_id="kq")
        s.add("RESULT_RETURNED")
    elif shape == 2:
        s = Story(dossier_id, postal_intake=True, channel="POSTAL").then("DOSSIER_REFUSED")
    else:
        s = Story(dossier_id, procedure="P-PART", from_national_portal=True)
        s.then("DOSSIER_ACCEPTED", "FEE_REQUESTED")
        s.add("FEE_PAID", method="NATIONAL_PAYMENT_PLATFORM", actor=None)
        s.add("PROCESSING_STEP_RECORDED")
        s.add("RESULT_READY", documents=[], return_channel="DESK")
        s.add("RESULT_RETURNED", return_channel="DESK", waybill_number=None)
    return s


class LiveRig:
    """A per-test prefix: the catalogue, the agency directory, events, workers, commands."""

    def __init__(self, settings: Settings, registry: RegistryClient, log_dir: Path) -> None:
        self.settings = settings
        self.registry = registry
        self.log_dir = log_dir
        self.directory = log_dir / "agencies.toml"
        self.directory.write_text(DIRECTORY_TOML, encoding="utf-8")
        self.events = EventProducer(settings, registry)
        self.commands = serde_for(PARTNER_COMMANDS, settings.topic_prefix, registry)
        self.workers: list[RoutingWorker] = []
        self._publish_catalog()

    def _publish_catalog(self) -> None:
        serde = serde_for(CATALOG_PROCEDURES, self.settings.topic_prefix, self.registry)
        producer = make_producer(self.settings)
        try:
            for code, record in catalog().items():
                producer.send(CATALOG_PROCEDURES.name(self.settings.topic_prefix),
                              key=code.encode(), value=serde.encode(record))  # fmt: skip
            producer.flush()
        finally:
            producer.close()

    def start(self, name: str, *extra: str) -> RoutingWorker:
        worker = RoutingWorker(self.settings, self.log_dir, name, self.directory, *extra)
        self.workers.append(worker)
        return worker

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        for worker in self.workers:
            if worker.alive():
                worker.wait_ready(timeout_s)

    def expected(self, events: Sequence[Mapping[str, Any]]) -> dict[str, list[bytes]]:
        """dossier id -> the command values the fold produces, in order (in-memory runner on
        the same serdes, so the same schema ids and the same bytes)."""
        rules = Rules(AgencyDirectory.load(self.directory))
        rig = Rig(self.settings, self.registry, rules=rules)
        result = rig.feed(*events)
        out: dict[str, list[bytes]] = {}
        for emit in result.emits:
            assert emit.key is not None
            assert emit.value is not None
            out.setdefault(emit.key.decode(), []).append(emit.value)
        return out

    def published(self) -> list[tuple[str, bytes]]:
        """(dossier id, value) of every record on partner.commands, in each partition's order."""
        topic = PARTNER_COMMANDS.name(self.settings.topic_prefix)
        return [(r.key.decode(), bytes(r.value)) for r in read_all(self.settings, topic)]

    def command_id(self, value: bytes) -> str:
        return str(self.commands.decode(value)["command_id"])

    def send(self, stories: Iterable[Story]) -> list[dict[str, Any]]:
        events = [e for s in stories for e in s.events]
        self.events.send(events)
        return events

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.events.close()


def first_occurrences(records: Iterable[tuple[str, bytes]]) -> dict[str, list[bytes]]:
    """dossier id -> its command values in log order, a repeated value kept at its first place."""
    out: dict[str, list[bytes]] = {}
    seen: set[bytes] = set()
    for key, value in records:
        if value not in seen:
            seen.add(value)
            out.setdefault(key, []).append(value)
    return out
