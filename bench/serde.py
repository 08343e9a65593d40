"""Encode/decode throughput of DossierEvents and DossierStates in the Confluent wire format.

    python bench/serde.py [--events 20000] [--rounds 3]

Encoding and decoding are timed twice: through ``AvroSerde`` (the writer and reader compiled
from the schema, ``hub.serde._compiled*``) and through fastavro (what the hub used before, and
still uses for what the compiled code leaves to it). The states are the lifecycle's:
sample events folded by the in-memory runner. Needs the registry of the local stack (schema ids
are registered once, then cached).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import TypeVar

import fastavro

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import peak_rss_mib
from hub.lifecycle import LifecycleProcessor
from hub.processing import InMemoryRunner, Message
from hub.sample import PROCEDURES, procedure_record, sample_events
from hub.serde import AvroSerde, RegistryClient, load_schema
from hub.settings import get_settings

Record = Mapping[str, object]  # what the serdes encode; the bench does not read it
T = TypeVar("T")


def best_rate(items: Sequence[T], work: Callable[[T], object], rounds: int) -> float:
    """Items per second of ``work``, the best of ``rounds`` passes."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            work(item)
        best = max(best, len(items) / (time.perf_counter() - started))
    return best


def measure(name: str, serde: AvroSerde, records: Sequence[Record], rounds: int) -> None:
    parsed = fastavro.parse_schema(serde.schema)

    def with_fastavro(record: Record) -> bytes:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, record)
        return buffer.getvalue()

    def read_with_fastavro(data: bytes) -> object:
        return fastavro.schemaless_reader(
            io.BytesIO(data[5:]), parsed, None,
            return_record_name=True, return_record_name_override=True,
        )  # fmt: skip

    encoded = [serde.encode(r) for r in records]  # registers once, outside the timed loops
    size = sum(map(len, encoded)) / len(encoded)
    print(f"  {name}: {len(records):,} records, {size:,.0f} bytes each on the wire")
    print(f"    encode (compiled)  {best_rate(records, serde.encode, rounds):>10,.0f} /s")
    print(f"    encode (fastavro)  {best_rate(records, with_fastavro, rounds):>10,.0f} /s")
    print(f"    decode (compiled)  {best_rate(encoded, serde.decode, rounds):>10,.0f} /s")
    print(f"    decode (fastavro)  {best_rate(encoded, read_with_fastavro, rounds):>10,.0f} /s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    settings = get_settings()
    registry = RegistryClient(settings.schema_registry_url)
    subject = f"bench.{uuid.uuid4().hex}"
    events_serde = AvroSerde(registry, f"{subject}.events-value", load_schema("DossierEvent"))
    states_serde = AvroSerde(registry, f"{subject}.state-value", load_schema("DossierState"))
    # ~5 events a dossier: args.events dossiers give more than enough events.
    events = list(islice(sample_events(args.events), args.events))
    catalog = {p.code: procedure_record(p) for p in PROCEDURES}
    lifecycle = LifecycleProcessor(events_serde, states_serde, catalog.get)
    messages = [
        Message(events_serde.encode(e), e["dossier_id"].encode(), "bench", 0, i)
        for i, e in enumerate(events)
    ]
    states = list(InMemoryRunner(lifecycle).run(messages).states.values())

    print(f"serde: best of {args.rounds} rounds, one core")
    measure("DossierEvent", events_serde, events, args.rounds)
    measure("DossierState", states_serde, states, args.rounds)
    print(f"  peak RSS {peak_rss_mib():>9,.0f} MiB")
    registry.close()


if __name__ == "__main__":
    main()
