"""The demo's part for acceptance anywhere in the province (#22.1, docs/desks.md).

One dossier filed at the Chợ Mới district desk for the Sở Xây dựng in Long Xuyên, on its own
topic prefix (``<prefix>desks-demo.<run>.``): its events go through the portal connector (which
refuses a forward from a desk the submission does not name) to Kafka and are read back decoded,
then shown as every processor sees them: the placement (desk, competent agency, leg), the
partner commands routing derives (the national portal's two units, VNPost's legs desk <->
agency), each transfer step's deadline with the one received a working day late, and the desk's
own work for the month. Desks come from ``infra/desks.example.toml``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.portal.client import PortalClient, PortalError, portal_item
from dvchub.demo._console import console
from dvchub.demo._lifecycle import portal_connector
from dvchub.tables import rows_view
from hub import kafka
from hub.dossier import DeskDirectory, DossierEvent, Placement
from hub.events import new_event
from hub.kpi import desk_report
from hub.routing import AgencyContact, AgencyDirectory, Routed, Rules
from hub.sample import PROCEDURES, catalog_entry
from hub.serde import RegistryClient, serde_for
from hub.settings import REPO_ROOT, Settings
from hub.sla import TransferSettings, WorkingCalendar, follow, late_transfers
from hub.topics import DOSSIER_EVENTS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DESKS_FILE = REPO_ROOT / "infra" / "desks.example.toml"
#: The competent agency, in Long Xuyên (the desk is in Chợ Mới: VNPost carries the paper).
SXD = AgencyContact(name="Sở Xây dựng tỉnh An Giang", line="8 Lê Lợi", province="An Giang",
                    phone="02963000002", district="Thành phố Long Xuyên")  # fmt: skip


#: The result's document (its bytes are not the point of this part, their digest is all it needs).
PERMIT = {"document_id": "giay-phep-xd", "name": "Giấy phép xây dựng.pdf",
          "media_type": "application/pdf", "sha256": hashlib.sha256(b"15/QD-SXD").hexdigest(),
          "size_bytes": 52_480}  # fmt: skip


def _at(day: int, hour: int) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=VN)


def desk_dossier(dossier_id: str) -> list[dict[str, Any]]:
    """The dossier's events, a working week in March 2025 (the received step one day late)."""
    procedure = PROCEDURES[0]
    applicant = {"kind": "CITIZEN", "full_name": "Trần Thị Demo", "id_number": "001190000099"}
    steps: list[tuple[datetime, str, Mapping[str, object]]] = [
        (_at(3, 9), "DossierSubmitted", {"procedure_code": procedure.code, "agency_code": "SXD",
            "channel": "DIRECT", "applicant": applicant, "receiving_desk": "MC-CHOMOI"}),
        (_at(3, 10), "DossierAccepted", {"appointment_at": _at(14, 17)}),
        (_at(3, 16), "DossierForwarded", {"desk_code": "MC-CHOMOI", "agency_code": "SXD",
                                          "method": "POSTAL"}),
        (_at(6, 16), "DossierReceivedByAgency", {"agency_code": "SXD"}),
        (_at(7, 8), "ProcessingStepRecorded", {"kind": "HANDLED", "content": "Thẩm định"}),
        (_at(10, 8), "ResultReady", {"decision_number": "15/QĐ-SXD", "documents": [PERMIT],
                                     "return_channel": "DESK"}),
        (_at(10, 14), "ResultForwarded", {"agency_code": "SXD", "desk_code": "MC-CHOMOI",
                                          "method": "POSTAL"}),
        (_at(12, 9), "ResultReceivedByDesk", {"desk_code": "MC-CHOMOI"}),
        (_at(13, 10), "ResultReturned", {"return_channel": "DESK"}),
    ]  # fmt: skip
    return [
        new_event(dossier_id, name, payload, source="PROVINCIAL_PORTAL", occurred_at=at,
                  recorded_at=at + timedelta(seconds=1))
        for at, name, payload in steps
    ]  # fmt: skip


