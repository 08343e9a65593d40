"""The demo's satisfaction ratings (QĐ 766): applicants of one month rate a share of the
dossiers whose handling ended (result returned, refused, withdrawn, stopped), on the five
criteria, for the official who handed the result back; a few change their mind later (the
later rating replaces the earlier). They go through the portal connector after the year's
events, as any portal event does; the KPI section shows them counted."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from hub.events import new_event
from hub.kpi import CRITERIA, HIGHEST, LOWEST
from hub.sample import VN_TZ

#: The statuses after which a rating is legal (``hub.dossier.RECORDED_IN``), as event types.
_ENDING: Final = frozenset(
    {"RESULT_RETURNED", "DOSSIER_REFUSED", "DOSSIER_WITHDRAWN", "PROCESSING_STOPPED"}
)
#: One ended dossier in ``EVERY`` is rated; one rating in ``CHANGED`` is given again later.
EVERY, CHANGED = 3, 4


def _rating(
    dossier_id: str, official: str | None, at: datetime, rng: random.Random
) -> dict[str, Any]:
    # applicants mostly agree with themselves across criteria: one mood, a little noise
    mood = rng.randint(LOWEST + 1, HIGHEST)
    scores: dict[str, object] = {
        name: max(LOWEST, min(HIGHEST, mood + rng.choice((-1, 0, 0, 1)))) for name in CRITERIA
    }
    payload = {**scores, "channel": "PROVINCIAL_PORTAL", "official_id": official, "comment": None}
    return new_event(dossier_id, "SatisfactionRated", payload, source="PROVINCIAL_PORTAL",
                     occurred_at=at)  # fmt: skip


def ratings_of(
    events: Iterable[dict[str, Any]], year: int, month: int, seed: int
) -> list[dict[str, Any]]:
    """Ratings of the dossiers of ``events`` whose handling ended in ``year``-``month`` (local):
    one in ``EVERY`` rated within the day, one rating in ``CHANGED`` replaced two days later."""
    last: dict[str, dict[str, Any]] = {}
    for event in events:
        last[str(event["dossier_id"])] = event
    ended = sorted(
        (e for e in last.values() if e["event_type"] in _ENDING
         and (e["occurred_at"].astimezone(VN_TZ).year, e["occurred_at"].astimezone(VN_TZ).month)
         == (year, month)),
        key=lambda e: str(e["dossier_id"]),
    )  # fmt: skip
    rng = random.Random(seed)  # noqa: S311 - seeded demo data, not a secret
    first = [
        _rating(str(e["dossier_id"]), (e.get("actor") or {}).get("official_id"),
                e["occurred_at"] + timedelta(hours=rng.randrange(1, 8)), rng)
        for e in ended[::EVERY]
    ]  # fmt: skip
    again = [
        _rating(str(r["dossier_id"]), r["payload"][1]["official_id"],
                r["occurred_at"] + timedelta(days=2), rng)
        for r in first[::CHANGED]
    ]  # fmt: skip
    return first + again
