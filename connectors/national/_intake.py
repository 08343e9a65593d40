"""``NationalIntake``: dossiers filed on the national portal -> ``dossier.events``.

A poller (one per province) on the inbound shell (``connectors.common.InboundShell``) like every
other way a partner's news comes in: the same lifespan, acknowledged publishing, claim/settle
dedupe, ``/ready`` and ``/metrics`` (``_serve``), and stop. Each round calls LayDanhSachHoSoMoi
with its cursor, maps each listed dossier (``_listed``), produces the events (answered only
once the broker acknowledged them) and only then records the page on its compacted topic
``<prefix>national.intake`` (one partition, never expired)::

    key "dossier:<MaHoSo>"  a dedupe marker (``connectors.common.Marker``), one per imported
                            dossier, written after its events were acknowledged
    key "cursor"            {"cursor": <the portal's cursor after the page>}

At start-up the shell follows the markers (the imported codes: ``/ready`` waits for them) and
the intake reads the cursor to resume from. No consumer group and no local file: any host can
take over. (Markers of the layout before the shell, ``{"event_ids": [...]}``, are not read: such
a dossier listed again is produced again with the same event ids, which the lifecycle drops.)

What a listed dossier produces is ``_listed``'s: DossierSubmitted (and DossierAccepted or
DossierRefused) for states 1..3; a dead letter VALIDATION_FAILED for any other state, an unknown
one or a malformed item, with the cursor the page was asked with in a header.

Never twice: a code already imported is skipped (a duplicate), also when it is listed again in
another state: once imported, the province's own events carry the dossier on (so a marker's
fingerprint is its code: another state is no conflict). Two rounds listing one dossier at once
produce it once (the claim). A crash between producing the events and writing the marker
re-imports it with the same event ids (the lifecycle's dedupe by event id drops them); dead
letters of that page are then repeated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from connectors.common import (
    AvroRecord,
    Claim,
    DedupeSpec,
    InboundShell,
    InboundSpec,
    Marker,
    PollFailed,
)
from connectors.national._config import NationalConfig
from connectors.national._errors import NationalPortalError, PortalUnavailable
from connectors.national._listed import Refused, dead_letter, dossier_events
from connectors.national._metrics import IntakeMetrics
from connectors.national._transport import PortalTransport
from connectors.national._wire import SERVICE_LIST_NEW, DanhSachHoSo
from hub.deadletter import DEADLETTERS, DeadLetterInput
from hub.kafka import read_to_end
from hub.materialized import TopicFollower
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import DEADLETTER, DOSSIER_EVENTS

log = logging.getLogger(__name__)

INTAKE_STATE_SUFFIX = "national.intake"
CURSOR_KEY = "cursor"
#: Keys of the imported dossiers' markers on the intake's topic.
MARKER_PREFIX = "dossier:"


def intake_state_topic(settings: Settings) -> str:
    return f"{settings.topic_prefix}{INTAKE_STATE_SUFFIX}"


def marker_of(code: str) -> Marker:
    """The dedupe marker of an imported dossier (its code is its fingerprint: see above)."""
    return Marker(f"{MARKER_PREFIX}{code}", code, code)


@dataclass(frozen=True)
class IntakeReport:
    """What one page (or a drain of several) did."""

    listed: int = 0
    imported: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    events: int = 0
    cursor: str | None = None
    more: bool = False

    def __add__(self, other: IntakeReport) -> IntakeReport:
        return IntakeReport(
            self.listed + other.listed,
            self.imported + other.imported,
            self.duplicates + other.duplicates,
            self.dead_lettered + other.dead_lettered,
            self.events + other.events,
            other.cursor,
            other.more,
        )


@dataclass
class IntakeViews:
    """What the intake holds between rounds: the cursor, read from its topic at start-up and
    moved by each round once its records were acknowledged (one poller per province: the
    cursor is its own, not followed)."""

    cursor: str | None

    def followers(self) -> tuple[TopicFollower, ...]:
        return ()


@dataclass(frozen=True)
class _Page:
    """One listing, sorted: events per fresh code, dead letters, codes already imported."""

    listed: int
    events: dict[str, list[AvroRecord]]
    letters: list[DeadLetterInput]
    duplicates: int


class NationalIntake:
    """Polls the national portal's listing into ``dossier.events`` on an inbound shell.

    ``lifespan`` starts and stops it (``_serve`` serves it with ``/ready``, ``/metrics``);
    with ``poll`` (the default) the shell runs ``poll`` in a loop meanwhile, without it rounds
    are the caller's (``poll_once``, ``drain``: tests, the attack suite).
    """

    def __init__(
        self,
        settings: Settings,
        registry: RegistryClient | None,
        config: NationalConfig | None = None,
        *,
        transport: PortalTransport | None = None,
        poll: bool = True,
    ) -> None:
        self.settings = settings
        self.config = config or NationalConfig()
        self.topic = intake_state_topic(settings)
        self.metrics = IntakeMetrics()
        self._transport = transport or PortalTransport(self.config)
        spec = InboundSpec(
            "national-intake",
            produces=(DOSSIER_EVENTS, DEADLETTER),
            ack_timeout_s=self.config.ack_timeout_s,
            threads=self.config.produce_threads,
            dedupe=DedupeSpec(
                INTAKE_STATE_SUFFIX, None, self.config.dedupe_capacity, key_prefix=MARKER_PREFIX
            ),
            start_timeout_s=self.config.start_timeout_s,
        )
        self.shell = InboundShell(
            settings, spec, registry, self._views,
            on_marker_failure=self.metrics.marker_failures.inc, poll=self if poll else None,
        )  # fmt: skip

    @asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """The shell's lifespan (and its poll loop), then the portal's HTTP client closed."""
        try:
            async with self.shell.lifespan(app):
                yield
        finally:
            self.close()

    # -- the shell's parts ---------------------------------------------------------------------
    def _views(self, _: RegistryClient) -> IntakeViews:
        """Run by the shell at start-up, after it ensured the topic: the cursor to resume at."""
        cursor: str | None = None
        for record in read_to_end(self.settings, self.topic):
            if record.key == CURSOR_KEY.encode() and record.value is not None:
                cursor = json.loads(record.value)["cursor"]
        log.info("national intake resumes at cursor %r", cursor)
        return IntakeViews(cursor)

    @property
    def interval_s(self) -> float:
        return self.config.poll_interval_s

    @property
    def max_backoff_s(self) -> float:
        return self.config.max_backoff_s

    async def poll(self) -> bool:
        """One round for the shell's loop: portal failures become ``PollFailed``."""
        try:
            report = await self.poll_once()
        except NationalPortalError as exc:
            raise PollFailed(f"national portal: {exc}") from exc
        if report.listed:
            log.info(
                "national intake: %d listed, %d imported, %d duplicates, %d dead-lettered",
                report.listed, report.imported, report.duplicates, report.dead_lettered,
            )  # fmt: skip
        return report.more

    # -- rounds --------------------------------------------------------------------------------
    @property
    def cursor(self) -> str | None:
        return self.shell.runtime.views.cursor

    def imported(self, national_code: str) -> bool:
        ids = self.shell.runtime.ids
        return ids is not None and marker_of(national_code).id in ids

    async def poll_once(self) -> IntakeReport:
        """One page: list, produce, record. Raises ``NationalPortalError`` / ``NotAcknowledged``
        (nothing recorded then: the next round asks for the same page again)."""
        try:
            report = await self._round()
        except Exception:
            self.metrics.polls.labels("failed").inc()
            raise
        self.metrics.polls.labels("ok").inc()
        return report

    async def drain(self, max_pages: int = 10_000) -> IntakeReport:
        """Pages until the portal says there is no more (or ``max_pages``)."""
        total = IntakeReport(cursor=self.cursor)
        for _ in range(max_pages):
            report = await self.poll_once()
            total += report
            if not report.more:
                break
        return total

    async def _round(self) -> IntakeReport:
        views = self.shell.runtime.views
        asked_with = views.cursor
        asked = {"Cursor": asked_with, "SoLuong": self.config.page_size}
        data = await self.shell.blocking(self._transport.call, SERVICE_LIST_NEW, asked)
        try:
            listing = DanhSachHoSo.model_validate(data)
        except ValidationError as exc:  # e.g. a receipt where a listing belongs
            raise PortalUnavailable(
                "MALFORMED_REPLY", f"{SERVICE_LIST_NEW} reply is not a listing"
            ) from exc
        page = self._sort(listing.DanhSachHoSo, asked_with)

        async def produce(claim: Claim) -> None:
            fresh = [(m.dossier_id, e) for m in claim.fresh for e in page.events[m.dossier_id]]
            await self.shell.publish(DOSSIER_EVENTS, fresh)

        claim = await self.shell.publish_once([marker_of(c) for c in page.events], produce)
        if page.letters:
            await self.shell.publish(
                DEADLETTER,
                [((lt.original_key or b"").decode(), lt.to_record()) for lt in page.letters],
            )
            for letter in page.letters:
                DEADLETTERS.labels(letter.processor, letter.reason_code).inc()
        if listing.Cursor is not None and listing.Cursor != asked_with:
            cursor = json.dumps({"cursor": listing.Cursor}).encode()
            await self.shell.publish_bytes(self.topic, [(CURSOR_KEY, cursor)])
            views.cursor = listing.Cursor
        duplicates = page.duplicates + len(claim.duplicates)
        self.metrics.intake.labels("imported").inc(len(claim.fresh))
        self.metrics.intake.labels("duplicate").inc(duplicates)
        self.metrics.intake.labels("dead_lettered").inc(len(page.letters))
        return IntakeReport(
            listed=page.listed,
            imported=len(claim.fresh),
            duplicates=duplicates,
            dead_lettered=len(page.letters),
            events=sum(len(page.events[m.dossier_id]) for m in claim.fresh),
            cursor=views.cursor,
            more=listing.ConNua,
        )

    def _sort(self, items: list[object], asked_with: str | None) -> _Page:
        recorded_at = datetime.now(UTC)  # one page, one recording time
        events: dict[str, list[AvroRecord]] = {}
        letters: list[DeadLetterInput] = []
        duplicates = 0
        for item in items:
            code = item.get("MaHoSo") if isinstance(item, dict) else None
            if isinstance(code, str) and (code in events or self.imported(code)):
                duplicates += 1
                continue
            try:
                if not isinstance(item, dict):
                    raise Refused("a listed item is not a JSON object")
                built = dossier_events(item, recorded_at=recorded_at)
            except Refused as exc:
                letters.append(dead_letter(item, code, str(exc), asked_with))
                continue
            events[str(built[0]["dossier_id"])] = built
        return _Page(len(items), events, letters, duplicates)

    def close(self) -> None:
        self._transport.close()