def show_desks(settings: Settings, registry: RegistryClient, run_id: str) -> None:
    console.rule("[bold]Acceptance anywhere in the province: a district desk, a department")
    prefix = f"{settings.topic_prefix}desks-demo.{run_id}."
    section = settings.model_copy(update={"topic_prefix": prefix})
    kafka.ensure_topics(section, [DOSSIER_EVENTS])
    serde = serde_for(DOSSIER_EVENTS, prefix, registry)
    topic = DOSSIER_EVENTS.name(prefix)
    dossier_id = f"HS-DESK-{run_id}"
    with portal_connector(section, login=None, desks=DESKS_FILE) as portal:
        sent = portal.client.push_events([portal_item(e) for e in desk_dossier(dossier_id)])
        _show_refusal(portal.client, dossier_id)
    events = [DossierEvent.from_record(serde.decode(m.value))
              for m in kafka.read_to_end(section, topic)]  # fmt: skip
    console.print(f"{sent.accepted} events of {dossier_id} accepted by the portal, "
                  f"{len(events)} read back from {topic}")  # fmt: skip
    desks = DeskDirectory.load(DESKS_FILE)
    _show_route(events, desks)
    calendar, deadlines = WorkingCalendar(), TransferSettings().deadlines()
    steps = follow(events, calendar, deadlines)[dossier_id].steps
    rows = [[s.kind, s.method, f"{s.due_at:%a %d/%m %H:%M}",
             f"{s.done_at:%a %d/%m %H:%M}" if s.done_at else "-",
             f"{s.late_days(calendar, _at(31, 17)):.2f}"] for s in steps]  # fmt: skip
    console.print(rows_view("Transfer steps and their deadlines (working days late)",
                            ("step", "how", "due", "done", "late"), rows))  # fmt: skip
    late = late_transfers([follow(events, calendar, deadlines)[dossier_id]], calendar,
                          _at(1, 0), _at(31, 23))  # fmt: skip
    for entry in late:
        step = entry.step
        console.print(f"late in March: {entry.dossier_id} {step.kind} ({step.method}), agency "
                      f"{step.agency_code}, desk {step.desk_code}: {entry.late_days} working "
                      "day(s)")  # fmt: skip
    report = desk_report(events, calendar, deadlines, desks, _at(1, 0), _at(31, 23))
    console.print(rows_view("The desks' own work, March 2025",
        ("desk", "kind", "received", "forwarded", "on time", "results in", "returned",
         "by appointment"),
        [[r.desk_name, r.kind, *(str(n) for n in (r.received, r.forwarded, r.forwarded_on_time,
          r.results_received, r.returned, r.returned_on_time))] for r in report]))  # fmt: skip
    kafka.delete_prefixed(section)


def _show_refusal(client: PortalClient, dossier_id: str) -> None:
    """A forward from a desk the submission does not name, refused before anything is produced."""
    events = desk_dossier(f"{dossier_id}-X")
    submitted, forwarded = portal_item(events[0]), portal_item(events[2])
    forwarded["payload"] = {"desk_code": "TTHCC", "agency_code": "SXD", "method": "POSTAL"}
    try:
        client.push_events([submitted, forwarded])
    except PortalError as refused:
        console.print(f"a forward from TTHCC of a dossier filed at MC-CHOMOI -> {refused.status}: "
                      + ", ".join(refused.paths))  # fmt: skip


def _show_route(events: list[DossierEvent], desks: DeskDirectory) -> None:
    rules = Rules(AgencyDirectory({"SXD": SXD}), desks=desks)
    # the sample procedure, as the Sở Xây dựng offers it
    procedure = {**catalog_entry(PROCEDURES[0]), "agency_name": SXD.name}
    state, placement, rows = None, Placement(), []
    for event in events:
        placement = placement.after(event)
        routed = rules.route(state, event, procedure)
        if not isinstance(routed, Routed):
            continue
        state = routed.state
        for command in routed.commands:
            rows.append([event.payload_name, placement.where, command.kind, _what(command.payload)])
    console.print(rows_view("What routing commands, leg by leg",
                            ("event", "dossier is", "command", "what"), rows))  # fmt: skip


def _what(payload: Mapping[str, Any]) -> str:
    if "receiving_unit" in payload:
        return f"DonViXuLy {payload['agency_code']}, DonViTiepNhan {payload['receiving_unit']}"
    if "sender" in payload:
        sender, receiver = payload["sender"]["name"], payload["receiver"]["name"]
        return f"{payload['direction']}: {sender} -> {receiver}"
    return str(payload.get("content") or payload.get("status_code") or "")
