"""The published late lists over HTTP (``hub.sla``'s), for the late-list readers.

``GET /v1/reports/late?month=2025-03``: a month's overdue and late-returned dossiers, each with
its apology and its explanation, counted per agency, department and official.
``GET /v1/reports/late/explanations``: the late dossiers whose unit still owes its explanation
(báo cáo giải trình) as of now, of every period, per agency. Both as JSON, ``format=csv`` or
``format=xlsx``; an officer sees its own agency's dossiers only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.encoders import jsonable_encoder

from hub.api._auth import Caller, Role, visible_to
from hub.api._files import download
from hub.api._store import DeadlineStore
from hub.sla import (
    LateDossier,
    Period,
    WorkingCalendar,
    as_json,
    late_counts,
    late_dossiers,
    missing_explanations,
    write_csv,
    write_xlsx,
)

Format = Literal["json", "csv", "xlsx"]


def late_routes(
    views: DeadlineStore,
    now: Callable[[], datetime],
    calendar: WorkingCalendar,
    reader: Any,
) -> APIRouter:
    """The late-list routes over the deadlines ``views``, judged at ``now()``; ``reader`` is
    the ``Depends(...)`` that authenticates a late-list reader, used as the default of each
    route's ``caller`` (``Any``, as FastAPI's ``Depends`` returns, so it fits ``Caller``)."""
    router = APIRouter()

    def deadlines() -> Any:
        if not views.ready:
            raise HTTPException(status_code=503, detail="deadlines not loaded yet")
        return views.values()

    def report(
        entries: Sequence[LateDossier], caller: Caller, period: Period, name: str, title: str,
        format: Format,
    ) -> Any:  # fmt: skip
        if caller.role is Role.OFFICER:
            entries = [e for e in entries if e.agency_code == caller.agency]
        counts = late_counts(entries)
        file = download(
            format, name, csv=lambda out: write_csv(entries, out),
            xlsx=lambda path: write_xlsx(entries, counts, path, title=title),
        )  # fmt: skip
        if file is not None:
            return file
        return visible_to(caller, jsonable_encoder(as_json(entries, counts, period)))

    @router.get("/v1/reports/late")
    def late_report(
        month: str = Query(..., description="The period, e.g. 2025-03."),
        caller: Caller = reader,
        format: Format = "json",
    ) -> Any:
        """Overdue and late-returned dossiers of a month, per agency, department and official
        (for an officer: its own agency's only)."""
        try:
            period = Period.month(month)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        entries = late_dossiers(deadlines(), period, as_of=now(), calendar=calendar)
        name, title = f"late-{period.label}", f"Hồ sơ trễ hạn {period.label}"
        return report(entries, caller, period, name, title, format)

    @router.get("/v1/reports/late/explanations")
    def missing_explanation_report(caller: Caller = reader, format: Format = "json") -> Any:
        """Late dossiers (overdue now, or returned late) whose responsible unit has not yet
        recorded its explanation, per agency (for an officer: its own agency's only)."""
        as_of = now()
        entries = missing_explanations(deadlines(), as_of=as_of, calendar=calendar)
        period = Period.until(as_of, calendar.tz)
        day = period.label.removeprefix("until ")
        title = f"Hồ sơ trễ hạn chưa giải trình đến {day}"
        return report(entries, caller, period, f"missing-explanations-{day}", title, format)

    return router
