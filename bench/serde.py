"""Encode/decode throughput of DossierEvents in the Confluent wire format (fastavro).

    python bench/serde.py [--events 20000] [--rounds 3]

Needs the registry of the local stack (schema ids are registered once, then cached).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import peak_rss_mib
from hub.sample import sample_events
from hub.serde import AvroSerde, RegistryClient, load_schema
from hub.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    settings = get_settings()
    registry = RegistryClient(settings.schema_registry_url)
    serde = AvroSerde(registry, f"bench.{uuid.uuid4().hex}-value", load_schema("DossierEvent"))
    # ~5 events a dossier: args.events dossiers give more than enough events.
    events = list(islice(sample_events(args.events), args.events))
    serde.encode(events[0])  # register once, outside the timed loops

    best_encode = best_decode = 0.0
    encoded: list[bytes] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        encoded = [serde.encode(e) for e in events]
        best_encode = max(best_encode, len(events) / (time.perf_counter() - started))
        started = time.perf_counter()
        for data in encoded:
            serde.decode(data)
        best_decode = max(best_decode, len(events) / (time.perf_counter() - started))
    size = sum(map(len, encoded)) / len(encoded)
    print(f"serde: {len(events)} DossierEvents, best of {args.rounds} rounds, one core")
    print(f"  encode  {best_encode:>10,.0f} events/s")
    print(f"  decode  {best_decode:>10,.0f} events/s (writer schema resolved only if it differs)")
    print(f"  size    {size:>10,.0f} bytes/event on the wire (5-byte header included)")
    print(f"  peak RSS {peak_rss_mib():>9,.0f} MiB")
    registry.close()


if __name__ == "__main__":
    main()
