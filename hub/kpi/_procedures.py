"""The catalogue's history, pure: which agency offered which procedure at which level, when.

``catalog.procedures`` is compacted: it keeps each procedure's latest entry only, but a year's
table counts procedures (TTHC) by the level they had in that year. The kpi-procedures processor
keeps every version (``ProcedureHistory``); ``offered`` reads a period's TTHC off them.

Rules: a version takes effect at its ``updated_at``, except the first, which describes the
procedure since it was first offered. A procedure counts in a period for the agency and at the
level of the version in effect at the period's end (or when it stopped being offered within
it), if it was offered on some day of the period (``valid_from`` / ``valid_to``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from hub.kpi._periods import Period
from hub.records import Procedure, ProcedureHistory, ProcedureVersion


def version_of(procedure: Procedure) -> ProcedureVersion:
    """The ProcedureVersion of a catalogue entry (a ``Procedure`` record)."""
    return {
        "updated_at": procedure["updated_at"], "agency_code": procedure["agency_code"],
        "agency_name": procedure.get("agency_name"),
        "agency_type": procedure.get("agency_type") or "UNKNOWN",
        "level": procedure.get("level") or "UNKNOWN", "valid_from": procedure.get("valid_from"),
        "valid_to": procedure.get("valid_to"),
    }  # fmt: skip


def add_version(history: ProcedureHistory | None, procedure: Procedure) -> ProcedureHistory | None:
    """The history with the entry's version in place (by ``updated_at``); None if it holds it."""
    version = version_of(procedure)
    versions = [] if history is None else list(history["versions"])
    for known in versions:
        if known["updated_at"] == version["updated_at"]:
            return None if known == version else _replace(history, versions, version)
    versions.append(version)
    versions.sort(key=lambda v: v["updated_at"])
    return {"procedure_code": procedure["procedure_code"], "versions": versions}


def _replace(
    history: ProcedureHistory | None, versions: list[ProcedureVersion], version: ProcedureVersion
) -> ProcedureHistory:
    assert history is not None
    kept = [v for v in versions if v["updated_at"] != version["updated_at"]]
    return {"procedure_code": history["procedure_code"],
            "versions": sorted([*kept, version], key=lambda v: v["updated_at"])}  # fmt: skip


def version_at(history: ProcedureHistory, at: datetime) -> ProcedureVersion | None:
    """The version in effect at ``at``: the latest taken effect by then, else the first."""
    versions = history["versions"]
    if not versions:
        return None
    in_effect = [v for n, v in enumerate(versions) if n == 0 or v["updated_at"] <= at]
    return in_effect[-1].copy()


@dataclass(frozen=True)
class Offered:
    """One procedure as offered in a period: by whom, at which level."""

    procedure_code: str
    agency_code: str
    agency_name: str | None
    agency_type: str
    level: str


def offered(histories: Iterable[ProcedureHistory], period: Period) -> list[Offered]:
    """The procedures offered in ``period``, each with its agency and level at the period's end."""
    found: list[Offered] = []
    for history in histories:
        versions = history["versions"]
        if not versions:
            continue
        in_effect = [v for n, v in enumerate(versions) if n == 0 or v["updated_at"] < period.end]
        version = in_effect[-1]
        first, last = version["valid_from"], version["valid_to"]
        if first is not None and first > period.last_day:
            continue
        if last is not None and last < period.first_day:
            continue
        found.append(Offered(
            str(history["procedure_code"]), str(version["agency_code"]), version["agency_name"],
            str(version["agency_type"]), str(version["level"]),
        ))  # fmt: skip
    return found
