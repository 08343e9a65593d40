"""Deadlines of the transfer steps between a receiving desk and the competent agency (pure).

Acceptance anywhere in the province (DOMAIN.md §7, ``hub.dossier.Placement``) adds legs to a
dossier filed at a desk other than the competent agency's own, each with its own deadline in
working time on the SLA's calendar (``WorkingCalendar``):

=============  ==============================  ==============================  ================
step           starts at                       done at                         due after
=============  ==============================  ==============================  ================
FORWARD        DossierSubmitted at the desk    DossierForwarded                ``forward``
TO_AGENCY      DossierForwarded                DossierReceivedByAgency         ``carry`` [m]
TRANSFER       AgencyTransferred               DossierReceivedByAgency (new)   ``carry`` [m]
RESULT_SEND    ResultReady                     ResultForwarded                 ``forward``
TO_DESK        ResultForwarded                 ResultReceivedByDesk            ``carry`` [m]
=============  ==============================  ==============================  ================

[m]: by the step's ``TransferMethod``: ``postal`` working days when VNPost carries it, else
``carry`` (the digitised dossier or the province's own staff).

Why these figures (``TransferDeadlines``, all configurable, ``DVC_SLA_TRANSFER_*``): NĐ 61/2018
art. 19, kept by NĐ 107/2021, has a desk pass a dossier it received on to the handling unit the
same working day, or at the next morning's opening when it came in after 15:00: at most one
working day, so ``forward`` = 1 (the same rule for the result the agency sends back). The
hand-over itself is not timed by the decrees: 1 working day for an electronic or internal one
(the next day's intake at the agency) and 2 for VNPost's intra-province leg are this hub's
defaults, to set per province.

A step is late when it is done after its due time, or not done by ``now`` after it; how late in
working days is the working time past the due time over a working day's length.
``late_transfers`` lists them for a period, with the competent agency *and* the receiving desk of
each, and ``transfer_counts`` counts them by either, as the province publishes late lists by
agency and reports the desks' own work separately.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.dossier import DossierEvent, Placement
from hub.records import AgencyTransferred, DossierForwarded, ResultForwarded, TransferMethod
from hub.sla._calendar import WorkingCalendar

StepKind = Literal["FORWARD", "TO_AGENCY", "TRANSFER", "RESULT_SEND", "TO_DESK"]
#: The events that close each step: the one that completes it, and one that makes it moot (a
#: transfer re-targets a dossier on its way, a result handed to the applicant needs no desk).
_DONE_BY: Final[Mapping[StepKind, frozenset[str]]] = {
    "FORWARD": frozenset({"DOSSIER_FORWARDED", "AGENCY_TRANSFERRED"}),
    "TO_AGENCY": frozenset({"DOSSIER_RECEIVED_BY_AGENCY", "AGENCY_TRANSFERRED"}),
    "TRANSFER": frozenset({"DOSSIER_RECEIVED_BY_AGENCY", "AGENCY_TRANSFERRED"}),
    "RESULT_SEND": frozenset({"RESULT_FORWARDED", "RESULT_RETURNED"}),
    "TO_DESK": frozenset({"RESULT_RECEIVED_BY_DESK", "RESULT_RETURNED"}),
}
#: Events after which no step is awaited any more: each open one ends there.
_ENDS_ALL: Final = frozenset({"DOSSIER_REFUSED", "DOSSIER_WITHDRAWN", "PROCESSING_STOPPED"})


@dataclass(frozen=True, slots=True)
class TransferDeadlines:
    """Working days each step may take (module docstring: the figures and why)."""

    forward: int = 1
    carry: int = 1
    postal: int = 2

    def days(self, kind: StepKind, method: TransferMethod) -> int:
        if kind in ("FORWARD", "RESULT_SEND"):
            return self.forward
        return self.postal if method == "POSTAL" else self.carry


class TransferSettings(BaseSettings):
    """``TransferDeadlines`` from ``DVC_SLA_TRANSFER_``-prefixed environment variables."""

    model_config = SettingsConfigDict(env_prefix="DVC_SLA_TRANSFER_", frozen=True, extra="ignore")

    forward_working_days: int = Field(1, gt=0, description="A desk or agency passes it on.")
    carry_working_days: int = Field(1, gt=0, description="Electronic or internal hand-over.")
    postal_working_days: int = Field(2, gt=0, description="VNPost's leg in the province.")

    def deadlines(self) -> TransferDeadlines:
        return TransferDeadlines(
            self.forward_working_days, self.carry_working_days, self.postal_working_days
        )


@dataclass(frozen=True, slots=True)
class TransferStep:
    """One leg of a dossier's journey, with its deadline."""

    kind: StepKind
    agency_code: str
    desk_code: str | None
    method: TransferMethod
    started_at: datetime
    due_at: datetime
    done_at: datetime | None = None
    #: The event type that ended it: the one completing it, or one that made it moot.
    closed_by: str | None = None

    def late_days(self, calendar: WorkingCalendar, now: datetime) -> float:
        """Working days past the due time (done, or still open at ``now``); 0 when on time."""
        end = self.done_at if self.done_at is not None else now
        if end <= self.due_at:
            return 0.0
        past = calendar.working_time_between(self.due_at, end)
        return max(0.0, past / calendar.hours.day_length)


