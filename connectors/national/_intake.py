"""``NationalIntake``: dossiers filed and ratings given on the national portal ->
``dossier.events``.

A poller (one per province) on the inbound shell (``connectors.common.InboundShell``) like every
other way a partner's news comes in: the same lifespan, acknowledged publishing, claim/settle
dedupe, ``/ready`` and ``/metrics`` (``_serve``), and stop. Each round calls LayDanhSachHoSoMoi
with its cursor, maps each listed dossier (``_listed``), produces the events (answered only
once the broker acknowledged them) and only then records the page on its compacted topic
``<prefix>national.intake`` (one partition, never expired)::

    key "dossier:<MaHoSo>"  a dedupe marker (``connectors.common.Marker``), one per imported
                            dossier, written after its events were acknowledged
    key "cursor"            {"cursor": <the portal's cursor after the page>}
    key "dossier:rating:<MaDanhGia>"  a rating's marker (LayDanhSachDanhGia, ``_listed.RATINGS``)
    key "rating-cursor"     {"cursor": <the ratings listing's cursor>}, once it listed one

Each round of the shell's loop lists new dossiers, then new ratings, the same way (a
``_listed.Feed`` each); ``poll_once`` and ``drain`` take the feed (dossiers by default).

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
from connectors.national._listed import DOSSIERS, RATINGS, Feed, Refused, dead_letter
from connectors.national._metrics import IntakeMetrics
from connectors.national._transport import PortalTransport
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


def marker_of(code: str, dossier_id: str | None = None, feed: Feed = DOSSIERS) -> Marker:
    """The dedupe marker of an imported item of ``feed``: a dossier's (its code is its
    fingerprint: see above), or a rating's (of dossier ``dossier_id``)."""
    key = f"{feed.marker_prefix}{code}"
    return Marker(f"{MARKER_PREFIX}{key}", key, dossier_id or code)


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
    """What the intake holds between rounds: each feed's cursor (by its key on the topic), read
    from its topic at start-up and moved by each round once its records were acknowledged (one
    poller per province: the cursors are its own, not followed)."""

    cursors: dict[str, str | None]

    @property
    def cursor(self) -> str | None:
        """The dossiers listing's."""
        return self.cursors.get(CURSOR_KEY)

    def followers(self) -> tuple[TopicFollower, ...]:
        return ()


