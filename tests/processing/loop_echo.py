"""A minimal handler for the consume loop's contract: each DossierEvent -> its event id on
``loop.echo`` (keyed by the dossier id).

A pool of threads settles the messages after a random pause, so they finish out of order and a
partition's commit mark may move only past what is done. Run live with ``python -m
tests.processing.loop_echo worker --web-port N [--delay-ms D]`` (topics under
``DVC_TOPIC_PREFIX``; the group is ``<prefix>loop-echo``), ``--threads`` settling at once.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kafka import KafkaProducer

from hub.kafka import make_producer
from hub.logs import configure_logging
from hub.processing import ConsumeLoop, LoopHandler, LoopOptions, Ticket, run_until_signalled
from hub.serde import RegistryClient
from hub.settings import Settings, get_settings
from hub.topics import DOSSIER_EVENTS, Retention, TopicSpec

LOOP_ECHO = TopicSpec("loop.echo", "none (utf-8 event ids)", Retention.LOG, "dossier id")
NAME = "loop-echo"
#: the dossier whose events the handler raises on: a bug, dead-lettered as PROCESSING_ERROR
BOOM = "HS-LOOP-BOOM"


class Echo(LoopHandler):
    name = NAME
    source = DOSSIER_EVENTS
    outputs = (LOOP_ECHO,)

    def __init__(
        self, settings: Settings, producer: KafkaProducer, delay_s: float, threads: int
    ) -> None:
        self._topic = LOOP_ECHO.name(settings.topic_prefix)
        self._producer = producer
        self._delay_s = delay_s
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="echo")

    def handle(self, ticket: Ticket, value: Mapping[str, Any]) -> None:
        if value["dossier_id"] == BOOM:
            raise RuntimeError("a bug in the handler")
        key, event_id = str(value["dossier_id"]).encode(), str(value["event_id"]).encode()
        self._pool.submit(self._echo, ticket, key, event_id)

    def _echo(self, ticket: Ticket, key: bytes, event_id: bytes) -> None:
        time.sleep(random.uniform(0.0, self._delay_s))  # out of order, and in flight at a kill
        if ticket.current:
            self._producer.send(self._topic, key=key, value=event_id).get(timeout=30)
            ticket.done("applied")

    def drain(self) -> None:
        self._pool.shutdown(wait=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.processing.loop_echo")
    parser.add_argument("command", choices=["worker"])
    parser.add_argument("--web-port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=20.0, help="pause at most, each")
    parser.add_argument("--threads", type=int, default=4, help="messages settled at once")
    parser.add_argument("--session-timeout", type=float, default=6.0)
    args = parser.parse_args(argv)
    configure_logging()
    settings = get_settings()
    producer = make_producer(settings, client_id=NAME)
    options = LoopOptions(
        group_id=f"{settings.topic_prefix}{NAME}", client_id=NAME, max_poll_records=50,
        session_timeout_s=args.session_timeout, web_port=args.web_port,
    )  # fmt: skip
    with RegistryClient(settings.schema_registry_url) as registry:
        handler = Echo(settings, producer, args.delay_ms / 1000, args.threads)
        run_until_signalled(
            ConsumeLoop(settings, handler, options, producer=producer, registry=registry)
        )


if __name__ == "__main__":
    main()
