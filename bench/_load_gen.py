"""The load of ``bench/load.py``: sample dossiers (``hub.sample``) pushed through the portal
connector's REST API by several concurrent clients, paced at a stated rate or flat out.

Each client owns every ``clients``-th dossier and sends its batches one after another, so a
dossier's events reach the connector in order, as a province's one-stop system would send them.
Within a client ``window`` dossiers are interleaved event by event (a batch holds steps of many
dossiers, not one dossier's whole life), so the lifecycle's per-dossier coalescing in a batch is
not flattered. Events are made while the load runs, so a flat-out phase has no upper bound.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from bench._load_portal import PortalProcess
from connectors.portal.client import PortalError, portal_item
from hub.sample import dossier_lifecycle

#: A dossier numbered n is dated ``start + n % SPREAD_DAYS`` days (as ``hub.sample`` does) and
#: its id carries that date and n, so phases whose starts are this far apart share no dossier.
SPREAD_DAYS = 20


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    seconds: float
    rate: float | None  # offered events/s over all clients; None: flat out
    start: datetime  # the first day of its dossiers
    clients: int
    batch: int
    window: int
    seed: int


@dataclass(frozen=True)
class Batch:
    """One answered POST: its wall-clock send time (compared with Kafka's timestamps) and
    duration (TLS, validation, produce, the broker's acknowledgement, the answer)."""

    sent_s: float
    took_s: float
    accepted: int
    event_ids: tuple[str, ...]

    @property
    def answered_s(self) -> float:
        return self.sent_s + self.took_s


@dataclass(frozen=True)
class Phase:
    spec: PhaseSpec
    started_s: float
    batches: tuple[Batch, ...]
    failures: tuple[str, ...]

    @property
    def seconds(self) -> float:
        """From the start to the last answer."""
        ended = max((b.answered_s for b in self.batches), default=self.started_s)
        return max(ended - self.started_s, 1e-3)

    @property
    def events(self) -> int:
        return sum(b.accepted for b in self.batches)

    @property
    def sent(self) -> int:
        return sum(len(b.event_ids) for b in self.batches)

    @property
    def requests_per_s(self) -> float:
        return len(self.batches) / self.seconds

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds


def dossier_events(spec: PhaseSpec, client: int) -> Iterator[Mapping[str, object]]:
    """Client ``client``'s dossiers' events, ``spec.window`` dossiers interleaved, endless."""
    rng = random.Random(f"{spec.seed}-{client}")
    number = client + 1
    while True:
        lifecycles = []
        for _ in range(spec.window):
            day = spec.start + timedelta(days=number % SPREAD_DAYS)
            lifecycles.append(dossier_lifecycle(rng, number, day))
            number += spec.clients
        for step in range(max(len(events) for events in lifecycles)):
            yield from (events[step] for events in lifecycles if step < len(events))


def run_phase(portal: PortalProcess, spec: PhaseSpec, at_half: Callable[[], None]) -> Phase:
    """Drive ``spec.clients`` clients for ``spec.seconds``; ``at_half`` is called half-way."""
    started_s, began = time.time(), time.monotonic()
    ends = began + spec.seconds
    answered: list[list[Batch]] = [[] for _ in range(spec.clients)]
    failures: list[str] = []
    half = threading.Timer(spec.seconds / 2, at_half)
    half.start()

    def drive(client: int) -> None:
        events = dossier_events(spec, client)
        with portal.client() as http:
            for k in itertools.count():
                items = [portal_item(next(events)) for _ in range(spec.batch)]
                if spec.rate:  # client i's k-th batch is the (k * clients + i)-th offered
                    due = began + (k * spec.clients + client) * spec.batch / spec.rate
                    time.sleep(max(0.0, due - time.monotonic()))
                if time.monotonic() >= ends:
                    return
                sent, clock = time.time(), time.monotonic()
                try:
                    result = http.push_events(items)
                except (PortalError, httpx.HTTPError) as exc:
                    failures.append(f"client {client}: {type(exc).__name__}: {exc}")
                    return
                ids = tuple(item["event_id"] for item in items)
                answered[client].append(Batch(sent, time.monotonic() - clock, result.accepted, ids))

    try:
        with ThreadPoolExecutor(spec.clients, thread_name_prefix="load") as pool:
            list(pool.map(drive, range(spec.clients)))
    finally:
        half.join()
    batches = sorted((b for client in answered for b in client), key=lambda b: b.sent_s)
    return Phase(spec, started_s, tuple(batches), tuple(failures))
