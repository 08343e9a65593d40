"""Verified payment callbacks (IPN) per second end to end, and callback -> FeePaid latency.

    .venv/bin/python bench/payments.py                        # 2,000 payments, 200 in the storm
    .venv/bin/python bench/payments.py --payments 20000 --clients 32 --providers vnpay

On a fresh topic prefix (``bench.payments.<uuid>.``):

1. a stand-in for the payments processor publishes one PaymentState per dossier (one payment
   each, amount and provider per payment; providers alternate over ``--providers``) to
   ``<prefix>payments``; the bank IPN app (``connectors.bank.create_ipn_app``, served by
   uvicorn in a thread of this process, the real local Kafka and registry) is started and
   timed until ``/ready`` reports every payment request loaded;
2. one callback per payment, built by the provider's dialect (``Dialect.encode``: paygov's
   SHA-256 checksum over pipe-joined fields + secret, vnpay's HMAC-SHA512 over the sorted
   parameters) with the configured secrets, is sent from ``--clients`` threads of a child
   process (httpx; paygov POST JSON, vnpay GET query string, as the providers do), so the
   load generator does not share the IPN app's interpreter. Each callback's wall time when
   sent and when answered is kept. The app answers "confirmed" only after the broker
   acknowledged the FeePaid event and its settled marker, so callbacks/s (payments / (last
   reply - first send)) is verified *and* durable. Then ``<prefix>dossier.events`` is read:
   per payment, callback -> FeePaid is the FeePaid record's Kafka timestamp (CreateTime: set
   by the IPN app's producer as it sends the record, which the broker then acknowledges before
   the reply) minus the send time (same machine, same clock); callback -> reply is the HTTP
   round trip, which also covers the broker's acknowledgements of FeePaid and of the settled
   marker;
3. duplicate storm: ``--storm-payments`` more payments, each callback sent ``--copies`` (5)
   times at once (the copies wait on a barrier, then go together): callbacks/s, and how the
   copies were answered (one "confirmed", the others "already confirmed").

CHECK lines: every payment confirmed, exactly one FeePaid per payment on the topic (event id
``fee_paid_event_id(reference, transaction)``, the right dossier key), nothing else produced.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script

from bench._payment_callbacks import Payment, Sent, make_payments, send, wires_of
from bench._report import delete_topics, percentile
from connectors.bank import (
    PROVIDERS,
    BankConfig,
    Dialect,
    Outcome,
    create_ipn_app,
    dialect_for,
    fee_paid_event_id,
)
from connectors.common import AvroRecord, JsonObject, JsonValue
from hub.events import payload_name_of
from hub.kafka import ensure_topics, make_producer, read_to_end
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings, get_settings
from hub.topics import DOSSIER_EVENTS, PAYMENTS


def payment_state(payment: Payment, now: datetime) -> AvroRecord:
    """A PaymentState as hub/payments folds it after FeeRequested and PaymentRequestCreated."""
    return {
        "dossier_id": payment.dossier_id, "agency_code": "SO-TP",
        "payments": [{
            "payment_reference": payment.reference, "fee_request_event_id": str(uuid.uuid4()),
            "amount_vnd": payment.amount_vnd,
            "fee_lines": [{"code": "LP01", "name": "Lệ phí", "kind": "CHARGE",
                           "amount_vnd": payment.amount_vnd}],
            "provider": payment.provider, "beneficiary_account": "0123456789",
            "status": "CREATED", "payment_url": None, "provider_transaction_id": None,
            "requested_at": now, "paid_at": None, "paid_amount_vnd": None, "paid_count": 0,
            "paid_transactions": [], "refund_reference": None, "refunded_at": None,
            "status_queries": 0, "next_query_at": None,
        }],
        "dossier_status": "FEE_REQUESTED", "status_before_fee": "PROCESSING",
        "seen_events": b"", "version": 1, "updated_at": now,
    }  # fmt: skip


def publish_states(settings: Settings, registry: RegistryClient, payments: list[Payment]) -> None:
    serde = serde_for(PAYMENTS, settings.topic_prefix, registry)
    topic = PAYMENTS.name(settings.topic_prefix)
    producer = make_producer(settings, client_id="bench-payments", linger_ms=20)
    now = datetime.now(UTC)
    for payment in payments:
        producer.send(topic, key=payment.dossier_id.encode(),
                      value=serde.encode(payment_state(payment, now)))  # fmt: skip
    producer.flush()
    producer.close()


# -- the IPN app ----------------------------------------------------------------------------------


@dataclass
class Ipn:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def ready(self) -> JsonObject:
        """What ``/ready`` answers (nothing while it does not answer JSON)."""
        try:
            answer: JsonValue = httpx.get(f"{self.url}/ready", timeout=10).json()
        except (httpx.HTTPError, ValueError):
            return {}
        return answer if isinstance(answer, dict) else {}

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_ipn(settings: Settings, registry: RegistryClient, config: BankConfig) -> Ipn:
    app = create_ipn_app(settings, config, registry=registry)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, backlog=4096)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise SystemExit("FAIL: the IPN app did not start")
        time.sleep(0.02)
    return Ipn(f"http://127.0.0.1:{port}", server, thread)


def wait_loaded(ipn: Ipn, count: int, timeout_s: float) -> int:
    """How many payment requests the IPN app loaded, once ready with at least ``count``."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = ipn.ready()
        loaded = status.get("payment_requests", 0)
        if status.get("status") == "ready" and isinstance(loaded, int) and loaded >= count:
            return loaded
        if time.monotonic() > deadline:
            raise SystemExit(f"FAIL: the IPN app did not load {count:,} requests: {status}")
        time.sleep(0.1)


