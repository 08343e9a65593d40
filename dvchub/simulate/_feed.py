"""The scripts fed to the hub as simulated time passes.

Each tick, every dossier whose next step is due runs its due steps in order: the events it
pushes go in one batch through the portal connector (one request per few hundred events, in
each dossier's order), then the first step that is not a push (the signing processor's event
published, a dossier filed on the national portal, VNPost moving an order, a payer paying) runs
after that batch, so it never overtakes the dossier's earlier events. A partner's step needs
what the hub made first (the payment link, the waybill): until the tail saw it, the dossier
waits; the slow ones (VNPost's callbacks, the IPN with its retries) run on a small pool, the
dossier held meanwhile. A step that ``awaits`` an event holds the dossier's next step until the
tail saw it.

What the feed tells the clock (``_pace``): ``horizon()``, the earliest instant of an office's
step (an event pushed or published) not fed yet. A partner's step does not hold the clock: its
events carry their scripted instant (``PartnerClock``), and until a dossier's next office step is
fed none of its timers can be due before that step (an office step after a fee paid is scripted
before the dossier's deadline, or late after it).
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connectors.bank import PaygovSimulator
from connectors.common import AckedPublisher
from connectors.national import NationalPortalSimulator
from connectors.portal.client import portal_item
from connectors.vnpost import VnpostSimulator
from dvchub.demo import RunningPortal
from dvchub.simulate._script import Action, Callback, Event, Script, Step
from dvchub.simulate._tail import Tail
from hub.topics import DOSSIER_EVENTS

#: Simulated time between two statuses of one postal order (VNPost's callbacks).
POSTAL_STATUS_GAP = timedelta(minutes=30)
_OFFICE = frozenset({Action.PUSH, Action.PUBLISH})


class FeedError(RuntimeError):
    """A step the hub or a simulator refused: the run cannot go on."""


class PartnerClock:
    """The simulators' clock (their public ``clock``): a partner's scripted step happens at its
    instant (set for the thread that runs it); anything else a simulator does on its own (an
    order registered, a payment created) at the run's clock."""

    def __init__(self, run_clock: Callable[[], datetime]) -> None:
        self._run_clock = run_clock
        self._local = threading.local()

    def __call__(self) -> datetime:
        at: datetime | None = getattr(self._local, "at", None)
        return at if at is not None else self._run_clock()

    def at(self, moment: datetime | None) -> None:
        """The instant this thread's partner step happens at (None: the run's clock again)."""
        self._local.at = moment


@dataclass(frozen=True)
class Partners:
    """The simulators the scripts act through."""

    vnpost: VnpostSimulator
    bank: PaygovSimulator
    national: NationalPortalSimulator
    clock: PartnerClock


