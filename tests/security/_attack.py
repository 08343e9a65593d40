"""The attacker's tests, as one abstract class run against every inbound endpoint.

``InboundEndpointAttack`` holds the test methods. A subclass per endpoint says how to build a
valid request (``valid``), what a valid request gets (``ACCEPTED``) and whether it produces,
how to break it for each :class:`Case` (one method per case, each returning the
:class:`Attempt` s to send with the precise answer each must get), and which cases cannot arise
at that endpoint, with the reason (``NOT_APPLICABLE``: reported as a skip with the reason,
never silent). A case neither built nor declared not applicable fails.

Every refusal is checked twice: the answer (status and the precise reason in the body: an HTTP
status, a SOAP faultcode, a provider's code), and the broker: the end offsets of every topic
under the test's prefix are the same after the attempt as before it (:class:`KafkaWatch`), so
nothing was produced, dead-lettered or marked. The valid request, sent the same way, must move
them (where the endpoint produces at all), which proves the watch sees production.

Oversized bodies are sent two ways over a raw socket: declared (a Content-Length over the
limit, then no body at all: an endpoint that waits for the body before refusing gets no answer
in time and fails) and streamed (chunked, no length, stopped one chunk past the limit: the cap
must hold on the bytes received, not only on a declared length).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Protocol

import pytest

from hub.kafka import make_admin, make_consumer, partitions_of
from hub.settings import Settings

#: Seconds an attempt may take to be answered (an endpoint reading a body never sent waits).
ANSWER_TIMEOUT_S = 10.0


class Case(StrEnum):
    NO_CREDENTIALS = "no credentials"
    WRONG_CREDENTIALS = "wrong credentials"
    REPLAY = "a replay"
    STALE = "a stale timestamp"
    OVERSIZED = "an oversized body"
    MALFORMED = "malformed input"


@dataclass(frozen=True)
class Probe:
    """What the attacker controls: for a server endpoint, the request; for the national intake
    (which polls), the national portal's reply to the hub (``status`` then matters)."""

    method: str = "POST"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: int = 200


@dataclass(frozen=True)
class Answer:
    """What came back: an HTTP status, body and headers (names in lower case), or (``status``
    None) what a poll reported."""

    status: int | None
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Expect:
    """The precise answer: its status, fragments its body must contain (the reason), and
    headers that must start with the given values (a ``WWW-Authenticate`` challenge)."""

    status: int | None
    says: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    def check(self, answer: Answer, what: str) -> None:
        assert answer.status == self.status, f"{what}: {answer.status} {answer.text[:600]}"
        for fragment in self.says:
            assert fragment in answer.text, f"{what}: {fragment!r} not in {answer.text[:600]}"
        for name, start in self.headers.items():
            got = answer.headers.get(name.lower(), "")
            assert got.startswith(start), f"{what}: {name}: {got!r}, not {start!r}..."


@dataclass(frozen=True)
class Attempt:
    name: str
    probe: Probe
    expect: Expect


class Target(Protocol):
    """How attempts reach the endpoint."""

    def send(self, probe: Probe) -> Answer: ...

    def send_declared(self, probe: Probe) -> Answer:
        """The probe's head with its body's length declared, and no body."""
        ...

    def send_streamed(self, probe: Probe, limit: int) -> Answer:
        """The probe's body chunked, without a length, stopped one chunk past ``limit``."""
        ...


