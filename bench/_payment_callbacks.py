"""The payments of ``bench/payments.py`` and their callbacks: each payment's callback signed by
its provider's dialect, sent from threads of a child process so the load generator does not
share the IPN app's interpreter."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from connectors.bank import Callback, Dialect, Status
from connectors.common import JsonValue

AMOUNT = 150_000


@dataclass(frozen=True)
class Payment:
    dossier_id: str
    reference: str
    provider: str
    amount_vnd: int
    transaction_id: str


def make_payments(count: int, providers: list[str], tag: str, first: int = 0) -> list[Payment]:
    payments = []
    for n in range(first, first + count):
        provider = providers[n % len(providers)]
        tx = f"PG{n:012d}" if provider == "paygov" else f"{14_000_000 + n}"
        payments.append(Payment(f"HS-{tag}-{n:06d}", f"HS{tag.upper()}{n:06d}-F1", provider,
                                AMOUNT + 1_000 * (n % 50), tx))  # fmt: skip
    return payments


@dataclass(frozen=True)
class Sent:
    reference: str
    provider: str
    sent_at: float  # wall time, s
    replied_at: float
    status: int | None
    body: JsonValue


Wire = tuple[str, str, dict[str, str]]  # (provider, payment reference, wire fields)


def send_callbacks(url: str, wires: list[Wire], clients: int, copies: int) -> list[Sent]:
    """Each wire ``copies`` times (the copies of one callback released together), from
    ``clients`` threads, each with its own connection pool."""
    local = threading.local()
    barriers = {ref: threading.Barrier(copies) for _, ref, _ in wires} if copies > 1 else {}

    def send(item: Wire) -> Sent:
        provider, reference, wire = item
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = httpx.Client(base_url=url, timeout=60)
        if barriers:
            barriers[reference].wait(timeout=30)
        started = time.time()
        try:
            if provider == "paygov":
                response = http.post("/v1/ipn/paygov", json=wire)
            else:
                response = http.get("/v1/ipn/vnpay", params=wire)
            status: int | None = response.status_code
            body: JsonValue = response.json() if response.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            status, body = None, {"error": type(exc).__name__}
        return Sent(reference, provider, started, time.time(), status, body)

    items = [w for w in wires for _ in range(copies)]
    workers = max(clients - clients % copies, copies)  # whole barrier groups, never stuck
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(send, items))


def wires_of(payments: list[Payment], dialects: dict[str, Dialect]) -> list[Wire]:
    """Each payment's callback, signed by its provider's dialect."""
    now = datetime.now(UTC)
    wires = []
    for number, p in enumerate(payments):
        callback = Callback(
            payment_reference=p.reference, payment_id=f"PAY{number:010d}",
            transaction_id=p.transaction_id, amount_vnd=p.amount_vnd, status=Status.PAID,
            paid_at=now, sent_at=now,
        )  # fmt: skip
        wires.append((p.provider, p.reference, dialects[p.provider].encode(callback)))
    return wires


def send(url: str, wires: list[Wire], clients: int, copies: int = 1) -> list[Sent]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(send_callbacks, url, wires, clients, copies).result()
