"""The inbound shell: what every endpoint a partner pushes to has in common, written once.

The portal, VNPost's callbacks, the payment IPN and the national intake keep only their
protocol: parsing, authentication, signature checks, mapping to events. The shell holds the
rest::

    lifespan    the registry client, the marker and followed topics ensured, the acked producer
                (schemas registered), then the followers (views of topics, the dedupe markers)
                started; stopped in the reverse order. Blocking Kafka work runs in a thread
                pool its requests then share, never on the event loop.
    readiness   ``readiness()``: started, every follower loaded, the broker answering; what is
                missing is named in ``waiting_for`` (``/ready`` of each endpoint).
    publishing  ``publish``: encode and produce, returning only once the broker acknowledged
                (``AckedPublisher``): the partner's answer is sent after it.
    dedupe      ``publish_once``: claim the ids (``ClaimedIds``), produce, settle; a failed
                publish releases the claim, so a resend is produced and nothing stays claimed.
    polling     ``poll``: a partner the hub asks rather than one that calls (``_poll``): its
                loop runs while the runtime is up and stops before it; ``/ready`` says
                ``poll`` if the loop died.

Evidence: once started, the shell records every partner request and its answer in the evidence
log (``connectors.evidence``, when ``DVC_EVIDENCE=on``), telling it the ids its dedupe claimed.

A request arriving before the views are loaded (or after the shell stopped) gets ``NotReady``,
a ``NotAcknowledged``: each endpoint answers it with its protocol's "retry".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar, TypeVarTuple

from connectors.common._dedupe import Claim, ClaimedIds, DedupeSpec, Marker
from connectors.common._json import JsonObject
from connectors.common._lifespan import runtime_in_threads
from connectors.common._poll import PollSource, poll_until
from connectors.common._publisher import AckedPublisher, AvroRecord, NotAcknowledged
from connectors.evidence import NO_EVIDENCE, Recorder, install, note_call, note_dossier
from connectors.evidence import recorder_from_env as evidence_recorder
from hub.kafka import ensure_topics
from hub.materialized import TopicFollower
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import TopicSpec

log = logging.getLogger("connectors.common.inbound")
T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class NotReady(NotAcknowledged):
    """The endpoint is starting (views not loaded) or stopping: the partner should retry."""


class Views(Protocol):
    """An endpoint's views of topics (what it checks requests against)."""

    def followers(self) -> Sequence[TopicFollower]: ...


V = TypeVar("V", bound=Views)


@dataclass(frozen=True)
class NoViews:
    """An endpoint that checks requests against no topic."""

    def followers(self) -> Sequence[TopicFollower]:
        return ()


@dataclass(frozen=True)
class InboundSpec:
    """What the shell runs for one endpoint."""

    #: Names the thread pool, the producer's client id (``dvchub-<name>``) and the logs.
    name: str
    #: Topics it produces to: their schemas are registered at start-up. Not created: a missing
    #: one is a broker that cannot acknowledge (the provisioning's job, not an endpoint's).
    produces: tuple[TopicSpec, ...]
    ack_timeout_s: float
    threads: int
    #: Hub topics its views follow: created if missing (the endpoint may start first).
    follows: tuple[TopicSpec, ...] = ()
    dedupe: DedupeSpec | None = None
    #: How long the lifespan waits for the views to load before serving anyway (``/ready``
    #: then says what is missing and requests are answered "retry").
    start_timeout_s: float = 60.0


@dataclass(frozen=True)
class Readiness:
    """What ``/ready`` says: ready or not, and what it waits for."""

    ready: bool
    waiting_for: tuple[str, ...]
    broker_reachable: bool
    #: follower topic (without the prefix) -> (loaded, records held)
    views: Mapping[str, tuple[bool, int]] = field(default_factory=dict)

    @property
    def status_code(self) -> int:
        return 200 if self.ready else 503

    def body(self) -> JsonObject:
        return {
            "status": "ready" if self.ready else "not ready",
            "waiting_for": list(self.waiting_for),
            "broker_reachable": self.broker_reachable,
            "views": {
                name: {"loaded": loaded, "records": records}
                for name, (loaded, records) in self.views.items()
            },
        }


