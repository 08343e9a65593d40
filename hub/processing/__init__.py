"""The one way a stateful stream processor runs.

A processor (``Processor``) is a pure fold: it declares its input topic, state table, state
topic and output topics, and maps (current state, message) to an outcome:

    Changed(state, emits)      the key's new state, and records to produce
    Unchanged(republish=...)   nothing to change (a duplicate); optionally publish the state again
    Reject(code, reason)       a dead letter, with the original bytes, set aside by the runner
    Deferred(give_up)          waits for a side input; after the runner's grace, ``give_up``

A processor with ``timers`` also says when each state is next due (``next_due``) and folds a
timer that came due (``on_timer``): durable timers, kept in the table, rebuilt after restarts and
rebalances, fired on an injected ``Clock`` (wall time, or accelerated / file-set for tests and
the demo: ``clock_from_spec``, ``DVC_CLOCK``).

Two runners drive the same fold (``Fold``), so what a test or a replay computes is what runs live:

* ``InMemoryRunner``: from an iterable of messages, a plain dict as the table (tests, replay);
* ``create_app`` / ``run_worker``: faust-streaming, in batches, with per-partition next-offset
  marks in the table's changelog, refetch of offsets the consumer skipped, a stall watchdog,
  registry-outage retry, dead letters, Prometheus metrics, ``/ready``, ``/metrics``.

A processor that is not a fold (a partner call, a signature: neither pure nor quick) runs on
``ConsumeLoop`` instead: a ``LoopHandler`` gets each decoded message and a ``Ticket`` it marks
done once its outputs are acknowledged; the loop has the runner's dead letters, metrics, commit
marks (the first message not done per partition), rebalances and stop. Its package exports a
``LoopSpec`` (name, how it runs). ``rejoin_if_orphaned`` is the loop's answer to kafka-python
3.0.12 leaving a group leader rebalancing for good; any other group consumer polls it too.

Each processor package exports a ``ProcessorSpec`` (its name, the factory of its live fold, its
side-input topics, the options it honours); ``hub.processors.HUB_PROCESSORS`` lists them by name,
and ``run_spec`` runs one (``dvchub worker NAME``, ``python -m hub.processing worker NAME``, the
same options for all). ``WorkerProcess`` starts such a worker as an OS process and reads its
``/ready`` and ``/metrics``.

Exceptions: the runners raise none of their own; a message that cannot be handled is a value
(``Reject``, then a ``hub.deadletter.DeadLetterInput``); a schema registry outage
(``hub.serde.RegistryError``) is retried by the faust runner and propagates from the in-memory one.
A spec whose factory makes a processor of another name is a ``ValueError`` (``build``).
"""

import importlib
from typing import TYPE_CHECKING

from hub.net import free_port
from hub.processing._avro import AvroStateProcessor, decode_as, decode_message
from hub.processing._clock import AcceleratedClock, Clock, FileClock, WallClock, clock_from_spec
from hub.processing._fold import Batch, Fold, is_internal, is_mark, mark_key, partition_of_mark
from hub.processing._handler import LoopHandler, LoopOptions
from hub.processing._loop import ConsumeLoop, run_until_signalled
from hub.processing._marks import PartitionOffsets, Ticket
from hub.processing._memory import InMemoryRunner, RunResult
from hub.processing._options import RunnerOptions, app_id_for, changelog_for
from hub.processing._orphaned_join import rejoin_if_orphaned
from hub.processing._process import WorkerProcess
from hub.processing._spec import Factory, LoopSpec, ProcessorSpec
from hub.processing._timers import encode_due, timer_key
from hub.processing._types import (
    NO_SIDE_INPUTS,
    Changed,
    Deferred,
    Emit,
    Headers,
    Message,
    Outcome,
    Processor,
    Reject,
    SideInputs,
    Unchanged,
)
from hub.processors import Option

if TYPE_CHECKING:
    from hub.processing._faust import create_app
    from hub.processing._worker import run_spec, run_worker, runner_options, topics_of
else:
    # faust is imported by what runs a worker, not by what folds, declares or spawns one
    # (the kernel, the CLI's help, a test of a fold): these load the runtime on first use.
    _RUNTIME = {
        "create_app": "hub.processing._faust",
        **dict.fromkeys(
            ("run_spec", "run_worker", "runner_options", "topics_of"), "hub.processing._worker"
        ),
    }

    def __getattr__(name: str) -> object:
        module = _RUNTIME.get(name)
        if module is None:
            raise AttributeError(f"module 'hub.processing' has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)


__all__ = [
    "NO_SIDE_INPUTS",
    "AcceleratedClock",
    "AvroStateProcessor",
    "Batch",
    "Changed",
    "Clock",
    "ConsumeLoop",
    "Deferred",
    "Emit",
    "Factory",
    "FileClock",
    "Fold",
    "Headers",
    "InMemoryRunner",
    "LoopHandler",
    "LoopOptions",
    "LoopSpec",
    "Message",
    "Option",
    "Outcome",
    "PartitionOffsets",
    "Processor",
    "ProcessorSpec",
    "Reject",
    "RunResult",
    "RunnerOptions",
    "SideInputs",
    "Ticket",
    "Unchanged",
    "WallClock",
    "WorkerProcess",
    "app_id_for",
    "changelog_for",
    "clock_from_spec",
    "create_app",
    "decode_as",
    "decode_message",
    "encode_due",
    "free_port",
    "is_internal",
    "is_mark",
    "mark_key",
    "partition_of_mark",
    "rejoin_if_orphaned",
    "run_spec",
    "run_until_signalled",
    "run_worker",
    "runner_options",
    "timer_key",
    "topics_of",
]
