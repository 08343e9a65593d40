"""The published summary of the late lists: late dossiers counted per agency, department, official.

Pure, as ``hub.sla._late``: the rows are built from the ``LateDossier`` entries it lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from hub.sla._late import LATE_RETURNED, OVERDUE, LateDossier, publication_order


@dataclass(frozen=True)
class LateCount:
    """Late dossiers of one agency, department or official: the published summary rows."""

    level: str
    agency_code: str
    agency_name: str | None
    department: str | None
    official: str | None
    overdue: int
    late_returned: int
    without_apology: int
    without_explanation: int = 0

    @property
    def total(self) -> int:
        """All late dossiers of the row."""
        return self.overdue + self.late_returned


def _count(
    level: str,
    group: Sequence[LateDossier],
    department: str | None = None,
    official: str | None = None,
) -> LateCount:
    first = group[0]
    return LateCount(
        level=level,
        agency_code=first.agency_code or "",
        agency_name=next((e.agency_name for e in group if e.agency_name), None),
        department=department,
        official=official,
        overdue=sum(e.kind == OVERDUE for e in group),
        late_returned=sum(e.kind == LATE_RETURNED for e in group),
        without_apology=sum(e.apology_issued_at is None for e in group),
        without_explanation=sum(e.explanation_recorded_at is None for e in group),
    )


def _official_key(entry: LateDossier) -> str:
    return entry.official_id or entry.official_name or ""


def _grouped(
    entries: Iterable[LateDossier], key: Callable[[LateDossier], str | None]
) -> list[tuple[str | None, list[LateDossier]]]:
    """Groups by ``key``, in the order the groups first appear."""
    groups: dict[str | None, list[LateDossier]] = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry)
    return list(groups.items())


def late_counts(entries: Sequence[LateDossier]) -> list[LateCount]:
    """Rows per agency, per (agency, department), per (agency, department, official).

    Ordered as an outline: each agency row, then each of its departments followed by that
    department's officials. A missing agency code groups under ``""``; a missing department
    or official is a row of its own with ``None``.
    """
    rows: list[LateCount] = []
    ordered = sorted(entries, key=publication_order)  # agency code, department, official name
    for _, of_agency in _grouped(ordered, lambda e: e.agency_code or ""):
        rows.append(_count("agency", of_agency))
        for department, of_department in _grouped(of_agency, lambda e: e.department):
            rows.append(_count("department", of_department, department))
            for _, of_official in _grouped(of_department, _official_key):
                first = of_official[0]
                official = first.official_name or first.official_id
                rows.append(_count("official", of_official, department, official))
    return rows