@dataclass
class _Cursor:
    script: Script
    next: int = 0
    awaits: str | None = None
    busy: bool = False
    #: index -> instant of the first office step at or after it (None: no more)
    office_at: tuple[datetime | None, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        found: list[datetime | None] = [None]
        for step in reversed(self.script.steps):
            found.append(step.at if step.action in _OFFICE else found[-1])
        self.office_at = tuple(reversed(found))

    @property
    def holds(self) -> datetime | None:
        """The instant of this dossier's next office step not fed yet."""
        return self.office_at[self.next]

    @property
    def finished(self) -> bool:
        return self.next >= len(self.script.steps) and not self.busy and self.awaits is None


class Feed:
    def __init__(self, scripts: Sequence[Script], portal: RunningPortal, signer: AckedPublisher,
                 partners: Partners, tail: Tail, pool: ThreadPoolExecutor) -> None:  # fmt: skip
        self._cursors = [_Cursor(s) for s in scripts]
        self._due = [(s.steps[0].at, i) for i, s in enumerate(scripts)]
        heapq.heapify(self._due)
        self._active: set[int] = set()
        self._portal, self._signer, self._partners = portal, signer, partners
        self._tail, self._pool = tail, pool
        self._failed: list[BaseException] = []
        self.pushed = 0
        self.finished = 0

    @property
    def done(self) -> bool:
        return self.finished == len(self._cursors)

    def waiting(self) -> list[str]:
        """Dossiers whose script is not finished (for a failure's message)."""
        return [c.script.dossier_id for c in self._cursors if not c.finished]

    def horizon(self) -> datetime | None:
        """The earliest office step not fed yet, of any dossier (None: all fed)."""
        held = [h for i in self._active if (h := self._cursors[i].holds) is not None]
        # an idle dossier's next step is due after the last tick: its office step no earlier
        held += [at for at, _ in self._due[:1]]
        return min(held, default=None)

    def tick(self, now: datetime) -> None:
        if self._failed:
            raise FeedError(f"a partner step failed: {self._failed[0]!r}") from self._failed[0]
        while self._due and self._due[0][0] <= now:
            self._active.add(heapq.heappop(self._due)[1])
        batch: list[Event] = []
        after: list[tuple[_Cursor, Step]] = []
        for i in sorted(self._active):
            cursor = self._cursors[i]
            if cursor.busy:
                continue
            if cursor.awaits is not None:
                if not self._tail.seen(cursor.script.dossier_id, cursor.awaits):
                    continue
                cursor.awaits = None
            steps = cursor.script.steps
            while cursor.next < len(steps) and steps[cursor.next].at <= now:
                step = steps[cursor.next]
                if step.action is not Action.PUSH:
                    after.append((cursor, step))
                    break
                batch.extend(step.events)
                cursor.next += 1
        self._push(batch)
        for cursor, step in after:
            self._act(cursor, step)
        self._reschedule(now)

    def _reschedule(self, now: datetime) -> None:
        for i in list(self._active):
            cursor = self._cursors[i]
            if cursor.finished:
                self._active.discard(i)
                self.finished += 1
            elif (not cursor.busy and cursor.awaits is None
                  and cursor.script.steps[cursor.next].at > now):  # fmt: skip
                self._active.discard(i)
                heapq.heappush(self._due, (cursor.script.steps[cursor.next].at, i))

    def _push(self, events: list[Event]) -> None:
        if not events:
            return
        try:
            results = list(self._portal.client.push_all(portal_item(e) for e in events))
        except Exception as exc:  # the client's error carries the portal's answer
            raise FeedError(f"the portal refused a batch: {getattr(exc, 'body', exc)}") from exc
        # a batch sent again after the connector died with it may come back duplicate
        taken = sum(r.accepted + r.duplicates for r in results)
        if taken != len(events):
            raise FeedError(f"the portal took {taken} of {len(events)} events: {results}")
        self.pushed += taken

    def _act(self, cursor: _Cursor, step: Step) -> None:
        """Start a partner's step if what it needs is there; else the dossier waits."""
        dossier = cursor.script.dossier_id
        if step.action is Action.PUBLISH:
            self._signer.publish(DOSSIER_EVENTS, [(dossier, e) for e in step.events])
        elif step.action is Action.FILE_NATIONAL:
            self._partners.national.file_dossier(dict(step.filed or {}))
        elif step.action is Action.PAY:
            reference = self._tail.payment_reference(dossier)
            if reference is None:
                return
            self._slow(cursor, step, _pay, self._partners.bank, reference, step.callback)
        elif step.action is Action.POSTAL:
            waybill = self._tail.waybill(dossier, str(step.direction))
            if waybill is None:
                return
            self._slow(cursor, step, _deliver, self._partners.vnpost, waybill)
        cursor.next += 1
        cursor.awaits = step.awaits

    def _slow(self, cursor: _Cursor, step: Step, action: Callable[..., None],
              *args: object) -> None:  # fmt: skip
        cursor.busy = True
        future: Future[None] = self._pool.submit(
            _at, self._partners.clock, step.at, action, *args)  # fmt: skip

        def settled(done: Future[None]) -> None:
            error = done.exception()
            if error is not None:
                self._failed.append(error)
            cursor.busy = False

        future.add_done_callback(settled)


def _at(clock: PartnerClock, moment: datetime, action: Callable[..., None],
        *args: object) -> None:  # fmt: skip
    """``action`` on this thread, the partners' clock at ``moment``."""
    clock.at(moment)
    try:
        action(clock, *args)
    finally:
        clock.at(None)


def _pay(_: PartnerClock, bank: PaygovSimulator, reference: str,
         callback: Callback | None) -> None:  # fmt: skip
    bank.pay(reference, notify=callback is not Callback.LOST)
    if callback is Callback.DUPLICATED:
        bank.pay(reference)  # paying a paid payment sends its callback again


def _deliver(clock: PartnerClock, vnpost: VnpostSimulator, waybill: str) -> None:
    """The order to its end, a status every ``POSTAL_STATUS_GAP`` from the step's instant (or
    its last status, if later: the order never goes back in time)."""
    moment = max(clock(), vnpost.order(waybill).history[-1][1])
    while True:
        clock.at(moment)
        if vnpost.advance(waybill) is None:
            return
        moment += POSTAL_STATUS_GAP
