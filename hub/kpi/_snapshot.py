"""The sum of KPI facts into one agency's figures for one period, pure (a KpiSnapshot record).

A fact is applied once: the snapshot keeps, per ``dossier.events`` partition, the position
(offset, index) of the last fact applied. Facts of one partition reach one snapshot in the order
they were produced, so a fact at or before that position is one the kpi-dossiers processor
produced again after a crash, and is ignored. The dossier counts give the full-online ratio and
the target (``Targets``); the TTHC columns and the verdict need the catalogue's history and are
the reports' (``hub.kpi.full_online_table``), not the stream's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final, Literal

from hub.kpi._config import Targets
from hub.kpi._periods import Period
from hub.kpi._ratings import RATING_KINDS, add_rating
from hub.records import AgencyType, KpiFact, KpiSnapshot, KpiSource

#: A KpiSnapshot's HSTN counts.
ReceivedField = Literal[
    "received_direct_only",
    "received_partial_direct",
    "received_partial_online",
    "received_full_direct",
    "received_full_online",
]
#: The HSTN field of each (category, counted online) of a RECEIVED fact.
RECEIVED_FIELD: Final[Mapping[tuple[str, bool], ReceivedField]] = {
    ("DIRECT_ONLY", False): "received_direct_only",
    ("DIRECT_ONLY", True): "received_direct_only",
    ("PARTIAL_ONLINE", False): "received_partial_direct",
    ("PARTIAL_ONLINE", True): "received_partial_online",
    ("FULL_ONLINE", False): "received_full_direct",
    ("FULL_ONLINE", True): "received_full_online",
}
RECEIVED_FIELDS: Final = tuple(dict.fromkeys(RECEIVED_FIELD.values()))


def new_snapshot(
    agency_code: str, agency_type: AgencyType, period: str, at: datetime
) -> KpiSnapshot:
    return {
        "agency_code": agency_code, "agency_type": agency_type, "period": period,
        "computed_at": at, "received_direct_only": 0, "received_partial_direct": 0,
        "received_partial_online": 0, "received_full_direct": 0, "received_full_online": 0,
        "procedures_direct_only": None, "procedures_partial_online": None,
        "procedures_full_online": None, "full_online_ratio": None, "target_ratio": None,
        "verdict": "UNKNOWN", "resolved": 0, "resolved_on_time": 0, "with_fee": 0,
        "paid_online": 0, "intake_digitised": 0, "results_digitised": 0, "dossiers_digitised": 0,
        "results_signed": 0, "postal_pickups": 0, "postal_pickups_on_time": 0,
        "postal_returns": 0, "postal_returns_on_time": 0, "postal_cod_vnd": 0, "satisfaction": None,
        "satisfaction_by_official": [], "facts_applied": 0, "sources": [],
    }  # fmt: skip


def received(snapshot: KpiSnapshot) -> int:
    """All dossiers received (HSTN) in the snapshot."""
    return sum(snapshot[name] for name in RECEIVED_FIELDS)


def is_applied(snapshot: KpiSnapshot | None, fact: KpiFact) -> bool:
    """Whether ``fact`` (or a later one of its partition) was applied already."""
    if snapshot is None:
        return False
    for source in snapshot["sources"]:
        if source["partition"] == fact["source_partition"]:
            return (fact["source_offset"], fact["seq"]) <= (source["offset"], source["seq"])
    return False


def apply_fact(snapshot: KpiSnapshot | None, fact: KpiFact, targets: Targets) -> KpiSnapshot:
    """The snapshot with ``fact`` added (``is_applied`` must be False)."""
    s = (
        new_snapshot(fact["agency_code"], fact["agency_type"], fact["period"], fact["occurred_at"])
        if snapshot is None
        else snapshot.copy()
    )
    kind = fact["kind"]
    if kind == "RECEIVED":
        name = RECEIVED_FIELD.get((fact["level"], bool(fact["online"])), "received_direct_only")
        s[name] += 1
        s["intake_digitised"] += bool(fact["digitised"])
    elif kind == "RESOLVED":
        s["resolved"] += 1
        s["resolved_on_time"] += bool(fact["on_time"])
        s["results_digitised"] += bool(fact["digitised"])
    elif kind == "FEE_REQUESTED":
        s["with_fee"] += 1
    elif kind == "PAID_ONLINE":
        s["paid_online"] += 1
    elif kind == "DOSSIER_DIGITISED":
        s["dossiers_digitised"] += 1
    elif kind == "RESULT_SIGNED":
        s["results_signed"] += 1
    elif kind == "POSTAL_PICKUP":
        s["postal_pickups"] += 1
        s["postal_pickups_on_time"] += bool(fact["on_time"])
    elif kind == "POSTAL_RETURN":
        s["postal_returns"] += 1
        s["postal_returns_on_time"] += bool(fact["on_time"])
        s["postal_cod_vnd"] += int(fact["amount_vnd"])
    elif kind in RATING_KINDS:
        add_rating(s, fact)
    if s["agency_type"] == "UNKNOWN":
        s["agency_type"] = fact["agency_type"]
    total = received(s)
    s["full_online_ratio"] = s["received_full_online"] / total if total else None
    target = targets.target(Period.parse(s["period"]).year, s["agency_type"])
    s["target_ratio"] = None if target is None else float(target) / 100
    s["computed_at"] = max(s["computed_at"], fact["occurred_at"])
    s["facts_applied"] += 1
    s["sources"] = _advance(s["sources"], fact)
    return s


def _advance(sources: list[KpiSource], fact: KpiFact) -> list[KpiSource]:
    here: KpiSource = {"partition": fact["source_partition"], "offset": fact["source_offset"],
            "seq": fact["seq"]}  # fmt: skip
    others = [s.copy() for s in sources if s["partition"] != fact["source_partition"]]
    return sorted([*others, here], key=lambda s: s["partition"])


def snapshot_key(snapshot: KpiSnapshot) -> str:
    return f"{snapshot['agency_code']}|{snapshot['period']}"