class KafkaWatch:
    """End offsets of every partition of every topic under ``settings``' prefix."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def snapshot(self) -> dict[tuple[str, int], int]:
        admin = make_admin(self.settings)
        try:
            topics = [t for t in admin.list_topics() if t.startswith(self.settings.topic_prefix)]
        finally:
            admin.close()
        consumer = make_consumer(self.settings, group_id=None)
        try:
            partitions = [tp for t in topics for tp in partitions_of(consumer, t, timeout_s=10)]
            ends = consumer.end_offsets(partitions) if partitions else {}
        finally:
            consumer.close()
        return {(tp.topic, tp.partition): int(end) for tp, end in ends.items()}

    def produced_since(self, before: Mapping[tuple[str, int], int]) -> dict[str, int]:
        """Records added per topic since ``before`` (topics created since included)."""
        added: dict[str, int] = {}
        for (topic, partition), end in self.snapshot().items():
            grown = end - before.get((topic, partition), 0)
            if grown:
                added[topic] = added.get(topic, 0) + grown
        return added


class InboundEndpointAttack:
    """Abstract: subclasses provide the fixtures ``target`` (a :class:`Target`) and ``watch``
    (a :class:`KafkaWatch` over the endpoint's topics), and the builders below."""

    #: Cases that cannot arise at this endpoint, each with the reason.
    NOT_APPLICABLE: ClassVar[Mapping[Case, str]] = {}
    #: What a valid request gets.
    ACCEPTED: ClassVar[Expect]
    #: Whether a valid request produces to Kafka (an endpoint that only reads does not).
    PRODUCES: ClassVar[bool] = True
    #: What the valid request sent a second time, byte for byte, gets.
    REPLAYED: ClassVar[Expect | None] = None

    # -- what a subclass provides ------------------------------------------------------------
    def valid(self, target: Target) -> Probe:
        """A request the endpoint accepts, new each call (fresh ids, nonces, timestamps)."""
        raise NotImplementedError

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        raise NotImplementedError

    def wrong_credentials(self, target: Target) -> Sequence[Attempt]:
        raise NotImplementedError

    def stale(self, target: Target) -> Sequence[Attempt]:
        raise NotImplementedError

    def oversized(self, target: Target) -> tuple[Attempt, int]:
        """A valid request with a body over the limit, and the limit."""
        raise NotImplementedError

    def malformed(self, target: Target) -> Sequence[Attempt]:
        raise NotImplementedError

    # -- the tests ---------------------------------------------------------------------------
    def test_a_valid_request_is_accepted(self, target: Target, watch: KafkaWatch) -> None:
        before = watch.snapshot()
        self.ACCEPTED.check(target.send(self.valid(target)), "the valid request")
        produced = watch.produced_since(before)
        if self.PRODUCES:
            assert produced, "a valid request produced nothing: the watch would see nothing"
        else:
            assert produced == {}, produced

    def test_no_credentials(self, target: Target, watch: KafkaWatch) -> None:
        self._refused(Case.NO_CREDENTIALS, target, watch)

    def test_wrong_credentials(self, target: Target, watch: KafkaWatch) -> None:
        self._refused(Case.WRONG_CREDENTIALS, target, watch)

    def test_a_stale_timestamp(self, target: Target, watch: KafkaWatch) -> None:
        self._refused(Case.STALE, target, watch)

    def test_malformed_input(self, target: Target, watch: KafkaWatch) -> None:
        self._refused(Case.MALFORMED, target, watch)

    def test_a_replay(self, target: Target, watch: KafkaWatch) -> None:
        self._applies(Case.REPLAY)
        assert self.REPLAYED is not None, f"{type(self).__name__}: REPLAYED is not set"
        probe = self.valid(target)
        self.ACCEPTED.check(target.send(probe), "the request replayed")
        self._attempt(Attempt("the same request again", probe, self.REPLAYED), target, watch)

    def test_an_oversized_body_declared_is_refused_before_it_is_sent(
        self, target: Target, watch: KafkaWatch
    ) -> None:
        self._applies(Case.OVERSIZED)
        attempt, _ = self.oversized(target)
        before = watch.snapshot()
        attempt.expect.check(target.send_declared(attempt.probe), f"{attempt.name}, declared")
        assert watch.produced_since(before) == {}, attempt.name

    def test_an_oversized_body_streamed_without_a_length_is_refused(
        self, target: Target, watch: KafkaWatch
    ) -> None:
        self._applies(Case.OVERSIZED)
        attempt, limit = self.oversized(target)
        before = watch.snapshot()
        answer = target.send_streamed(attempt.probe, limit)
        attempt.expect.check(answer, f"{attempt.name}, streamed")
        assert watch.produced_since(before) == {}, attempt.name

    # -- machinery ---------------------------------------------------------------------------
    def _applies(self, case: Case) -> None:
        reason = self.NOT_APPLICABLE.get(case)
        if reason is not None:
            pytest.skip(f"{case} does not apply: {reason}")

    def _refused(self, case: Case, target: Target, watch: KafkaWatch) -> None:
        self._applies(case)
        build = {
            Case.NO_CREDENTIALS: self.no_credentials,
            Case.WRONG_CREDENTIALS: self.wrong_credentials,
            Case.STALE: self.stale,
            Case.MALFORMED: self.malformed,
        }[case]
        attempts = build(target)
        assert attempts, f"{type(self).__name__} builds no {case} and does not say why"
        for attempt in attempts:
            self._attempt(attempt, target, watch)

    def _attempt(self, attempt: Attempt, target: Target, watch: KafkaWatch) -> None:
        before = watch.snapshot()
        attempt.expect.check(target.send(attempt.probe), attempt.name)
        assert watch.produced_since(before) == {}, f"{attempt.name} produced to Kafka"