@dataclass
class Runtime(Generic[V]):
    """What exists between start-up and shutdown."""

    publisher: AckedPublisher
    registry: RegistryClient
    owns_registry: bool
    executor: ThreadPoolExecutor
    views: V
    ids: ClaimedIds | None

    def followers(self) -> tuple[TopicFollower, ...]:
        own = (self.ids,) if self.ids is not None else ()
        return (*own, *self.views.followers())

    @property
    def loaded(self) -> bool:
        return all(f.ready for f in self.followers())


class InboundShell(Generic[V]):
    """One endpoint's runtime: its lifespan, readiness, acked publishing and dedupe."""

    def __init__(
        self,
        settings: Settings,
        spec: InboundSpec,
        registry: RegistryClient | None,
        views: Callable[[RegistryClient], V],
        *,
        on_marker_failure: Callable[[], None] = lambda: None,
        poll: PollSource | None = None,
    ) -> None:
        self.settings = settings
        self.spec = spec
        self._registry = registry
        self._make_views = views
        self._on_marker_failure = on_marker_failure
        self._poll = poll
        self._runtime: Runtime[V] | None = None
        self._polling: asyncio.Task[None] | None = None
        self._evidence: Recorder = NO_EVIDENCE

    # -- lifespan ------------------------------------------------------------------------------
    @asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """The app's lifespan (``FastAPI(lifespan=shell.lifespan)``)."""
        name = self.spec.name
        async with runtime_in_threads(self.spec.threads, name, self._start, self._stop) as runtime:
            self._runtime = runtime
            install(app, self._evidence, name)
            stop = asyncio.Event()
            if self._poll is not None:
                self._polling = asyncio.create_task(poll_until(self._poll, stop, name))
            try:
                yield
            finally:
                stop.set()
                if self._polling is not None:
                    # after the round in progress: it uses the runtime closed next
                    await asyncio.wait([self._polling])
                    if not self._polling.cancelled():
                        self._polling.exception()  # a loop that died was logged by it
                self._runtime = None

    def _start(self, executor: ThreadPoolExecutor) -> Runtime[V]:
        owns_registry = self._registry is None
        registry = self._registry or RegistryClient(self.settings.schema_registry_url)
        started: list[TopicFollower] = []
        publisher: AckedPublisher | None = None
        try:
            ensure_topics(self.settings, self.spec.follows)
            ids = None
            if self.spec.dedupe is not None:
                ids = ClaimedIds(self.settings, self.spec.dedupe)
                ids.ensure_topic()
            publisher = AckedPublisher(
                self.settings, registry, client_id=f"dvchub-{self.spec.name}",
                ack_timeout_s=self.spec.ack_timeout_s,
            )  # fmt: skip
            publisher.warm_up(*self.spec.produces)
            runtime = Runtime(
                publisher, registry, owns_registry, executor, self._make_views(registry), ids
            )
            self._evidence = evidence_recorder(self.settings, client_id=f"dvchub-{self.spec.name}")
            for follower in runtime.followers():
                started.append(follower.start())
            for follower in started:
                follower.wait_ready(self.spec.start_timeout_s)
        except BaseException:
            for follower in reversed(started):
                follower.stop()
            if publisher is not None:
                publisher.close()
            self._evidence.close()
            if owns_registry:
                registry.close()
            raise
        waiting = [f.topic for f in started if not f.ready]
        if waiting:
            log.warning("%s serves before loading %s: /ready says so", self.spec.name, waiting)
        log.info(
            "%s started: %s", self.spec.name,
            ", ".join(f"{f.topic} {len(f)}" for f in started) or "no views",
        )  # fmt: skip
        return runtime

    def _stop(self, runtime: Runtime[V]) -> None:
        for follower in reversed(runtime.followers()):
            follower.stop()
        runtime.publisher.close()
        self._evidence.close()
        if runtime.owns_registry:
            runtime.registry.close()

    # -- requests ------------------------------------------------------------------------------
    @property
    def started(self) -> Runtime[V] | None:
        """The runtime once started (views perhaps still loading), else None."""
        return self._runtime

    @property
    def runtime(self) -> Runtime[V]:
        """The runtime of a request: ``NotReady`` unless started and every view loaded."""
        runtime = self._runtime
        if runtime is None:
            raise NotReady(f"{self.spec.name} is not started")
        if not runtime.loaded:
            raise NotReady(f"{self.spec.name} is still loading its views")
        return runtime

    async def blocking(self, call: Callable[[*Ts], T], *args: *Ts) -> T:
        """``call(*args)`` in the shell's thread pool."""
        executor = self.runtime.executor
        return await asyncio.get_running_loop().run_in_executor(executor, call, *args)

    async def publish(self, spec: TopicSpec, records: Sequence[tuple[str, AvroRecord]]) -> None:
        """Produce ``(key, record)`` pairs; returns once the broker acknowledged every one."""
        await self.blocking(self.runtime.publisher.publish, spec, records)
        if records:
            note_dossier(records[0][0])

    async def publish_bytes(self, topic: str, messages: Sequence[tuple[str, bytes | None]]) -> None:
        await self.blocking(self.runtime.publisher.publish_bytes, topic, messages)

    async def publish_once(
        self, markers: Sequence[Marker], produce: Callable[[Claim], Awaitable[None]]
    ) -> Claim:
        """Claim ``markers``' ids, ``produce`` the fresh ones (acked), settle, write markers.

        ``IdConflict`` for an id produced before with other content; whatever ``produce``
        raises releases the claim (nothing stays claimed) and propagates.
        """
        ids = self.runtime.ids
        if ids is None:
            raise TypeError(f"{self.spec.name} has no dedupe (InboundSpec.dedupe)")
        claim = await ids.claim(markers)
        try:
            if claim.fresh:
                await produce(claim)
        except BaseException:
            ids.settle(claim, produced=False)
            raise
        ids.settle(claim, produced=True)
        if markers:  # the message's id: a resend of it is a redelivery to the evidence
            note_call([m.id for m in markers], markers[0].dossier_id)
        await self._write_markers(ids, claim.fresh)
        return claim

    async def _write_markers(self, ids: ClaimedIds, markers: Sequence[Marker]) -> None:
        if not markers:
            return
        try:
            await self.publish_bytes(ids.topic, [(m.id, m.to_value()) for m in markers])
        except NotAcknowledged as exc:
            # The records are durable; only restart-proof dedupe of these ids is lost, and
            # their event ids let downstream dedupe drop a resend. Failing the request now
            # would invite one.
            self._on_marker_failure()
            log.warning("%s: dedupe markers not acknowledged: %s", self.spec.name, exc)

    # -- readiness -----------------------------------------------------------------------------
    async def readiness(self) -> Readiness:
        runtime = self._runtime
        if runtime is None:
            return Readiness(False, ("start-up",), False)
        prefix = self.settings.topic_prefix
        views = {f.topic.removeprefix(prefix): (f.ready, len(f)) for f in runtime.followers()}
        waiting = [name for name, (loaded, _) in views.items() if not loaded]
        topic = self.spec.produces[0].name(prefix) if self.spec.produces else None
        reachable = False
        if topic is not None:
            try:
                reachable = await asyncio.wait_for(
                    asyncio.get_running_loop().run_in_executor(
                        runtime.executor, runtime.publisher.broker_reachable, topic
                    ),
                    self.spec.ack_timeout_s,
                )
            except TimeoutError:
                reachable = False
        if not reachable:
            waiting.append("broker")
        if self._polling is not None and self._polling.done():
            waiting.append("poll")
        return Readiness(not waiting, tuple(waiting), reachable, views)
