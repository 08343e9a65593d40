"""An intake started as its service starts it (its lifespan on the inbound shell), held open on
an event loop thread of its own, its rounds called from the test's thread."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, Self, TypeVar

from connectors.common import NotAcknowledged
from connectors.national import IntakeReport, NationalIntake, NationalPortalError
from tests.security._attack import Answer, Probe
from tests.security._hostile_portal import HostilePortal

T = TypeVar("T")
#: Longer than a round against the simulator and the broker, shorter than a hung test.
CALL_TIMEOUT_S = 60.0


class HeldIntake:
    """``with HeldIntake(intake) as held: held.drain()``: started on entry, stopped on exit."""

    def __init__(self, intake: NationalIntake) -> None:
        self.intake = intake
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._lifespan: AbstractAsyncContextManager[None] | None = None

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """``coroutine`` run on the intake's loop; its result or its exception."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(CALL_TIMEOUT_S)

    def __enter__(self) -> Self:
        self._thread.start()
        self._lifespan = self.intake.lifespan()
        try:
            self.call(self._lifespan.__aenter__())
        except BaseException:
            self._end()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        """Stops the intake (once: a test may stop it before its fixture does)."""
        lifespan, self._lifespan = self._lifespan, None
        try:
            if lifespan is not None:
                self.call(lifespan.__aexit__(None, None, None))
        finally:
            self._end()

    def _end(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=CALL_TIMEOUT_S)
        self._loop.close()

    # -- the intake's calls, from the test's thread --------------------------------------------
    def poll_once(self) -> IntakeReport:
        return self.call(self.intake.poll_once())

    def drain(self) -> IntakeReport:
        return self.call(self.intake.drain())

    @property
    def cursor(self) -> str | None:
        return self.intake.cursor

    def imported(self, national_code: str) -> bool:
        return self.intake.imported(national_code)


class IntakeTarget:
    """An attempt is the portal's reply (``HostilePortal``); sending it is one round of the
    intake, answered with what the round reported. ``GET /ready`` is answered with the shell's
    readiness, the body of the intake's ``/ready``."""

    def __init__(self, portal: HostilePortal, held: HeldIntake) -> None:
        self.portal = portal
        self.held = held

    def send(self, probe: Probe) -> Answer:
        if (probe.method, probe.path) == ("GET", "/ready"):
            readiness = self.held.call(self.held.intake.shell.readiness())
            return Answer(readiness.status_code, json.dumps(readiness.body()))
        self.portal.serve(probe)
        return self._poll()

    def send_declared(self, probe: Probe) -> Answer:
        self.portal.serve(probe, "declared")
        return self._poll()

    def send_streamed(self, probe: Probe, limit: int) -> Answer:
        self.portal.serve(probe, "streamed", limit)
        return self._poll()

    def _poll(self) -> Answer:
        try:
            report = self.held.poll_once()
        except (NationalPortalError, NotAcknowledged) as exc:
            return Answer(None, f"{type(exc).__name__} {exc}")
        counts = (f"imported={report.imported} duplicates={report.duplicates} "
                  f"dead_lettered={report.dead_lettered} events={report.events}")  # fmt: skip
        return Answer(None, counts)
