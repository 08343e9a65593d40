"""One contract, two runners: the in-memory runner and the faust runner must fold alike.

Each case is written once against ``Runner`` and run against both implementations (the
eventsourcing style): ordering per key, duplicates ignored, poison dead-lettered without
stalling its partition, a bug dead-lettered, state equal after a restart.
"""

from __future__ import annotations

import json
import tempfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.kafka import ensure_topics, make_producer, read_to_end
from hub.processing import InMemoryRunner, Message, WorkerProcess
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.topics import DEADLETTER
from tests.lifecycle._support import wait_until
from tests.processing.ledger import LEDGER_IN, LEDGER_STATE, Ledger

PARTITIONS = 3
#: several batches per case; a shorter session than production's, so that a killed worker's
#: partitions move sooner
WORKER_ARGS = ("--batch-max", "8", "--session-timeout", "6")


class Runner(ABC):
    """What a case needs of a runner: feed records, read states and dead letters, restart."""

    @abstractmethod
    def feed(self, records: list[tuple[str, str]]) -> None: ...

    @abstractmethod
    def states(self, expected_keys: int) -> dict[str, list[str]]:
        """Latest state per key, once at least ``expected_keys`` keys have one."""

    @abstractmethod
    def dead_letters(self, expected: int) -> list[tuple[str, bytes]]:
        """(reason code, original bytes), once at least ``expected`` were written."""

    @abstractmethod
    def restart(self) -> None: ...


class RunnerContract(ABC):
    @abstractmethod
    @pytest.fixture
    def runner(self) -> Runner | Iterator[Runner]: ...

    def test_each_key_folds_in_order(self, runner: Runner) -> None:
        records = [(f"k{i % 7}", f"e{i:03}") for i in range(210)]
        runner.feed(records)
        states = runner.states(7)
        for k in range(7):
            assert states[f"k{k}"] == [v for key, v in records if key == f"k{k}"]

    def test_duplicates_are_ignored(self, runner: Runner) -> None:
        runner.feed([("a", "1"), ("a", "2"), ("a", "1"), ("b", "1"), ("a", "2"), ("a", "3")])
        assert runner.states(2) == {"a": ["1", "2", "3"], "b": ["1"]}

    def test_poison_and_bugs_are_dead_lettered_and_the_partition_flows_on(
        self, runner: Runner
    ) -> None:
        runner.feed([("p", "1"), ("p", "poison"), ("p", "2"), ("p", "boom"), ("p", "3")])
        assert runner.states(1) == {"p": ["1", "2", "3"]}
        assert sorted(runner.dead_letters(2)) == [
            ("PROCESSING_ERROR", b"boom"),
            ("UNDECODABLE", b"poison"),
        ]

    def test_state_is_equal_after_a_restart(self, runner: Runner) -> None:
        runner.feed([(f"r{i % 4}", f"x{i}") for i in range(40)])
        before = runner.states(4)
        runner.restart()
        runner.feed([("r0", "x0"), ("r1", "late")])  # a duplicate and a new one
        after = runner.states(4)
        assert after == {**before, "r1": [*before["r1"], "late"]}


class MemoryRunner(Runner):
    def __init__(self) -> None:
        self.runner = InMemoryRunner(Ledger(), batch_size=4)
        self.offsets = [0] * PARTITIONS
        self.letters: list[tuple[str, bytes]] = []

    def feed(self, records: list[tuple[str, str]]) -> None:
        messages = []
        for key, value in records:
            partition = zlib.crc32(key.encode()) % PARTITIONS
            messages.append(Message(value.encode(), key.encode(), "in", partition,
                                    self.offsets[partition]))  # fmt: skip
            self.offsets[partition] += 1
        result = self.runner.run(messages)
        self.letters += [(x.reason_code, x.original_value) for x in result.letters]

    def states(self, expected_keys: int) -> dict[str, list[str]]:
        return {k.decode(): v for k, v in self.runner.states().items()}

    def dead_letters(self, expected: int) -> list[tuple[str, bytes]]:
        return self.letters

    def restart(self) -> None:
        self.runner = InMemoryRunner(Ledger(), self.runner.table, batch_size=4)


class FaustRunner(Runner):
    """A real worker process on real Kafka, one uuid prefix per test."""

    def __init__(self, settings: Settings, registry: RegistryClient) -> None:
        self.settings = settings
        self.registry = registry
        self.logs = Path(tempfile.mkdtemp(prefix="dvchub-contract-"))
        ensure_topics(settings, (LEDGER_IN, LEDGER_STATE, DEADLETTER))
        self.producer = make_producer(settings)
        self.worker = self._start()

    def _start(self) -> WorkerProcess:
        self.fed = 0  # records fed since this worker started
        log = self.logs / "worker.log"
        worker = WorkerProcess(
            Ledger.name, self.settings, log, args=WORKER_ARGS, module="tests.processing.ledger"
        )
        worker.wait_ready(120)
        return worker

    def feed(self, records: list[tuple[str, str]]) -> None:
        topic = LEDGER_IN.name(self.settings.topic_prefix)
        for key, value in records:
            self.producer.send(topic, key=key.encode(), value=value.encode())
        self.producer.flush()
        self.fed += len(records)

    def states(self, expected_keys: int) -> dict[str, list[str]]:
        # Outcomes are counted after the batch's states are acknowledged: once every record fed
        # is counted, the state topic holds the result.
        handled = 'dvchub_processor_events_total{processor="ledger"}'
        wait_until(lambda: self.worker.metric(handled) >= self.fed, timeout_s=60)
        topic = LEDGER_STATE.name(self.settings.topic_prefix)
        return {r.key.decode(): json.loads(r.value) for r in read_to_end(self.settings, topic)}

    def dead_letters(self, expected: int) -> list[tuple[str, bytes]]:
        serde = serde_for(DEADLETTER, self.settings.topic_prefix, self.registry)
        topic = DEADLETTER.name(self.settings.topic_prefix)

        def read() -> list[tuple[str, bytes]] | None:
            letters = [serde.decode(r.value) for r in read_to_end(self.settings, topic)]
            found = [(x["reason_code"], x["original_value"]) for x in letters]
            return found if len(found) >= expected else None

        result: list[tuple[str, bytes]] = wait_until(read, timeout_s=60)
        return result

    def restart(self) -> None:
        self.worker.stop()
        self.worker = self._start()

    def close(self) -> None:
        self.worker.stop()
        self.producer.close()


class TestInMemoryRunner(RunnerContract):
    @pytest.fixture
    def runner(self) -> Runner:
        return MemoryRunner()


class TestFaustRunner(RunnerContract):
    @pytest.fixture
    def runner(self, settings: Settings, registry: RegistryClient) -> Iterator[Runner]:
        running = FaustRunner(settings, registry)
        yield running
        running.close()
