"""A small client of the portal connector, for ``make run``, benchmarks and tests.

    with PortalClient("http://127.0.0.1:8088", api_key="dev-portal-key") as portal:
        result = portal.push_events([portal_item(e) for e in sample_events(10)])

A 503 is retried after its ``Retry-After`` (resending a batch is always safe: event ids dedupe);
with ``retry_for_s``, so is a request the connector never answered (refused while it restarts,
reset, timed out), with backoff, for that long. Any other refusal raises ``PortalError`` with the
status and the connector's JSON answer.
"""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict, cast

import httpx

from connectors.common import Backoff, JsonValue
from hub.events import payload_name_of

DEFAULT_URL = "http://127.0.0.1:8088"
#: The first pause before a request the connector never answered is sent again; it doubles up
#: to ``RETRY_PAUSE_MAX_S``.
RETRY_PAUSE_S = 0.5
RETRY_PAUSE_MAX_S = 5.0


class PortalError(Exception):
    """The connector refused a request; ``body`` is its JSON answer (``detail``, ``errors``)."""

    def __init__(self, status: int, body: JsonValue) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.body = body

    @property
    def paths(self) -> tuple[str, ...]:
        """The JSON paths of the fields a 422 names (its ``ValidationFailed`` errors)."""
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        if not isinstance(errors, list):
            return ()
        return tuple(str(e["path"]) for e in errors if isinstance(e, dict) and "path" in e)


class PortalItem(TypedDict):
    """One event as the connector takes it (its OpenAPI ``PortalEvent``)."""

    event_id: str
    event_type: str
    dossier_id: str
    occurred_at: JsonValue
    actor: JsonValue
    correlation_id: str | None
    payload: JsonValue


class _ItemAnswer(TypedDict):
    event_id: str
    status: str


class _BatchAnswer(TypedDict):
    """The connector's 202 answer (its OpenAPI ``BatchAccepted``)."""

    accepted: int
    duplicates: int
    events: list[_ItemAnswer]


@dataclass(frozen=True)
class BatchResult:
    """What the connector answered for one batch."""

    accepted: int
    duplicates: int
    statuses: Mapping[str, str]  # event id -> "accepted" | "duplicate"


class PortalClient:
    """Pushes batches and catalogue entries to one connector; safe to share between threads."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str,
        timeout_s: float = 30.0,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
        retry_for_s: float = 0.0,
    ) -> None:
        # verify: the connector's CA when it serves a certificate of the province's own CA
        # (True: the system's CAs).
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout_s,
            headers={"X-API-Key": api_key},
            transport=transport,
            verify=verify,
        )
        self.max_retries = max_retries
        self.retry_for_s = retry_for_s

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def push_events(self, events: Sequence[Mapping[str, object]]) -> BatchResult:
        """POST one batch (1..500 portal items); returns once Kafka acknowledged it. The items
        are sent as they are (a test sends broken ones): ``PortalItem`` is their shape."""
        # A success is the connector's BatchAccepted, by its own OpenAPI document.
        body = cast(_BatchAnswer, self._send("POST", "/v1/events", {"events": list(events)}))
        statuses = {str(e["event_id"]): str(e["status"]) for e in body["events"]}
        return BatchResult(int(body["accepted"]), int(body["duplicates"]), statuses)

    def push_all(
        self, events: Iterable[Mapping[str, object]], *, batch_size: int = 500
    ) -> Iterator[BatchResult]:
        """Push ``events`` in batches of ``batch_size``, in order."""
        batch: list[Mapping[str, object]] = []
        for event in events:
            batch.append(event)
            if len(batch) == batch_size:
                yield self.push_events(batch)
                batch = []
        if batch:
            yield self.push_events(batch)

    def put_procedure(self, code: str, entry: Mapping[str, object]) -> JsonValue:
        """The connector's answer (its OpenAPI ``ProcedureStored``)."""
        return self._send("PUT", f"/v1/procedures/{code}", dict(entry))

    def healthy(self) -> bool:
        try:
            return self._http.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def _send(self, method: str, path: str, body: Mapping[str, object]) -> JsonValue:
        unanswered = Backoff(self.retry_for_s, RETRY_PAUSE_S, RETRY_PAUSE_MAX_S)
        for attempt in range(self.max_retries + 1):
            while True:
                try:
                    response = self._http.request(method, path, json=body)
                    break
                except httpx.TransportError:  # not answered: it may have taken it (ids dedupe)
                    if not unanswered.wait():
                        raise
            if response.status_code == 503 and attempt < self.max_retries:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            answer: JsonValue
            try:
                answer = response.json()
            except ValueError:
                answer = response.text
            if response.is_success:
                return answer
            raise PortalError(response.status_code, answer)
        raise AssertionError("unreachable")  # pragma: no cover


def _json_value(value: object) -> JsonValue:
    """An Avro value as JSON: times in ISO 8601, uuids as text, records as objects."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no JSON form")


def portal_item(event: Mapping[str, object]) -> PortalItem:
    """The portal JSON item of a canonical DossierEvent dict (e.g. from ``hub.sample``)."""
    union = event["payload"]
    if not isinstance(union, tuple | list):
        raise TypeError("payload: expected hub.serde's (record name, record) pair")
    _, payload = union
    correlation_id = event.get("correlation_id")
    return {
        "event_id": str(event["event_id"]),
        "event_type": payload_name_of(event),
        "dossier_id": str(event["dossier_id"]),
        "occurred_at": _json_value(event["occurred_at"]),
        "actor": _json_value(event.get("actor")),
        "correlation_id": None if correlation_id is None else str(correlation_id),
        "payload": _json_value(payload),
    }
