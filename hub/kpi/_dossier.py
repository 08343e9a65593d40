"""How one dossier counts (DOMAIN.md §4), pure: a KpiDossier record folded over its events.

A dossier counts once, for the agency competent at acceptance:

* **received** (HSTN) at acceptance (status 2, or the fee payment that accepts it), in the
  category of its procedure's level *at acceptance* (the DossierAccepted's ``level``, else the
  catalogue version in effect at acceptance, from the catalogue's history) and in the column
  of its channel: online, or direct (a dossier carried by VNPost counts as
  ``postal_counts_as`` says); its intake is digitised when it came with documents;
* **resolved** when its result is ready (status 9): on time or late as the SLA judges it (the
  same rules and calendar, ``hub.sla.apply_event``, kept inside the record), with an electronic
  result when the result carried documents;
* **with a fee** at its first fee request, and **paid online** when a fee is paid through a
  bank or the national payment platform (counted in the fee request's period, so the two agree).

Each of these becomes a ``KpiFact`` for the agency's month, quarter and year: the kpi processor
sums them into ``KpiSnapshot``s. A fact carries the position of the event that caused it
(partition, offset, index), which is how the sum tells a re-emitted fact from a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from hub.dossier import DossierEvent
from hub.events import event_digest
from hub.kpi._periods import periods_of
from hub.sla import Refusal, SlaPolicy, apply_event, new_record

Record = dict[str, Any]
#: instant -> the dossier's procedure version in effect then, if known
VersionLookup = Callable[[datetime], Mapping[str, Any] | None]

ONLINE_PAYMENT: Final = frozenset({"ONLINE_BANK", "NATIONAL_PAYMENT_PLATFORM"})
_LEVELS: Final = frozenset({"DIRECT_ONLY", "PARTIAL_ONLINE", "FULL_ONLINE"})


@dataclass(frozen=True)
class Position:
    """Where the causing event is in ``dossier.events``."""

    partition: int
    offset: int


def new_dossier(dossier_id: str) -> Record:
    return {
        "dossier_id": dossier_id, "procedure_code": None, "agency_code": None,
        "agency_type": "UNKNOWN", "channel": "UNKNOWN", "level": "UNKNOWN",
        "counted_online": False, "intake_digitised": False, "received_at": None,
        "resolved_at": None, "on_time": None, "result_digitised": False,
        "fee_requested_at": None, "paid_online": False, "deadline": new_record(dossier_id),
        "seen_events": b"", "version": 0,
    }  # fmt: skip


def apply(
    record: Mapping[str, Any] | None,
    event: DossierEvent,
    procedure: Mapping[str, Any] | None,
    position: Position,
    policy: SlaPolicy,
    *,
    postal_counts_as: str = "DIRECT",
    version_at: VersionLookup = lambda at: None,
) -> tuple[Record, list[Record]]:
    """The record after ``event`` and the KpiFacts it causes. ``procedure`` is the catalogue
    entry of the dossier's procedure (of the submission's, for a DossierSubmitted), if known;
    ``version_at(instant)`` its catalogue version in effect then (``ProcedureVersion``), if
    known: the level at acceptance is that version's, whenever the event is folded (live, or
    replayed after the level changed)."""
    r = new_dossier(event.dossier_id) if record is None else dict(record)
    event_type = event.event_type
    payload: Mapping[str, Any] = event.payload
    at: datetime = event.occurred_at
    if event_type == "DOSSIER_SUBMITTED":
        _submitted(r, payload, procedure, postal_counts_as)
    tracked = r["deadline"] if r["deadline"]["version"] else None  # None: never seen
    deadline = apply_event(tracked, event, procedure, policy)
    if deadline is not None and not isinstance(deadline, Refusal):
        r["deadline"] = deadline
    facts: list[tuple[str, datetime, Mapping[str, Any]]] = []
    accepted_at: datetime | None = r["deadline"]["accepted_at"]
    if r["received_at"] is None and accepted_at is not None:
        r["received_at"] = accepted_at
        stated = payload if event_type == "DOSSIER_ACCEPTED" else {}
        r["level"] = _level(stated, version_at(accepted_at) or procedure)
        facts.append(("RECEIVED", accepted_at, {
            "level": r["level"], "online": r["counted_online"],
            "digitised": r["intake_digitised"]}))  # fmt: skip
    finished = r["deadline"]["finished_status"]
    finished_at: datetime | None = r["deadline"]["finished_at"]
    if r["resolved_at"] is None and finished == "RESULT_READY" and finished_at is not None:
        r["resolved_at"] = finished_at
        r["on_time"] = not r["deadline"]["late"]
        r["result_digitised"] = bool(payload.get("documents"))
        facts.append(("RESOLVED", finished_at, {
            "on_time": r["on_time"], "digitised": r["result_digitised"]}))  # fmt: skip
    if event_type == "FEE_REQUESTED" and r["fee_requested_at"] is None:
        r["fee_requested_at"] = at
        facts.append(("FEE_REQUESTED", at, {}))
    elif (
        event_type == "FEE_PAID"
        and r["fee_requested_at"] is not None
        and not r["paid_online"]
        and payload.get("method") in ONLINE_PAYMENT
    ):
        r["paid_online"] = True
        facts.append(("PAID_ONLINE", r["fee_requested_at"], {}))
    r["seen_events"] = bytes(r["seen_events"]) + event_digest(event.event_id)
    r["version"] = int(r["version"]) + 1
    return r, _facts(r, facts, position, at)


def _submitted(
    r: Record, payload: Mapping[str, Any], procedure: Mapping[str, Any] | None, postal: str
) -> None:
    r["procedure_code"] = payload["procedure_code"]
    r["agency_code"] = payload["agency_code"]
    channel = str(payload.get("channel") or "UNKNOWN")
    r["channel"] = channel
    r["counted_online"] = channel == "ONLINE" or (channel == "POSTAL" and postal == "ONLINE")
    r["intake_digitised"] = bool(payload.get("documents"))
    if procedure is not None:
        r["agency_type"] = str(procedure.get("agency_type") or "UNKNOWN")


def _level(accepted: Mapping[str, Any], procedure: Mapping[str, Any] | None) -> str:
    """The category: the level stated at acceptance, else the catalogue's; a procedure of no
    known level counts as direct only (no online service is known for it)."""
    for level in (accepted.get("level"), None if procedure is None else procedure.get("level")):
        if level in _LEVELS:
            return str(level)
    return "DIRECT_ONLY"


def _facts(
    r: Mapping[str, Any],
    facts: list[tuple[str, datetime, Mapping[str, Any]]],
    position: Position,
    at: datetime,
) -> list[Record]:
    """Each fact for the agency's month, quarter and year (none without a known agency)."""
    agency = r["agency_code"]
    if agency is None:
        return []
    out: list[Record] = []
    for kind, when, fields in facts:
        for period in periods_of(when):
            out.append({
                "fact_id": f"{r['dossier_id']}|{kind}|{period}", "kind": kind,
                "dossier_id": r["dossier_id"], "agency_code": agency,
                "agency_type": r["agency_type"], "period": period, "level": r["level"],
                "online": False, "digitised": False, "on_time": False, **fields,
                "occurred_at": when, "source_partition": position.partition,
                "source_offset": position.offset, "seq": len(out),
            })  # fmt: skip
    return out


def fact_key(fact: Mapping[str, Any]) -> bytes:
    """The kpi.facts key: ``agency|period``, the key of the snapshot it adds to."""
    return f"{fact['agency_code']}|{fact['period']}".encode()