@dataclass(frozen=True, slots=True)
class Transfers:
    """A dossier's placement and its transfer steps, oldest first."""

    dossier_id: str
    placement: Placement = field(default_factory=Placement)
    steps: tuple[TransferStep, ...] = ()

    def after(
        self, event: DossierEvent, calendar: WorkingCalendar, deadlines: TransferDeadlines
    ) -> Transfers:
        """The steps after ``event``: the open step it ends is done, the one it starts opens."""
        placement = self.placement.after(event)
        steps = tuple(_closed(self.steps, event.event_type, event.occurred_at))
        opened = _opened(event, placement)
        if opened is not None and placement.via_desk and placement.competent_agency is not None:
            kind, method = opened
            due = calendar.add_working_days(event.occurred_at,
                                            deadlines.days(kind, method))  # fmt: skip
            steps += (TransferStep(kind, placement.competent_agency, placement.receiving_desk,
                                   method, event.occurred_at, due),)  # fmt: skip
        return Transfers(self.dossier_id, placement, steps)

    def open_step(self) -> TransferStep | None:
        return next((s for s in reversed(self.steps) if s.done_at is None), None)


def follow(
    events: Iterable[DossierEvent], calendar: WorkingCalendar, deadlines: TransferDeadlines
) -> dict[str, Transfers]:
    """dossier id -> its transfers after ``events`` (in each dossier's order)."""
    out: dict[str, Transfers] = {}
    for event in events:
        now = out.get(event.dossier_id) or Transfers(event.dossier_id)
        out[event.dossier_id] = now.after(event, calendar, deadlines)
    return out


def _closed(steps: tuple[TransferStep, ...], event_type: str, at: datetime) -> list[TransferStep]:
    ends = event_type in _ENDS_ALL
    return [
        replace(s, done_at=at, closed_by=event_type)
        if s.done_at is None and (ends or event_type in _DONE_BY[s.kind])
        else s
        for s in steps
    ]


def _opened(event: DossierEvent, placement: Placement) -> tuple[StepKind, TransferMethod] | None:
    kind = event.event_type
    if kind == "DOSSIER_SUBMITTED":
        return "FORWARD", "UNKNOWN"
    if kind == "DOSSIER_FORWARDED":
        return "TO_AGENCY", event.payload_as(DossierForwarded)["method"]
    if kind == "AGENCY_TRANSFERRED":
        return "TRANSFER", event.payload_as(AgencyTransferred)["method"]
    if kind == "RESULT_READY":
        return "RESULT_SEND", "UNKNOWN"
    if kind == "RESULT_FORWARDED":
        return "TO_DESK", event.payload_as(ResultForwarded)["method"]
    return None


# -- late lists ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LateTransfer:
    """A transfer step late in the period: done late in it, or open and past due at its end."""

    dossier_id: str
    step: TransferStep
    late_days: float

    @property
    def open(self) -> bool:
        return self.step.done_at is None


def late_transfers(
    transfers: Iterable[Transfers],
    calendar: WorkingCalendar,
    start: datetime,
    end: datetime,
) -> list[LateTransfer]:
    """The steps late in ``[start, end)``: done late in it, or still open and past due at ``end``
    (then late as of ``end``); by agency, desk, dossier and step start."""
    out = []
    for dossier in transfers:
        for step in dossier.steps:
            judged = step.done_at if step.done_at is not None else end
            if step.done_at is not None and not start <= step.done_at < end:
                continue
            if step.done_at is None and step.started_at >= end:
                continue
            days = step.late_days(calendar, judged)
            if days > 0:
                out.append(LateTransfer(dossier.dossier_id, step, round(days, 2)))
    return sorted(out, key=lambda e: (e.step.agency_code, e.step.desk_code or "", e.dossier_id,
                                      e.step.started_at))  # fmt: skip


@dataclass(frozen=True, slots=True)
class TransferCount:
    """Late transfer steps of one competent agency or one receiving desk."""

    by: Literal["AGENCY", "DESK"]
    code: str
    late: int
    still_open: int
    steps: Mapping[str, int]


def transfer_counts(entries: Iterable[LateTransfer]) -> list[TransferCount]:
    """The late steps counted per competent agency, then per receiving desk (codes sorted)."""
    listed = list(entries)
    rows = []
    for by in ("AGENCY", "DESK"):
        groups: dict[str, list[LateTransfer]] = {}
        for entry in listed:
            code = entry.step.agency_code if by == "AGENCY" else entry.step.desk_code or ""
            groups.setdefault(code, []).append(entry)
        for code in sorted(groups):
            group = groups[code]
            kinds = Counter(e.step.kind for e in group)
            rows.append(TransferCount(by, code, len(group), sum(e.open for e in group),
                                      dict(sorted(kinds.items()))))  # fmt: skip
    return rows
