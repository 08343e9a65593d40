"""The QĐ 766 satisfaction group (issue #21): applicants' ratings, counted per agency, official
and period, pure.

**Scale.** Each of the five criteria (``CRITERIA``: attitude, handling time, publicity, fees,
overall) is scored 1..5, the five-level scale the satisfaction surveys of the one-stop desks and
the portals use (rất không hài lòng, không hài lòng, bình thường, hài lòng, rất hài lòng): a
per-criterion mean stays comparable across channels, and the share satisfied is the ratings whose
*overall* score is "hài lòng" or better (``SATISFIED_FROM``). The contract
(``vn.dvchub.event.SatisfactionRated``) states the same scale; the portal refuses any other
score with a 422.

**When a rating counts.** Once handling ended: the result returned, or the dossier refused,
withdrawn or stopped (the status machine's terminal statuses; ``hub.dossier.RECORDED_IN``, the
lifecycle dead-letters an earlier one). It counts for the agency the dossier counts for, in the
periods of the instant it was given, and for the official rated when the event names one.

**One rating per dossier.** A later rating replaces the earlier: the dossier's record
(``KpiDossier.rating``) keeps the one counted, and the new rating's event emits an ``UNRATED``
fact for the old one (its own periods, its official), then a ``RATED`` fact for the new. The
snapshots add both, so the old scores are taken back wherever they were counted; a replay folds
the same events into the same facts (replay = live).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Final, Literal

from hub.dossier import TERMINAL, DossierEvent
from hub.kpi._counts import Counted
from hub.kpi._periods import Period
from hub.records import (
    KpiDossier,
    KpiFact,
    KpiRating,
    KpiSnapshot,
    OfficialSatisfaction,
    SatisfactionRated,
    SatisfactionTotals,
)

if TYPE_CHECKING:
    from hub.kpi._log import Kpis

Criterion = Literal["attitude", "time", "publicity", "fees", "overall"]
#: The QĐ 766 satisfaction criteria, in the order the reports print them, with their titles.
CRITERIA: Final[dict[Criterion, str]] = {
    "attitude": "Thái độ phục vụ",
    "time": "Thời gian giải quyết",
    "publicity": "Công khai, minh bạch",
    "fees": "Phí, lệ phí",
    "overall": "Hài lòng chung",
}
#: The scale of every criterion (the contract's, vn.dvchub.event.SatisfactionRated).
LOWEST: Final = 1
HIGHEST: Final = 5
#: An overall score from this one up is "hài lòng" (4) or "rất hài lòng" (5).
SATISFIED_FROM: Final = 4
RATING_KINDS: Final = frozenset({"RATED", "UNRATED"})


# -- the dossier fold ----------------------------------------------------------------------------
def rating_counted(r: KpiDossier, event: DossierEvent) -> list[Counted]:
    """The facts of a SatisfactionRated (none for any other event, or before handling ended):
    ``UNRATED`` for the rating it replaces, then ``RATED``. Updates ``r["rating"]``."""
    if event.event_type != "SATISFACTION_RATED" or r["deadline"]["status"] not in TERMINAL:
        return []
    payload = event.payload_as(SatisfactionRated)
    new: KpiRating = {
        "attitude": payload["attitude"], "time": payload["time"],
        "publicity": payload["publicity"], "fees": payload["fees"],
        "overall": payload["overall"], "official_id": payload.get("official_id"),
        "rated_at": event.occurred_at,
    }  # fmt: skip
    old = r.get("rating")
    r["rating"] = new
    facts: list[Counted] = []
    if old is not None:
        facts.append(("UNRATED", old["rated_at"], {"rating": old}))
    facts.append(("RATED", new["rated_at"], {"rating": new}))
    return facts


# -- the snapshot sum ----------------------------------------------------------------------------
def new_totals() -> SatisfactionTotals:
    return {"rated": 0, "satisfied": 0, "attitude": 0, "time": 0, "publicity": 0, "fees": 0,
            "overall": 0}  # fmt: skip


def _added(totals: SatisfactionTotals | None, rating: KpiRating, sign: int) -> SatisfactionTotals:
    t = new_totals() if totals is None else totals.copy()
    t["rated"] += sign
    t["satisfied"] += sign * (rating["overall"] >= SATISFIED_FROM)
    for name in CRITERIA:
        t[name] += sign * rating[name]
    return t


def add_rating(s: KpiSnapshot, fact: KpiFact) -> None:
    """Add a RATED fact's scores to the snapshot (agency and official), or take an UNRATED
    fact's back."""
    rating = fact.get("rating")
    if rating is None:
        return
    sign = 1 if fact["kind"] == "RATED" else -1
    s["satisfaction"] = _added(s.get("satisfaction"), rating, sign)
    official = rating.get("official_id")
    if official is None:
        return
    rows = {o["official_id"]: o["totals"] for o in s.get("satisfaction_by_official", [])}
    rows[official] = _added(rows.get(official), rating, sign)
    # an official whose only rating was replaced counts no more: the list names the rated only
    s["satisfaction_by_official"] = [
        OfficialSatisfaction(official_id=code, totals=totals)
        for code, totals in sorted(rows.items())
        if totals["rated"]
    ]


# -- the reports ---------------------------------------------------------------------------------
def mean(total: int, count: int) -> Decimal | None:
    """``total / count``, two decimals rounded half up; None for no rating."""
    if count == 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Satisfaction:
    """The satisfaction group of one agency (or official) in one period."""

    rated: int
    satisfied: int
    means: tuple[Decimal | None, ...]  # per criterion, in ``CRITERIA``'s order

    @classmethod
    def of(cls, totals: SatisfactionTotals | None) -> Satisfaction:
        t = totals or new_totals()
        return cls(t["rated"], t["satisfied"], tuple(mean(t[c], t["rated"]) for c in CRITERIA))

    @property
    def mean_of(self) -> dict[Criterion, Decimal | None]:
        return dict(zip(CRITERIA, self.means, strict=True))


#: The group where nothing was rated.
NOT_RATED: Final = Satisfaction(0, 0, (None,) * len(CRITERIA))


@dataclass(frozen=True)
class OfficialSatisfactionRow:
    agency_code: str
    official_id: str
    satisfaction: Satisfaction


def satisfaction_by_official(kpis: Kpis, label: str) -> list[OfficialSatisfactionRow]:
    """Each rated official's satisfaction group for ``label``, by agency then official."""
    period = Period.parse(label)
    return [
        OfficialSatisfactionRow(
            str(s["agency_code"]), o["official_id"], Satisfaction.of(o["totals"])
        )
        for s in sorted(kpis.snapshots.values(), key=lambda s: str(s["agency_code"]))
        if s["period"] == period.label
        for o in s.get("satisfaction_by_official", [])
    ]


#: The group's columns in the 766 exports (after the rates), and their published titles.
SATISFACTION_COLUMNS: Final = ("rated", "satisfied_share", *(f"mean_{c}" for c in CRITERIA))
SATISFACTION_TITLES: Final = ("Lượt đánh giá", "Tỷ lệ hài lòng",
                              *(f"{title} (điểm TB)" for title in CRITERIA.values()))  # fmt: skip


def satisfaction_cells(group: Satisfaction, share: str) -> Sequence[str]:
    """The group's cells: ratings, the share satisfied (``share``, formatted as the other
    rates), each criterion's mean (``-`` without a rating)."""
    return [str(group.rated), share, *("-" if m is None else str(m) for m in group.means)]