@dataclass(frozen=True)
class _Page:
    """One listing, sorted: the fresh items' markers and events (by marker id), dead letters,
    items already imported."""

    listed: int
    markers: list[Marker]
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
        """Run by the shell at start-up, after it ensured the topic: the cursors to resume at."""
        keys = {feed.cursor_key.encode(): feed.cursor_key for feed in (DOSSIERS, RATINGS)}
        cursors: dict[str, str | None] = {}
        for record in read_to_end(self.settings, self.topic):
            if record.key in keys and record.value is not None:
                cursors[keys[record.key]] = json.loads(record.value)["cursor"]
        log.info("national intake resumes at cursors %r", cursors)
        return IntakeViews(cursors)

    @property
    def interval_s(self) -> float:
        return self.config.poll_interval_s

    @property
    def max_backoff_s(self) -> float:
        return self.config.max_backoff_s

    async def poll(self) -> bool:
        """One round for the shell's loop: portal failures become ``PollFailed``."""
        more = False
        for feed in (DOSSIERS, RATINGS):
            try:
                report = await self.poll_once(feed)
            except NationalPortalError as exc:
                raise PollFailed(f"national portal: {exc}") from exc
            if report.listed:
                log.info(
                    "national intake %s: %d listed, %d imported, %d duplicates, %d dead-lettered",
                    feed.service, report.listed, report.imported, report.duplicates,
                    report.dead_lettered,
                )  # fmt: skip
            more = more or report.more
        return more

    # -- rounds --------------------------------------------------------------------------------
    @property
    def cursor(self) -> str | None:
        return self.shell.runtime.views.cursor

    def imported(self, national_code: str, feed: Feed = DOSSIERS) -> bool:
        ids = self.shell.runtime.ids
        return ids is not None and marker_of(national_code, feed=feed).id in ids

    async def poll_once(self, feed: Feed = DOSSIERS) -> IntakeReport:
        """One page of ``feed``: list, produce, record. Raises ``NationalPortalError`` /
        ``NotAcknowledged`` (nothing recorded then: the next round asks for the same page)."""
        try:
            report = await self._round(feed)
        except Exception:
            self.metrics.polls.labels("failed").inc()
            raise
        self.metrics.polls.labels("ok").inc()
        return report

    async def drain(self, max_pages: int = 10_000, feed: Feed = DOSSIERS) -> IntakeReport:
        """Pages of ``feed`` until the portal says there is no more (or ``max_pages``)."""
        total = IntakeReport(cursor=self.shell.runtime.views.cursors.get(feed.cursor_key))
        for _ in range(max_pages):
            report = await self.poll_once(feed)
            total += report
            if not report.more:
                break
        return total

    async def _round(self, feed: Feed) -> IntakeReport:
        views = self.shell.runtime.views
        asked_with = views.cursors.get(feed.cursor_key)
        asked = {"Cursor": asked_with, "SoLuong": self.config.page_size}
        data = await self.shell.blocking(self._transport.call, feed.service, asked)
        try:
            listing = feed.listing.model_validate(data)
        except ValidationError as exc:  # e.g. a receipt where a listing belongs
            raise PortalUnavailable(
                "MALFORMED_REPLY", f"{feed.service} reply is not a listing"
            ) from exc
        page = self._sort(feed, getattr(listing, feed.items), asked_with)

        async def produce(claim: Claim) -> None:
            fresh = [(m.dossier_id, e) for m in claim.fresh for e in page.events[m.id]]
            await self.shell.publish(DOSSIER_EVENTS, fresh)

        claim = await self.shell.publish_once(page.markers, produce)
        if page.letters:
            await self.shell.publish(
                DEADLETTER,
                [((lt.original_key or b"").decode(), lt.to_record()) for lt in page.letters],
            )
            for letter in page.letters:
                DEADLETTERS.labels(letter.processor, letter.reason_code).inc()
        # a ratings listing that never listed one keeps no cursor: the topic stays as it was
        moved = listing.Cursor is not None and listing.Cursor != asked_with
        if moved and (feed is DOSSIERS or page.listed or asked_with is not None):
            cursor = json.dumps({"cursor": listing.Cursor}).encode()
            await self.shell.publish_bytes(self.topic, [(feed.cursor_key, cursor)])
            views.cursors[feed.cursor_key] = listing.Cursor
        duplicates = page.duplicates + len(claim.duplicates)
        counter = self.metrics.intake if feed is DOSSIERS else self.metrics.ratings
        counter.labels("imported").inc(len(claim.fresh))
        counter.labels("duplicate").inc(duplicates)
        counter.labels("dead_lettered").inc(len(page.letters))
        return IntakeReport(
            listed=page.listed,
            imported=len(claim.fresh),
            duplicates=duplicates,
            dead_lettered=len(page.letters),
            events=sum(len(page.events[m.id]) for m in claim.fresh),
            cursor=views.cursors.get(feed.cursor_key),
            more=listing.ConNua,
        )

    def _sort(self, feed: Feed, items: list[object], asked_with: str | None) -> _Page:
        recorded_at = datetime.now(UTC)  # one page, one recording time
        markers: list[Marker] = []
        events: dict[str, list[AvroRecord]] = {}
        letters: list[DeadLetterInput] = []
        duplicates = 0
        for item in items:
            code = item.get(feed.id_field) if isinstance(item, dict) else None
            if isinstance(code, str) and (
                marker_of(code, feed=feed).id in events or self.imported(code, feed)
            ):
                duplicates += 1
                continue
            try:
                if not isinstance(item, dict):
                    raise Refused("a listed item is not a JSON object")
                built = feed.events(item, recorded_at=recorded_at)
            except Refused as exc:
                letters.append(dead_letter(item, code, str(exc), asked_with, feed.service))
                continue
            marker = marker_of(str(code), str(built[0]["dossier_id"]), feed)
            markers.append(marker)
            events[marker.id] = built
        return _Page(len(items), markers, events, letters, duplicates)

    def close(self) -> None:
        self._transport.close()
