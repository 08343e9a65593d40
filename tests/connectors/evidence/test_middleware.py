"""The inbound hook without a broker: an app behind ``install`` records each partner request and
its answer before the answer leaves (a recorder that fails turns it into a 503), skips what ops
ask, and takes the call id the shell notes. The recorders here are the evidence's own interface
(``Recorder``); the Kafka one is tested over the broker in ``test_recording``."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors.evidence import Direction, Exchange, NotRecorded, Record, install, note_call


class Kept:
    enabled = True

    def __init__(self) -> None:
        self.records: list[Record] = []

    def record(self, record: Record) -> None:
        self.records.append(record)

    def close(self) -> None:
        return None


class Refusing(Kept):
    def record(self, record: Record) -> None:
        raise NotRecorded("the broker did not answer")


def _app(recorder: Kept) -> FastAPI:
    app = FastAPI()

    @app.post("/callback")
    async def callback(request: Request) -> JSONResponse:
        body = await request.json()
        if "id" in body:
            note_call([body["id"]], "D-1")
        return JSONResponse({"result": "ACCEPTED"})

    @app.get("/ready")
    async def ready() -> JSONResponse:
        return JSONResponse({"status": "ready"})

    app.middleware_stack = app.build_middleware_stack()  # as built when its lifespan runs
    install(app, recorder, "vnpost-callbacks")
    return app


async def _send(app: FastAPI, *requests: tuple[str, str, str]) -> list[httpx.Response]:
    """(method, path, body) each, in order."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        return [await client.request(m, path, content=body or None) for m, path, body in requests]


@pytest.mark.asyncio
async def test_each_partner_request_is_recorded_with_its_answer() -> None:
    kept = Kept()
    app = _app(kept)
    answers = await _send(
        app, ("POST", "/callback", '{"id": "cb-7", "HoTen": "Nguyễn Văn An"}'),
        ("GET", "/ready", ""), ("POST", "/callback", "{}"),
    )  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 200]
    first, second = kept.records  # /ready is not a partner's message
    assert isinstance(first, Exchange)
    assert isinstance(second, Exchange)
    assert (first.partner, first.direction, first.call_id, first.dossier_id) == (
        "vnpost", Direction.IN, "cb-7", "D-1",
    )  # fmt: skip
    assert first.request.startswith("POST /callback\n")
    assert "Nguyễn Văn An" not in first.request
    assert first.response == '200\n{"result":"ACCEPTED"}'
    assert second.call_id.startswith("sha256:")  # no id noted: the exchange's digest


@pytest.mark.asyncio
async def test_an_answer_is_not_sent_without_its_evidence() -> None:
    (answer,) = await _send(_app(Refusing()), ("POST", "/callback", '{"id": "cb-8"}'))
    assert answer.status_code == 503
    assert answer.headers["retry-after"]