# -- reading and checking -------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    name: str
    payments: list[Payment]
    sent: list[Sent]
    outcomes: Counter[str]
    #: payment reference -> Kafka timestamps (s) of its FeePaid records
    fee_paid: dict[str, list[float]]

    @property
    def seconds(self) -> float:
        return max(s.replied_at for s in self.sent) - min(s.sent_at for s in self.sent)

    def reply_ms(self) -> list[float]:
        return [(s.replied_at - s.sent_at) * 1000 for s in self.sent]

    def to_fee_paid_ms(self) -> list[float]:
        first_send: dict[str, float] = {}
        for s in self.sent:
            first_send[s.reference] = min(first_send.get(s.reference, s.sent_at), s.sent_at)
        return [(min(self.fee_paid[r]) - t) * 1000 for r, t in first_send.items()
                if self.fee_paid.get(r)]  # fmt: skip


def outcomes_of(sent: list[Sent], dialects: dict[str, Dialect]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for s in sent:
        outcome = (dialects[s.provider].ipn_reply_outcome(s.status, s.body)
                   if s.status is not None else None)  # fmt: skip
        counts[outcome.value if outcome else f"unreadable:{s.status}"] += 1
    return counts


def fee_paid_records(
    settings: Settings, registry: RegistryClient
) -> tuple[dict[str, list[float]], dict[str, list[tuple[str, str]]], Counter[str]]:
    """From dossier.events: reference -> FeePaid timestamps, reference -> (key, event id),
    and every payload name with its count."""
    serde = serde_for(DOSSIER_EVENTS, settings.topic_prefix, registry)
    stamps: dict[str, list[float]] = {}
    ids: dict[str, list[tuple[str, str]]] = {}
    names: Counter[str] = Counter()
    topic = DOSSIER_EVENTS.name(settings.topic_prefix)
    for record in read_to_end(settings, topic, timeout_s=120):
        event = serde.decode(record.value)
        name = payload_name_of(event)
        names[name] += 1
        if name == "FeePaid":
            reference = str(event["payload"][1]["payment_reference"])
            stamps.setdefault(reference, []).append(record.timestamp / 1000)
            ids.setdefault(reference, []).append((record.key.decode(), str(event["event_id"])))
    return stamps, ids, names


def wait_fee_paid(
    settings: Settings, registry: RegistryClient, expected: int, timeout_s: float
) -> tuple[dict[str, list[float]], dict[str, list[tuple[str, str]]], Counter[str]]:
    """The FeePaid records, once ``expected`` of them are on the topic (acknowledged before
    the replies, so this is immediate unless something is wrong)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = fee_paid_records(settings, registry)
        if found[2]["FeePaid"] >= expected or time.monotonic() > deadline:
            return found
        time.sleep(1)


def check(phase: Phase, ids: dict[str, list[tuple[str, str]]], copies: int) -> None:
    problems = []
    confirmed = phase.outcomes.get(Outcome.CONFIRMED.value, 0)
    already = phase.outcomes.get(Outcome.ALREADY_CONFIRMED.value, 0)
    n = len(phase.payments)
    if confirmed != n:
        problems.append(f"{confirmed:,} confirmed for {n:,} payments")
    if confirmed + already != n * copies:
        problems.append(f"answers {dict(phase.outcomes)}")
    wrong = [
        p.reference
        for p in phase.payments
        if ids.get(p.reference)
        != [(p.dossier_id, fee_paid_event_id(p.reference, p.transaction_id))]
    ]
    if wrong:
        problems.append(f"{len(wrong):,} payments without exactly one right FeePaid "
                        f"(e.g. {wrong[0]}: {ids.get(wrong[0])})")  # fmt: skip
    one = sum(1 for p in phase.payments if len(ids.get(p.reference, ())) == 1)
    verdict = "OK" if not problems else "FAIL: " + "; ".join(problems)
    print(f"  CHECK {phase.name}: {n:,} payments, {n * copies:,} callbacks -> {confirmed:,} "
          f"confirmed, {already:,} already confirmed; {one:,} payments with exactly one FeePaid "
          f"(right key and event id): {verdict}")  # fmt: skip
    if problems:
        raise SystemExit(f"FAIL: {phase.name}: {'; '.join(problems)}")


def report(phase: Phase, copies: int) -> None:
    callbacks = len(phase.sent)
    reply, to_fee = phase.reply_ms(), phase.to_fee_paid_ms()
    print(f"  {phase.name}: {callbacks / phase.seconds:,.0f} callbacks/s, "
          f"{len(phase.payments) / phase.seconds:,.0f} payments confirmed/s "
          f"({callbacks:,} callbacks{f' ({copies} copies each)' if copies > 1 else ''} in "
          f"{phase.seconds:.1f} s)")  # fmt: skip
    print(f"    callback -> FeePaid on the topic: p50 {percentile(to_fee, 50):.0f} ms, "
          f"p99 {percentile(to_fee, 99):.0f} ms, max {max(to_fee):.0f} ms")  # fmt: skip
    print(f"    callback -> HTTP reply: p50 {percentile(reply, 50):.0f} ms, "
          f"p99 {percentile(reply, 99):.0f} ms; answers {dict(phase.outcomes)}")  # fmt: skip


# -- the run --------------------------------------------------------------------------------------


def run(args: argparse.Namespace, settings: Settings, registry: RegistryClient) -> None:
    tag = uuid.uuid4().hex[:6]
    providers = args.providers.split(",")
    main = make_payments(args.payments, providers, tag)
    storm = make_payments(args.storm_payments, providers, tag, first=args.payments)
    config = BankConfig(start_timeout_s=args.timeout)
    dialects: dict[str, Dialect] = {name: dialect_for(config.provider(name)) for name in PROVIDERS}
    ensure_topics(settings, [DOSSIER_EVENTS, PAYMENTS])
    started = time.monotonic()
    publish_states(settings, registry, main + storm)
    print(f"published {len(main) + len(storm):,} PaymentStates ({', '.join(providers)}) in "
          f"{time.monotonic() - started:.1f} s")  # fmt: skip
    started = time.monotonic()
    ipn = start_ipn(settings, registry, config)
    try:
        loaded = wait_loaded(ipn, len(main) + len(storm), args.timeout)
        print(f"IPN app ready with {loaded:,} payment requests "
              f"{time.monotonic() - started:.1f} s after its start")  # fmt: skip
        sent = send(ipn.url, wires_of(main, dialects), args.clients)
        fee_paid, ids, _ = wait_fee_paid(settings, registry, len(main), 60)
        phase = Phase("callbacks", main, sent, outcomes_of(sent, dialects), fee_paid)
        report(phase, 1)
        check(phase, ids, 1)
        sent = send(ipn.url, wires_of(storm, dialects), args.clients, args.copies)
        fee_paid, ids, names = wait_fee_paid(settings, registry, len(main) + len(storm), 60)
        dup = Phase("duplicate storm", storm, sent, outcomes_of(sent, dialects), fee_paid)
        report(dup, args.copies)
        check(dup, ids, args.copies)
        others = {k: v for k, v in names.items() if k != "FeePaid"}
        total = len(main) + len(storm)
        good = names["FeePaid"] == total and not others
        print(f"  CHECK topic: {names['FeePaid']:,} FeePaid for {total:,} payments, other events "
              f"{others or 'none'}: {'OK' if good else 'FAIL'}")  # fmt: skip
        if not good:
            raise SystemExit("FAIL: dossier.events holds other records than one FeePaid each")
    finally:
        ipn.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--payments", type=int, default=2_000, help="payments, one callback each")
    parser.add_argument("--storm-payments", type=int, default=200, help="payments in the storm")
    parser.add_argument("--copies", type=int, default=5, help="copies of each storm callback")
    parser.add_argument("--clients", type=int, default=16, help="sending threads")
    parser.add_argument("--providers", default="paygov,vnpay", help="comma-separated, alternate")
    parser.add_argument("--partitions", type=int, default=get_settings().partitions)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per wait")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the topics")
    args = parser.parse_args()
    if set(args.providers.split(",")) - set(PROVIDERS):
        parser.error(f"--providers: of {', '.join(PROVIDERS)}")
    if args.payments < 1 or args.storm_payments < 1 or args.copies < 1 or args.clients < 1:
        parser.error("--payments, --storm-payments, --copies and --clients must be positive")
    settings = get_settings().model_copy(update={
        "topic_prefix": f"bench.payments.{uuid.uuid4().hex[:8]}.", "partitions": args.partitions,
    })  # fmt: skip
    print(f"prefix {settings.topic_prefix}  partitions {settings.partitions}")
    began = time.monotonic()
    try:
        with RegistryClient(settings.schema_registry_url) as registry:
            run(args, settings, registry)
    finally:
        if not args.keep_topics:
            delete_topics(settings, [])
    print(f"total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
