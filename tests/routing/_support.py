"""Helpers of the routing tests: dossier stories as events, the fold on real serdes."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.events import new_event
from hub.processing import InMemoryRunner, Message, RunResult
from hub.records import RoutingState
from hub.routing import AgencyContact, AgencyDirectory, RoutingProcessor, Rules, state_serde
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS, PARTNER_COMMANDS
from tests.lifecycle._support import DESK, payload_for, procedure_record

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
ADDRESS = {"line": "12 Trần Hưng Đạo", "ward": "Phường Mỹ Bình", "district": "Long Xuyên",
           "province": "An Giang"}  # fmt: skip
APPLICANT = {"kind": "CITIZEN", "full_name": "Nguyễn Văn An", "id_number": "001090000001",
             "phone": "0900000001", "email": "an@example.vn", "address": ADDRESS}  # fmt: skip
STP = AgencyContact(name="Sở Tư pháp (danh bạ)", line="3 Lê Lợi", province="An Giang",
                    phone="02963000001", district="Long Xuyên")  # fmt: skip
DIRECTORY = AgencyDirectory({"STP": STP})


def catalog() -> dict[str, dict[str, Any]]:
    full = procedure_record("P-FULL", level="FULL_ONLINE")
    full.update(agency_name="Sở Tư pháp", name="Cấp phiếu lý lịch tư pháp")
    partial = procedure_record("P-PART", level="PARTIAL_ONLINE")
    direct = procedure_record("P-DIR", agency="UBND-X", level="DIRECT_ONLY")
    fee_at_return = procedure_record("P-FEE", level="FULL_ONLINE")
    fee_at_return["fee_lines"] = [
        {"code": "LP1", "name": "Lệ phí cấp", "kind": "CHARGE", "amount_vnd": 100_000},
        {"code": "P1", "name": "Phí thẩm định", "kind": "FEE", "amount_vnd": 50_000},
    ]
    return {p["procedure_code"]: p for p in (full, partial, direct, fee_at_return)}


class Story:
    """Events of one dossier, one minute apart, built like the portal connector builds them."""

    def __init__(self, dossier_id: str, procedure: str = "P-FULL", **submitted: Any) -> None:
        self.dossier_id = dossier_id
        self.procedure = procedure
        self.events: list[dict[str, Any]] = []
        fields = {"channel": "ONLINE", "applicant": dict(APPLICANT), "postal_intake": False,
                  "postal_return": False, **submitted}  # fmt: skip
        self.add("DOSSIER_SUBMITTED", procedure_code=procedure, agency_code="STP", **fields)

    def add(self, event_type: str, *, actor: Any = DESK, **fields: Any) -> dict[str, Any]:
        name, payload = payload_for(event_type, fields.pop("procedure_code", self.procedure))
        payload.update(fields)
        at = T0 + timedelta(minutes=len(self.events))
        event = new_event(
            self.dossier_id, name, payload, source="PROVINCIAL_PORTAL", occurred_at=at,
            actor=actor, recorded_at=at + timedelta(seconds=1),
        )  # fmt: skip
        self.events.append(event)
        return event

    def then(self, *event_types: str) -> Story:
        for event_type in event_types:
            self.add(event_type)
        return self


def result_docs(*ids: str) -> list[dict[str, Any]]:
    return [{"document_id": i, "name": f"{i}.pdf", "media_type": "application/pdf",
             "sha256": "ab" * 32, "size_bytes": 10} for i in ids]  # fmt: skip


class Rig:
    """A routing processor (real Avro serdes under ``settings``' prefix) on the in-memory
    runner; offsets count up on partition 0, as one partition of the topic would."""

    def __init__(
        self,
        settings: Settings,
        registry: RegistryClient,
        *,
        rules: Rules | None = None,
        procedures: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        prefix = settings.topic_prefix
        self.events = serde_for(DOSSIER_EVENTS, prefix, registry)
        self.commands = serde_for(PARTNER_COMMANDS, prefix, registry)
        self.catalog = dict(catalog() if procedures is None else procedures)
        self.processor = RoutingProcessor(
            self.events, state_serde(settings, registry), self.commands, self.catalog.get,
            rules or Rules(DIRECTORY),
        )  # fmt: skip
        self.runner: InMemoryRunner[RoutingState] = InMemoryRunner(self.processor)
        self._offsets = itertools.count()

    def message(self, record: Mapping[str, Any], offset: int | None = None) -> Message:
        at = next(self._offsets) if offset is None else offset
        return Message(self.events.encode(record), str(record["dossier_id"]).encode(),
                       DOSSIER_EVENTS.suffix, 0, at)  # fmt: skip

    def feed(self, *records: Mapping[str, Any]) -> RunResult[RoutingState]:
        return self.runner.run(self.message(r) for r in records)

    def run(self, messages: Iterable[Message]) -> RunResult[RoutingState]:
        return self.runner.run(messages)

    def decoded(self, result: RunResult[RoutingState]) -> list[dict[str, Any]]:
        return [self.commands.decode(emit.value) for emit in result.emits if emit.value]

    def state(self, dossier_id: str) -> RoutingState:
        found = self.runner.state(dossier_id.encode())
        assert found is not None, dossier_id
        return found


def kinds(commands: Iterable[Mapping[str, Any]]) -> list[str]:
    """``command_type`` of each command, with the postal direction: POSTAL_ORDER:INTAKE_PICKUP."""
    out = []
    for command in commands:
        kind = str(command["command_type"])
        if kind == "POSTAL_ORDER":
            kind += ":" + str(command["payload"][1]["direction"])
        out.append(kind)
    return out


def payloads(commands: Iterable[Mapping[str, Any]], command_type: str) -> list[dict[str, Any]]:
    return [dict(c["payload"][1]) for c in commands if c["command_type"] == command_type]
