"""A small real HTTP partner for the outbox's own tests, and the client the outbox drives.

The partner keeps a ledger keyed by idempotency key (a repeated key has no second effect and is
counted as a duplicate), the arrival order of each dossier's calls, and switchable faults:
failing the next N calls with 503, rejecting a marked command with 422, latency, or being down
altogether (the socket closed: connection refused).
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from connectors.outbox import Accepted, CallFailed, Command, EventDraft, Permanent, Transient
from hub.processing import free_port


@dataclass
class Ledger:
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    calls: int = 0
    arrivals: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


class EchoPartner:
    def __init__(self) -> None:
        self.port = free_port()
        self.ledger = Ledger()
        self.fail_next = 0
        self.fail_ratio = 0.0
        self.latency_s = 0.0
        self.jitter_s = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._rng = random.Random(7)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = partner.handle(body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        delay = self.latency_s + (self._rng.uniform(0, self.jitter_s) if self.jitter_s else 0)
        if delay:
            time.sleep(delay)
        with self._lock:
            self.ledger.calls += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"error": "overloaded"}
            if self.fail_ratio and self._rng.random() < self.fail_ratio:
                return 503, {"error": "overloaded"}
            if body.get("reject"):
                return 422, {"error": "refused for good"}
            key = body["idempotency_key"]
            if key in self.ledger.effects:
                self.ledger.duplicates += 1
                return 200, self.ledger.effects[key]
            answer = {"ref": f"R-{uuid.uuid4().hex[:8]}"}
            self.ledger.effects[key] = answer
            self.ledger.arrivals[body["dossier_id"]].append(body["seq"])
            return 200, answer


class EchoClient:
    """A ``PartnerClient`` for ``EchoPartner`` (commands of type NATIONAL_PROGRESS_UPDATE)."""

    partner = "echo"
    command_types = frozenset({"NATIONAL_PROGRESS_UPDATE"})

    def __init__(self, url: str) -> None:
        self._http = httpx.Client(base_url=url, timeout=2.0)

    def call(self, command: Command, attempt: int) -> Accepted:
        body = {
            "idempotency_key": command.idempotency_key,
            "dossier_id": command.dossier_id,
            "seq": command.payload["status_code"],
            "reject": command.payload.get("content") == "reject",
        }
        try:
            response = self._http.post("/calls", json=body)
        except httpx.HTTPError as exc:
            raise Transient(type(exc).__name__, str(exc)) from exc
        if response.status_code >= 500:
            raise Transient(f"HTTP_{response.status_code}", response.text)
        if response.status_code >= 400:
            raise Permanent(f"HTTP_{response.status_code}", response.text)
        reference = str(response.json()["ref"])
        done = EventDraft(
            "NationalSyncCompleted",
            {"service": "CAP_NHAT_TIEN_DO_HO_SO_MC", "status_synced": "PROCESSING",
             "attempts": attempt},
            "HUB",
        )  # fmt: skip
        return Accepted(reference, (done,))

    def failure_events(
        self, command: Command, error: CallFailed, attempts: int, will_retry: bool
    ) -> tuple[EventDraft, ...]:
        failed = {"service": "CAP_NHAT_TIEN_DO_HO_SO_MC", "reason": error.code,
                  "attempts": attempts, "will_retry": will_retry}  # fmt: skip
        return (EventDraft("NationalSyncFailed", failed, "HUB"),)

    def close(self) -> None:
        self._http.close()


def progress_command(dossier_id: str, seq: int, *, reject: bool = False) -> dict[str, Any]:
    """A PartnerCommand record (NationalProgressUpdate) whose status_code is its sequence."""
    command_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"test:{dossier_id}:{seq}"))
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "command_id": command_id,
        "command_type": "NATIONAL_PROGRESS_UPDATE",
        "dossier_id": dossier_id,
        "idempotency_key": f"{command_id}:progress",
        "created_at": now,
        "correlation_id": dossier_id,
        "causation_id": None,
        "payload": (
            "vn.dvchub.command.NationalProgressUpdate",
            {"handler_name": None, "handler_title": None, "handled_at": now, "department": None,
             "content": "reject" if reject else None, "status_code": seq, "started_at": None,
             "due_at": None},
        ),
    }  # fmt: skip
