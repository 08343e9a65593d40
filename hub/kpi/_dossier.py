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
  bank or the national payment platform (counted in the fee request's period, so the two agree);
* **result signed** and **digitised** as the 2024 target counts them (``_digitised``);
* **picked up** and **returned by post**, on time or late, with the cash collected on delivery
  (``_postal``);
* **rated** by the applicant once handling ended, a later rating replacing the earlier
  (``_ratings``).

Each of these becomes a ``KpiFact`` for the agency's ISO week, month, quarter and year: the kpi
processor sums them into ``KpiSnapshot``s. A fact carries the position of the event that caused
it (partition, offset, index), which is how the sum tells a re-emitted fact from a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hub.dossier import CatalogEntry, DossierEvent
from hub.events import event_digest
from hub.kpi._config import DEFAULT_POSTAL_DEADLINES, PostalDeadlines
from hub.kpi._counts import Counted
from hub.kpi._digitised import digitisation
from hub.kpi._periods import periods_of
from hub.kpi._postal import postal
from hub.kpi._ratings import rating_counted
from hub.records import (
    AgencyTransferred,
    DossierAccepted,
    DossierSubmitted,
    FeePaid,
    KpiDossier,
    KpiFact,
    ProcedureVersion,
    ResultReady,
    ServiceLevel,
)
from hub.sla import Refusal, SlaPolicy, apply_event, new_record

#: instant -> the dossier's procedure version in effect then, if known
VersionLookup = Callable[[datetime], ProcedureVersion | None]

ONLINE_PAYMENT: Final = frozenset({"ONLINE_BANK", "NATIONAL_PAYMENT_PLATFORM"})
_LEVELS: Final = frozenset({"DIRECT_ONLY", "PARTIAL_ONLINE", "FULL_ONLINE"})


@dataclass(frozen=True)
class Position:
    """Where the causing event is in ``dossier.events``."""

    partition: int
    offset: int


def new_dossier(dossier_id: str) -> KpiDossier:
    return {
        "dossier_id": dossier_id, "procedure_code": None, "agency_code": None,
        "agency_type": "UNKNOWN", "channel": "UNKNOWN", "level": "UNKNOWN",
        "counted_online": False, "intake_digitised": False, "components_reused": False,
        "received_at": None, "resolved_at": None, "on_time": None, "result_digitised": False,
        "fee_requested_at": None, "paid_online": False, "result_documents": [],
        "signed_documents": [], "results_signed": False, "dossier_digitised": False,
        "pickup_ordered_at": None, "picked_up": False, "delivery_ordered_at": None,
        "cod_amount_vnd": 0, "returned_by_post": False, "rating": None, "office_waybills": [],
        "deadline": new_record(dossier_id), "seen_events": b"", "version": 0,
    }  # fmt: skip


def apply(
    record: KpiDossier | None,
    event: DossierEvent,
    procedure: CatalogEntry | None,
    position: Position,
    policy: SlaPolicy,
    *,
    postal_counts_as: str = "DIRECT",
    version_at: VersionLookup = lambda at: None,
    postal_deadlines: PostalDeadlines = DEFAULT_POSTAL_DEADLINES,
) -> tuple[KpiDossier, list[KpiFact]]:
    """The record after ``event`` and the KpiFacts it causes. ``procedure`` is the catalogue
    entry of the dossier's procedure (of the submission's, for a DossierSubmitted), if known;
    ``version_at(instant)`` its catalogue version in effect then (``ProcedureVersion``), if
    known: the level at acceptance is that version's, whenever the event is folded (live, or
    replayed after the level changed)."""
    r = new_dossier(event.dossier_id) if record is None else record.copy()
    event_type = event.event_type
    at: datetime = event.occurred_at
    if event_type == "DOSSIER_SUBMITTED":
        _submitted(r, event.payload_as(DossierSubmitted), procedure, postal_counts_as)
    elif event_type == "AGENCY_TRANSFERRED":
        # counted by competent agency: what follows is the new agency's (hub.kpi._desks)
        r["agency_code"] = event.payload_as(AgencyTransferred)["to_agency_code"]
    tracked = r["deadline"] if r["deadline"]["version"] else None  # None: never seen
    deadline = apply_event(tracked, event, procedure, policy)
    if deadline is not None and not isinstance(deadline, Refusal):
        r["deadline"] = deadline
    facts: list[Counted] = []
    accepted_at = r["deadline"]["accepted_at"]
    if r["received_at"] is None and accepted_at is not None:
        r["received_at"] = accepted_at
        stated = (
            event.payload_as(DossierAccepted).get("level")
            if event_type == "DOSSIER_ACCEPTED"
            else None
        )
        catalogued = version_at(accepted_at) or procedure
        r["level"] = _level(stated, None if catalogued is None else catalogued.get("level"))
        facts.append(("RECEIVED", accepted_at, {
            "level": r["level"], "online": r["counted_online"],
            "digitised": r["intake_digitised"]}))  # fmt: skip
    finished = r["deadline"]["finished_status"]
    finished_at = r["deadline"]["finished_at"]
    if r["resolved_at"] is None and finished == "RESULT_READY" and finished_at is not None:
        r["resolved_at"] = finished_at
        on_time = not r["deadline"]["late"]
        # the deadline finishes as RESULT_READY only on a ResultReady event
        digitised = bool(event.payload_as(ResultReady)["documents"])
        r["on_time"], r["result_digitised"] = on_time, digitised
        facts.append(("RESOLVED", finished_at, {"on_time": on_time, "digitised": digitised}))
    if event_type == "FEE_REQUESTED" and r["fee_requested_at"] is None:
        r["fee_requested_at"] = at
        facts.append(("FEE_REQUESTED", at, {}))
    elif (
        event_type == "FEE_PAID"
        and r["fee_requested_at"] is not None
        and not r["paid_online"]
        and event.payload_as(FeePaid).get("method") in ONLINE_PAYMENT
    ):
        r["paid_online"] = True
        facts.append(("PAID_ONLINE", r["fee_requested_at"], {}))
    facts += digitisation(r, event)
    facts += postal(r, event, policy.calendar, postal_deadlines)
    facts += rating_counted(r, event)
    r["seen_events"] = bytes(r["seen_events"]) + event_digest(event.event_id)
    r["version"] = int(r["version"]) + 1
    return r, _facts(r, facts, position, at)


def _submitted(
    r: KpiDossier, payload: DossierSubmitted, procedure: CatalogEntry | None, postal: str
) -> None:
    r["procedure_code"] = payload["procedure_code"]
    r["agency_code"] = payload["agency_code"]
    channel = payload.get("channel") or "UNKNOWN"
    r["channel"] = channel
    r["counted_online"] = channel == "ONLINE" or (channel == "POSTAL" and postal == "ONLINE")
    r["intake_digitised"] = bool(payload.get("documents"))
    if procedure is not None:
        r["agency_type"] = procedure.get("agency_type") or "UNKNOWN"


def _level(accepted: ServiceLevel | None, catalogued: ServiceLevel | None) -> ServiceLevel:
    """The category: the level stated at acceptance, else the catalogue's; a procedure of no
    known level counts as direct only (no online service is known for it)."""
    for level in (accepted, catalogued):
        if level is not None and level in _LEVELS:
            return level
    return "DIRECT_ONLY"


def _facts(
    r: KpiDossier,
    facts: list[Counted],
    position: Position,
    at: datetime,
) -> list[KpiFact]:
    """Each fact for the agency's week, month, quarter and year (none without a known
    agency)."""
    agency = r["agency_code"]
    if agency is None:
        return []
    out: list[KpiFact] = []
    for kind, when, counts in facts:
        rating = counts.get("rating")
        # a dossier's ratings replace one another: each rating's facts are its own
        rated = "" if rating is None else f"|{rating['rated_at'].isoformat()}"
        for period in periods_of(when):
            out.append({
                "fact_id": f"{r['dossier_id']}|{kind}|{period}{rated}", "kind": kind,
                "dossier_id": r["dossier_id"], "agency_code": agency,
                "agency_type": r["agency_type"], "period": period,
                "level": counts.get("level", r["level"]),
                "online": counts.get("online", False),
                "digitised": counts.get("digitised", False),
                "on_time": counts.get("on_time", False),
                "amount_vnd": counts.get("amount_vnd", 0),
                "occurred_at": when, "source_partition": position.partition,
                "source_offset": position.offset, "seq": len(out), "rating": rating,
            })  # fmt: skip
    return out


def fact_key(fact: KpiFact) -> bytes:
    """The kpi.facts key: ``agency|period``, the key of the snapshot it adds to."""
    return f"{fact['agency_code']}|{fact['period']}".encode()
