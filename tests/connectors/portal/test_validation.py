"""The contract's rules, one class at a time: each refusal is a 422 naming the field and rule.

Pure validation happens before anything touches Kafka, so these tests drive the app in-process
(httpx ASGITransport, no lifespan); that nothing is produced is shown end to end in
``test_produce.py``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.portal import create_app
from hub.settings import Settings
from tests.connectors.portal.conftest import PORTAL_KEY, make_config
from tests.connectors.portal.samples import item

APP = create_app(Settings(), make_config(max_batch_events=20))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=APP)
    headers = {"X-API-Key": PORTAL_KEY}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://portal", headers=headers
    ) as http:
        yield http


def _set(event: dict[str, Any], path: str, value: Any) -> None:
    """Set ``payload.fee_lines.0.amount_vnd``-style paths in ``event`` (``DELETE`` deletes)."""
    *parents, last = path.split(".")
    target: Any = event
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value


DELETE = object()
_FUTURE = (datetime.now(UTC) + timedelta(days=2)).isoformat()
_LONG = "x" * 4001
_TWICE = [item("ResultReady")["payload"]["documents"][0]] * 2


def case(event_type: str, field: str, value: Any, rule: str, *, at: str | None = None) -> Any:
    """An item of ``event_type`` with ``field`` set to ``value``, refused for ``rule`` at
    ``at`` (default: the field itself, as a JSON path inside ``events[1]``)."""
    path = at or re.sub(r"\.([0-9]+)", r"[\1]", field)
    return pytest.param(event_type, field, value, path, rule, id=f"{rule}:{path}")


CASES = [
    # identifiers and formats
    case("DossierSubmitted", "event_id", "not-a-uuid", "uuid_format"),
    case("DossierSubmitted", "event_id", "6f1c2c1e8a8e4a579d550d3b1f0a2f11", "uuid_format"),
    case("FeePaid", "payload.provider_transaction_id", "TX 1", "string_pattern_mismatch"),
    case("DossierSubmitted", "dossier_id", "HS 01", "string_pattern_mismatch"),
    case("DossierSubmitted", "payload.procedure_code", "1001612", "string_pattern_mismatch"),
    case("DossierSubmitted", "payload.agency_code", "UBND LX", "string_pattern_mismatch"),
    case("DossierSubmitted", "payload.documents.0.sha256", "AB" * 32, "string_pattern_mismatch"),
    case("DossierSubmitted", "payload.documents.0.media_type", "pdf", "string_pattern_mismatch"),
    case("DossierSubmitted", "payload.applicant.phone", "+1 555 0100", "string_pattern_mismatch"),
    case("DossierSubmitted", "payload.applicant.email", "an@", "string_pattern_mismatch"),
    case("DossierSubmitted", "payload.applicant.id_number", "0891234567", "citizen_id_format"),
    case("ResultReturned", "payload.waybill_number", "EE123456784VN", "s10_check_digit"),
    case("ResultReturned", "payload.waybill_number", "EE12345678VN", "string_pattern_mismatch"),
    # lengths and sizes
    case("DossierRefused", "payload.reason", _LONG, "string_too_long"),
    case("DossierRefused", "payload.reason", "   ", "string_too_short"),
    case("FeeRequested", "payload.fee_lines", [], "too_short"),
    case("DossierSubmitted", "payload.documents.0.size_bytes", -1, "greater_than_equal"),
    # a reused component's origin
    case(
        "DossierSubmitted",
        "payload.documents.1.reused_from.dossier_id",
        "HS 01",
        "string_pattern_mismatch",
    ),
    case("DossierSubmitted", "payload.documents.1.reused_from.document_id", DELETE, "missing"),
    case(
        "SupplementReceived",
        "payload.documents.0.reused_from",
        {"dossier_id": "UBND-LX-250303-000042", "document_id": "gp"},
        "reused_from_itself",
        at="payload.documents[0].reused_from.dossier_id",
    ),
    # amounts and strict numbers
    case("FeeRequested", "payload.fee_lines.0.amount_vnd", -75000, "greater_than_equal"),
    case("FeeRequested", "payload.total_vnd", "75000", "int_type"),
    case("FeePaid", "payload.amount_vnd", 75000.5, "int_type"),
    case("DossierAccepted", "payload.deadline_working_days", 400, "less_than_equal"),
    case("DossierSubmitted", "payload.postal_intake", 1, "bool_type"),
    # enum symbols
    case("DossierSubmitted", "payload.channel", "UNKNOWN", "literal_error"),
    case("FeePaid", "payload.method", "cash", "literal_error"),
    case("DossierAccepted", "payload.level", "MUC_DO_4", "literal_error"),
    case("FeeRequested", "payload.fee_lines.0.kind", "TAX", "literal_error"),
    # times
    case("DossierSubmitted", "occurred_at", "2025-03-03T09:15:30", "timezone_aware"),
    case("DossierSubmitted", "occurred_at", 1741000000, "iso8601_string"),
    case("DossierSubmitted", "occurred_at", "03/03/2025 09:15", "datetime_from_date_parsing"),
    case("DossierSubmitted", "occurred_at", _FUTURE, "time_in_future"),
    case("DossierAccepted", "payload.appointment_at", "2025-03-24", "timezone_aware"),
    # structure
    case("DossierSubmitted", "event_type", "DossierArchived", "unknown_event_type"),
    case("DossierSubmitted", "event_type", DELETE, "missing"),
    case("DossierSubmitted", "payload.applicant", DELETE, "missing"),
    case("DossierSubmitted", "payload.applicant.nationality", "VN", "extra_forbidden"),
    case("FeePaid", "payload.fee_lines", [], "extra_forbidden"),
    case("DossierSubmitted", "actor", {}, "empty_actor"),
    # fields that must agree
    case("FeeRequested", "payload.total_vnd", 70000, "total_mismatch"),
    case("FeeRequested", "payload.fee_lines.1.code", "LP-XD", "duplicate_code"),
    case("ProcessingStepRecorded", "payload.to_department", None, "transfer_without_target"),
    case(
        "ResultReturned",
        "payload.return_channel",
        "DESK",
        "waybill_without_postal_return",
        at="payload.waybill_number",
    ),
    case(
        "ApologyIssued",
        "payload.new_appointment_at",
        "2025-03-01T08:00:00+07:00",
        "not_after_occurred_at",
    ),
    case(
        "ExplanationRecorded",
        "payload.recorded_at",
        "2025-03-04T08:00:00+07:00",
        "after_occurred_at",
    ),
    case(
        "DossierSubmitted",
        "payload.from_national_portal",
        False,
        "national_code_without_national_portal",
        at="payload.national_dossier_code",
    ),
    case(
        "DossierSubmitted",
        "payload.channel",
        "ONLINE",
        "postal_intake_channel_mismatch",
        at="payload.postal_intake",
    ),
    case(
        "ResultReady",
        "payload.documents",
        _TWICE,
        "duplicate_document_id",
        at="payload.documents[1].document_id",
    ),
]


@pytest.mark.parametrize(("event_type", "field", "value", "path", "rule"), CASES)
async def test_rule_broken_is_named_with_its_json_path(
    client: httpx.AsyncClient, event_type: str, field: str, value: Any, path: str, rule: str
) -> None:
    bad = item(event_type)
    _set(bad, field, value)
    response = await client.post("/v1/events", json={"events": [item("DossierAccepted"), bad]})
    assert response.status_code == 422, response.text
    body = response.json()
    assert [(e["path"], e["rule"]) for e in body["errors"]] == [(f"events[1].{path}", rule)]
    assert body["errors"][0]["message"]
    assert "nothing was produced" in body["detail"]


async def test_organisation_needs_an_enterprise_code(client: httpx.AsyncClient) -> None:
    bad = item("DossierSubmitted")
    bad["payload"]["applicant"].update(kind="ORGANIZATION", id_number="089123456789")
    good = item("DossierSubmitted")
    good["payload"]["applicant"].update(kind="ORGANIZATION", id_number="0101234567-001")
    response = await client.post("/v1/events", json={"events": [good, bad]})
    assert [(e["path"], e["rule"]) for e in response.json()["errors"]] == [
        ("events[1].payload.applicant.id_number", "enterprise_code_format")
    ]


async def test_every_error_of_a_batch_is_listed(client: httpx.AsyncClient) -> None:
    first = item("FeePaid")
    first["payload"]["amount_vnd"] = -1
    second = item("DossierRefused")
    del second["payload"]["reason"]
    response = await client.post(
        "/v1/events", json={"events": [first, item("DossierAccepted"), second, 7]}
    )
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == [
        "events[0].payload.amount_vnd",
        "events[2].payload.reason",
        "events[3]",
    ]


@pytest.mark.parametrize(
    ("body", "path", "rule"),
    [
        ([], "body", "object_type"),
        ({}, "events", "missing"),
        ({"events": {}}, "events", "list_type"),
        ({"events": []}, "events", "batch_size"),
        ({"events": [item("DossierRefused") for _ in range(21)]}, "events", "batch_size"),
        ({"events": [item("DossierRefused")], "source": "HUB"}, "source", "extra_forbidden"),
    ],
)
async def test_batch_shape(client: httpx.AsyncClient, body: Any, path: str, rule: str) -> None:
    response = await client.post("/v1/events", json=body)
    assert response.status_code == 422
    assert (path, rule) in [(e["path"], e["rule"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[" * 50_000 + b"]" * 50_000, "malformed JSON: nested too deeply"),
        (b'{"events": ' + b"9" * 5000 + b"}", "malformed JSON: a number literal is too long"),
    ],
    ids=["deep", "long-number"],
)
async def test_hostile_json_is_400_not_a_crash(
    client: httpx.AsyncClient, body: bytes, detail: str
) -> None:
    headers = {"Content-Type": "application/json"}
    response = await client.post("/v1/events", content=body, headers=headers)
    assert (response.status_code, response.json()["detail"]) == (400, detail)


async def test_a_long_error_list_is_capped_but_counted(client: httpx.AsyncClient) -> None:
    hopeless = {"event_type": "DossierRefused", **{f"field_{n}": n for n in range(15)}}
    response = await client.post("/v1/events", json={"events": [hopeless] * 20})
    body = response.json()
    assert len(body["errors"]) == 200
    # per item: event_id, dossier_id, occurred_at and payload missing, 15 unknown fields
    assert body["detail"] == "380 invalid field(s) (the first 200 are listed); nothing was produced"
