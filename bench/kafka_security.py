"""What Kafka's TLS + SCRAM costs the portal: events/s and batch p99, SASL_SSL against PLAINTEXT,
measured in one run on one broker.

    python bench/kafka_security.py [--events 6000] [--batch 100] [--threads 4] [--rounds 2]

The bench starts a stack of its own (a temporary stack home, ports 19192-19195 and 18181), the
only kind with a PLAINTEXT listener (``DVC_KAFKA_PLAINTEXT_PORT``), on which ``User:ANONYMOUS``
is granted the portal's topics under this run's prefixes and nothing else. Then the real portal
connector (FastAPI on loopback, the same app as ``dvchub portal serve``) takes the same sample
events from ``--threads`` clients in batches of ``--batch``, once logged in as ``portal`` over
SASL_SSL and once as ANONYMOUS over PLAINTEXT, alternating for ``--rounds`` rounds so that a
noisy neighbour hits both. Each POST returns after the broker acknowledged its batch (acks=all),
so a batch's latency carries the broker round trip, TLS included.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
)

from bench._report import peak_rss_mib, percentile
from connectors.portal import PortalConfig, create_app
from connectors.portal.client import PortalClient, portal_item
from dvchub.demo._servers import serving
from hub.kafka import ensure_topics
from hub.sample import PROCEDURES, catalog_entry, sample_events
from hub.settings import Settings
from hub.stack import (
    LocalStack,
    as_service,
    grant_prefix,
    link_fetched_components,
    management_admin,
)
from hub.stack._acls import PORTAL_ACCEPTED_IDS
from hub.topics import CATALOG_PROCEDURES, DOSSIER_EVENTS

PORTS = {"kafka_port": 19192, "kafka_controller_port": 19193, "kafka_plaintext_port": 19195,
         "registry_port": 18181}  # fmt: skip


@dataclass(frozen=True)
class Round:
    mode: str
    events: int
    seconds: float
    batch_ms: list[float]

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds


@contextmanager
def own_stack() -> Iterator[Settings]:
    shared = Settings()
    with tempfile.TemporaryDirectory(prefix="dvchub-bench-stack-") as home:
        link_fetched_components(shared.stack_home, Path(home))
        settings = shared.model_copy(update={
            **PORTS, "stack_home": Path(home), "bootstrap_servers_override": None,
            "registry_url_override": None, "kafka_security_protocol": "SASL_SSL",
            "kafka_username": "admin", "kafka_password": None, "kafka_password_file": None,
            "kafka_ca_file": None,
        })  # fmt: skip
        stack = LocalStack(settings)
        try:
            stack.up(lambda line: print(f"  {line}", flush=True))
            yield settings
        finally:
            stack.down()


def grant_anonymous(settings: Settings, prefix: str) -> None:
    """ANONYMOUS may use the portal's topics under ``prefix``: nothing else."""
    names = [DOSSIER_EVENTS.name(prefix), CATALOG_PROCEDURES.name(prefix),
             f"{prefix}{PORTAL_ACCEPTED_IDS}"]  # fmt: skip
    acls = [
        ACL("User:ANONYMOUS", "*", operation, ACLPermissionType.ALLOW,
            ResourcePattern(ResourceType.TOPIC, name, ACLResourcePatternType.LITERAL))
        for name in names
        for operation in (ACLOperation.READ, ACLOperation.WRITE, ACLOperation.DESCRIBE,
                          ACLOperation.CREATE)
    ]  # fmt: skip
    with management_admin(settings) as admin:
        failed = admin.create_acls(acls)["failed"]
    if failed:
        raise RuntimeError(f"could not grant ANONYMOUS: {failed}")


def client_settings(stack: Settings, mode: str, prefix: str) -> Settings:
    base = stack.model_copy(update={"topic_prefix": prefix})
    ensure_topics(base)  # as the admin, before the client: the same topics for both modes
    if mode == "SASL_SSL":
        grant_prefix(stack, prefix)  # the services' ACL table, for this round's prefix
        return as_service(base, "portal")
    grant_anonymous(stack, prefix)
    return base.model_copy(update={"kafka_security_protocol": "PLAINTEXT"})


def one_round(stack: Settings, mode: str, args: argparse.Namespace) -> Round:
    prefix = f"bench.security.{mode.lower()}.{uuid.uuid4().hex[:8]}."
    settings = client_settings(stack, mode, prefix)
    key = secrets.token_urlsafe(24)
    app = create_app(settings, PortalConfig(api_keys=f"PROVINCIAL_PORTAL:{key}"))
    events = [portal_item(e) for e in sample_events(args.events // 6, seed=7)][: args.events]
    for event in events:  # the same events each round, under ids of this round
        event["event_id"] = str(uuid.uuid4())
    batches = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
    latencies: list[float] = []
    lock = threading.Lock()
    with serving(app, f"portal-{mode}") as url, PortalClient(url, api_key=key) as client:
        for procedure in PROCEDURES:
            client.put_procedure(procedure.code, catalog_entry(procedure))
        client.push_events(batches[0][:1])  # warm: connections, producer, schema ids

        def push(batch: list[dict[str, object]]) -> int:
            started = time.perf_counter()
            accepted = client.push_events(batch).accepted
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
            return accepted

        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            accepted = sum(pool.map(push, batches))
        seconds = time.perf_counter() - started
    return Round(mode, accepted, seconds, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print("starting a stack of the bench's own (SASL_SSL and PLAINTEXT listeners)", flush=True)
    rounds: list[Round] = []
    with own_stack() as stack:
        for number in range(args.rounds):
            for mode in ("SASL_SSL", "PLAINTEXT") if number % 2 == 0 else ("PLAINTEXT", "SASL_SSL"):
                result = one_round(stack, mode, args)
                rounds.append(result)
                print(f"  round {number + 1} {mode:>9}: {result.events_per_s:8.0f} events/s, "
                      f"batch p50 {percentile(result.batch_ms, 50):6.1f} ms, "
                      f"p99 {percentile(result.batch_ms, 99):6.1f} ms", flush=True)  # fmt: skip
    by_mode = {m: [r for r in rounds if r.mode == m] for m in ("PLAINTEXT", "SASL_SSL")}
    rate = {m: sum(r.events for r in rs) / sum(r.seconds for r in rs) for m, rs in by_mode.items()}
    p99 = {m: percentile([x for r in rs for x in r.batch_ms], 99) for m, rs in by_mode.items()}
    print(f"\nportal -> Kafka, {args.events} events a round in batches of {args.batch}, "
          f"{args.threads} clients, {args.rounds} rounds each way")  # fmt: skip
    for mode in ("PLAINTEXT", "SASL_SSL"):
        print(f"  {mode:>9}: {rate[mode]:8.0f} events/s, batch p99 {p99[mode]:6.1f} ms")
    print(f"  SASL_SSL / PLAINTEXT: {rate['SASL_SSL'] / rate['PLAINTEXT']:.0%} of the rate, "
          f"p99 {p99['SASL_SSL'] - p99['PLAINTEXT']:+.1f} ms; "
          f"peak memory of this process {peak_rss_mib():.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
