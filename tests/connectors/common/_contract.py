"""The inbound shell's promises, as one abstract class run against every endpoint on it.

``InboundContract`` holds the tests; a subclass per endpoint says how to start it, how to build
a valid request (new each call) and the same request again (re-signed where the protocol wants
a fresh nonce), and what each answer looks like in its protocol. For a poller (the national
intake) a request is the partner's reply to one round and the answer what the round reported
(``tests.security._attack.Target``, as in the attack suite). Every check reads the real
broker: the end offsets of ``dossier.events`` right after an answer are what was produced, so an
endpoint answering before the broker acknowledged (or producing twice) fails.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar, Protocol

import pytest
from kafka import TopicPartition

from hub.kafka import ensure_topics, make_consumer
from hub.serde import RegistryClient
from hub.settings import Settings
from hub.topics import DOSSIER_EVENTS
from tests.security._attack import ANSWER_TIMEOUT_S, Answer, Expect, Probe, Target


class Running(Protocol):
    """An endpoint started (served on loopback, or a poller held open)."""

    def target(self) -> Target:
        """How requests reach it."""
        ...

    def stop(self) -> None: ...


def events_on_broker(settings: Settings) -> int:
    """Records on this test's ``dossier.events`` (0 while it does not exist)."""
    consumer = make_consumer(settings, group_id=None)
    try:
        topic = DOSSIER_EVENTS.name(settings.topic_prefix)
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values()) if partitions else 0
    finally:
        consumer.close()


def ready_body(target: Target) -> dict[str, object]:
    answer = target.send(Probe("GET", "/ready"))
    return dict(json.loads(answer.text))


class InboundContract:
    """Abstract: subclasses set the answers and provide ``start``, ``prepare`` and ``valid``."""

    #: Records one valid request produces.
    RECORDS: ClassVar[int] = 1
    ACCEPTED: ClassVar[Expect]
    #: The same request again: the same status, told it is a duplicate.
    DUPLICATE: ClassVar[Expect]
    #: The broker cannot acknowledge: the protocol's "retry".
    UNAVAILABLE: ClassVar[Expect]
    TOO_LARGE: ClassVar[Expect]
    BODY_LIMIT: ClassVar[int]
    #: Topics (without the prefix) ``/ready`` names as the views it waits for.
    VIEWS: ClassVar[frozenset[str]]

    def start(self, settings: Settings, registry: RegistryClient) -> Running:
        raise NotImplementedError

    def prepare(self, settings: Settings, registry: RegistryClient) -> None:
        """What a valid request needs on the broker besides ``dossier.events`` (none by default)."""

    def valid(self, target: Target) -> Probe:
        raise NotImplementedError

    def again(self, probe: Probe) -> Probe:
        """The same request sent again (by default byte for byte)."""
        return probe

    # -- fixtures ------------------------------------------------------------------------------
    @pytest.fixture
    def served(self, settings: Settings, registry: RegistryClient) -> Iterator[Target]:
        ensure_topics(settings, [DOSSIER_EVENTS])
        self.prepare(settings, registry)
        self.settings, self.registry = settings, registry
        running = self.start(settings, registry)
        try:
            yield running.target()
        finally:
            running.stop()

    # -- the promises --------------------------------------------------------------------------
    def test_a_valid_request_is_on_the_broker_when_answered(self, served: Target) -> None:
        probe = self.valid(served)
        before = events_on_broker(self.settings)
        self.ACCEPTED.check(served.send(probe), "a valid request")
        assert events_on_broker(self.settings) - before == self.RECORDS

    def test_the_same_request_twice_and_at_once_is_one_record(self, served: Target) -> None:
        probe = self.valid(served)
        before = events_on_broker(self.settings)
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(served.send, [probe, self.again(probe)]))
        assert answers[0].status == answers[1].status, answers
        said = sorted(self._kind(answer) for answer in answers)
        assert said == ["accepted", "duplicate"], answers
        self.DUPLICATE.check(served.send(self.again(probe)), "the same request later")
        assert events_on_broker(self.settings) - before == self.RECORDS

    def test_an_oversize_body_is_refused_before_it_is_read(self, served: Target) -> None:
        probe = self.valid(served)
        oversize = Probe(probe.method, probe.path, probe.headers, b"x" * (self.BODY_LIMIT + 1))
        before = events_on_broker(self.settings)
        started = time.monotonic()
        # The length is declared and no byte of the body sent: only a refusal before reading
        # it is answered in time.
        self.TOO_LARGE.check(served.send_declared(oversize), "a body over the limit")
        assert time.monotonic() - started < ANSWER_TIMEOUT_S
        assert events_on_broker(self.settings) == before

    def test_a_broker_that_cannot_ack_is_a_retry_and_claims_nothing(
        self, settings: Settings, registry: RegistryClient
    ) -> None:
        # dossier.events does not exist and the broker does not create topics: no ack.
        self.prepare(settings, registry)
        self.settings, self.registry = settings, registry
        running = self.start(settings, registry)
        try:
            target = running.target()
            probe = self.valid(target)
            self.UNAVAILABLE.check(target.send(probe), "no acknowledgement")
            ensure_topics(settings, [DOSSIER_EVENTS])
            # accepted, not a duplicate: the failed publish released its claim
            self.ACCEPTED.check(target.send(self.again(probe)), "the resend")
        finally:
            running.stop()
        assert events_on_broker(settings) == self.RECORDS

    def test_ready_names_the_views_it_waited_for(self, served: Target) -> None:
        body = ready_body(served)
        assert body["status"] == "ready", body
        assert body["waiting_for"] == [], body
        views = body["views"]
        assert isinstance(views, dict), body
        assert set(views) == self.VIEWS, body
        assert all(view["loaded"] for view in views.values()), body

    def _kind(self, answer: Answer) -> str:
        if all(fragment in answer.text for fragment in self.DUPLICATE.says):
            return "duplicate"
        self.ACCEPTED.check(answer, "one of two identical requests")
        return "accepted"
