"""A minimal processor for the runner contract: per key, the ordered list of applied ids.

Values are ``<id>`` (apply), ``poison`` (rejected as UNDECODABLE) or ``boom`` (the fold raises:
a bug, dead-lettered as PROCESSING_ERROR). Run live with ``python -m tests.processing.ledger
worker ledger --web-port N`` (topics under ``DVC_TOPIC_PREFIX``): the hub's worker command line,
on a registry of this one processor.
"""

from __future__ import annotations

import json

from hub import processing, processors
from hub.processing import Changed, Message, Outcome, Processor, Reject, Unchanged
from hub.topics import Retention, TopicSpec

LEDGER_IN = TopicSpec("ledger.in", "none (utf-8 ids)", Retention.LOG, "ledger key")
LEDGER_STATE = TopicSpec("ledger.state", "none (JSON list)", Retention.COMPACTED, "ledger key")


class Ledger(Processor[list[str]]):
    name = "ledger"
    source = LEDGER_IN
    table = "ledgers"
    state_topic = LEDGER_STATE

    def fold(self, state: list[str] | None, message: Message) -> Outcome[list[str]]:
        value = message.value.decode("utf-8", "replace")
        if value == "poison":
            return Reject("UNDECODABLE", "poison record")
        if value == "boom":
            raise RuntimeError("a bug in the fold")
        if state is not None and value in state:
            return Unchanged("duplicate", republish=True)
        return Changed([*(state or []), value])

    def encode_state(self, state: list[str]) -> bytes:
        return json.dumps(state).encode()

    def decode_state(self, data: bytes) -> list[str]:
        return list(json.loads(data))


SPEC = processing.ProcessorSpec(Ledger.name, lambda settings, registry, options: Ledger())
REGISTRY = processors.Registry(
    (processors.Registered(Ledger.name, __name__, "SPEC", "the runner contract's ledger"),)
)

if __name__ == "__main__":
    processors.worker_main(prog="python -m tests.processing.ledger", registry=REGISTRY)
