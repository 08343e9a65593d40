"""What a dossier's event counts, before it becomes KpiFacts for each period (``_dossier``)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from hub.records import KpiFactKind, KpiRating, ServiceLevel


class Counts(TypedDict, total=False):
    """What a fact counts, besides its kind (the others are False, or 0)."""

    level: ServiceLevel
    online: bool
    digitised: bool
    on_time: bool
    amount_vnd: int
    rating: KpiRating  # RATED: the rating counted; UNRATED: the one taken back


#: A fact's kind, the instant whose periods it counts in, and what it counts.
Counted = tuple[KpiFactKind, datetime, Counts]
