"""The pure status machine, exhaustively: every event type x every status (no Kafka)."""

from __future__ import annotations

import copy
import io
import itertools
import random
from datetime import UTC, datetime
from typing import Any, cast

import fastavro
import pytest

from hub.dossier import EVENT_TYPES, STATUSES, TRANSITIONS, DossierEvent
from hub.lifecycle import Rejection, is_duplicate
from hub.lifecycle import apply as apply_event
from hub.lifecycle._replay import Difference, compare
from hub.sample import PROCEDURES, sample_events
from hub.serde import load_schema
from tests.lifecycle._support import chain, make_event, procedure_record

CATALOG = {p.code: procedure_record(p.code, p.agency_code, p.level) for p in PROCEDURES}
PROC = procedure_record("1.004227", "STP", "FULL_ONLINE")

# The brief / DOMAIN.md §2, written out independently of hub.dossier.TRANSITIONS.
S, A, R, P, SR, FR, W, ST, RR, RT = (
    "SUBMITTED", "ACCEPTED", "REFUSED", "PROCESSING", "SUPPLEMENT_REQUESTED", "FEE_REQUESTED",
    "WITHDRAWN", "STOPPED", "RESULT_READY", "RESULT_RETURNED",
)  # fmt: skip
EXPECTED_MOVES: dict[tuple[str, str | None], str] = {
    ("DOSSIER_SUBMITTED", None): S,
    ("DOSSIER_ACCEPTED", S): A, ("DOSSIER_REFUSED", S): R, ("FEE_REQUESTED", S): FR,
    ("PROCESSING_STEP_RECORDED", A): P, ("FEE_REQUESTED", A): FR,
    ("PROCESSING_STEP_RECORDED", P): P, ("SUPPLEMENT_REQUESTED", P): SR, ("FEE_REQUESTED", P): FR,
    ("PROCESSING_STOPPED", P): ST, ("RESULT_READY", P): RR,
    ("SUPPLEMENT_RECEIVED", SR): P, ("DOSSIER_WITHDRAWN", SR): W, ("PROCESSING_STOPPED", SR): ST,
    ("FEE_PAID", FR): P,  # this path's fee step came from PROCESSING
    ("DOSSIER_WITHDRAWN", FR): W, ("PROCESSING_STOPPED", FR): ST,
    ("RESULT_RETURNED", RR): RT,
}  # fmt: skip
NON_TERMINAL = (S, A, P, SR, FR, RR)
EXPECTED_RECORDED: dict[str, tuple[str, ...]] = {
    "RESULT_SIGNED": (RR,), "RESULT_SIGNING_FAILED": (RR,),
    "APOLOGY_ISSUED": (A, P, SR, FR),
    # partner facts arrive late or out of order (a callback after the result was returned, a
    # refund after a refusal): recorded in every status
    "POSTAL_ORDER_CREATED": tuple(STATUSES), "POSTAL_STATUS_CHANGED": tuple(STATUSES),
    "PAYMENT_REQUEST_CREATED": tuple(STATUSES), "PAYMENT_FAILED": tuple(STATUSES),
    "PAYMENT_REFUNDED": tuple(STATUSES),
    "NATIONAL_SYNC_COMPLETED": tuple(STATUSES), "NATIONAL_SYNC_FAILED": tuple(STATUSES),
    # an explanation of a late dossier: once its clock started, a late result explained after it;
    # never after a refusal, withdrawal or stop (not late: DOMAIN.md §3, hub.sla)
    "EXPLANATION_RECORDED": (A, P, SR, FR, RR, RT),
    # acceptance anywhere: the dossier travels desk -> agency (or agency -> agency) while no
    # result exists, the result agency -> desk before it is returned
    "DOSSIER_FORWARDED": (S, A, P, SR, FR), "DOSSIER_RECEIVED_BY_AGENCY": (S, A, P, SR, FR),
    "AGENCY_TRANSFERRED": (S, A, P, SR, FR),
    "RESULT_FORWARDED": (RR,), "RESULT_RECEIVED_BY_DESK": (RR,),
    # a satisfaction rating judges handling as a whole: once it ended (hub.kpi._ratings)
    "SATISFACTION_RATED": (R, W, ST, RT),
}  # fmt: skip
EXPECTED: dict[tuple[str, str | None], str] = {
    **EXPECTED_MOVES,
    **{(t, s): s for t, legal in EXPECTED_RECORDED.items() for s in legal},
}

PATHS: dict[str | None, tuple[str, ...]] = {
    None: (),
    S: ("DOSSIER_SUBMITTED",),
    A: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED"),
    R: ("DOSSIER_SUBMITTED", "DOSSIER_REFUSED"),
    P: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED"),
    SR: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED",
         "SUPPLEMENT_REQUESTED"),
    FR: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "FEE_REQUESTED"),
    W: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "SUPPLEMENT_REQUESTED",
        "DOSSIER_WITHDRAWN"),
    ST: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "PROCESSING_STOPPED"),
    RR: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "RESULT_READY"),
    RT: ("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "RESULT_READY",
         "RESULT_RETURNED"),
}  # fmt: skip


def apply(
    state: dict[str, Any] | None, event: dict[str, Any], procedure: dict[str, Any] | None
) -> dict[str, Any] | Rejection:
    """The lifecycle's rules on ``event`` as the kernel hands it over (typed)."""
    # the tests build states as plain dicts: DossierState records to the rules
    typed = apply_event(cast(Any, state), DossierEvent.from_record(event), procedure)
    return cast("dict[str, Any] | Rejection", typed)


def fold(
    events: list[dict[str, Any]], catalog: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    catalog = CATALOG | {"1.004227": PROC} if catalog is None else catalog
    state: dict[str, Any] | None = None
    for event in events:
        payload = event["payload"][1]
        code = payload.get("procedure_code") or (state or {}).get("procedure_code")
        result = apply(state, event, catalog.get(code) if code else None)
        assert not isinstance(result, Rejection), (event["event_type"], result)
        state = result
    return state


def state_at(status: str | None) -> dict[str, Any] | None:
    state = fold(chain("HS-1", *PATHS[status]))
    assert (state or {}).get("status") == status or status is None
    return state


def test_table_is_exactly_the_documented_machine() -> None:
    assert set(EVENT_TYPES) == {t for t, _ in TRANSITIONS}
    assert {k: v for k, v in TRANSITIONS.items() if k[0] != "FEE_PAID"} == {
        k: v for k, v in EXPECTED.items() if k[0] != "FEE_PAID"
    }
    assert {k for k in TRANSITIONS if k[0] == "FEE_PAID"} == {("FEE_PAID", FR)}


@pytest.mark.parametrize(
    ("event_type", "status"), list(itertools.product(EVENT_TYPES, [None, *STATUSES]))
)
def test_every_event_type_in_every_status(event_type: str, status: str | None) -> None:
    state = state_at(status)
    before = copy.deepcopy(state)
    n = len(PATHS[status])
    event = make_event("HS-1", event_type, n + 1)
    result = apply(state, event, PROC)
    assert state == before, "apply must not mutate its input"
    expected = EXPECTED.get((event_type, status))
    if expected is None:
        assert isinstance(result, Rejection)
        assert result.reason_code == "INVALID_TRANSITION"
        assert event_type in result.reason
        return
    assert not isinstance(result, Rejection), result
    assert result["status"] == expected
    assert result["version"] == n + 1
    assert result["last_event_id"] == event["event_id"]
    assert result["updated_at"] == event["occurred_at"]
    last = result["history"][-1]
    assert (last["event_type"], last["from_status"], last["to_status"]) == (
        event_type, status or "UNKNOWN", expected,
    )  # fmt: skip
    earlier = [h["event_id"] for h in (state or {}).get("history", [])]
    assert [h["event_id"] for h in result["history"][:-1]] == earlier
    assert_encodes(result)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("DOSSIER_SUBMITTED", "FEE_REQUESTED"), A),
        (("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "FEE_REQUESTED"), A),
        (("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "FEE_REQUESTED"), P),
        (("DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED", "PROCESSING_STEP_RECORDED", "FEE_REQUESTED",
          "PAYMENT_REQUEST_CREATED", "PAYMENT_FAILED", "APOLOGY_ISSUED"), P),
    ],
)  # fmt: skip
def test_fee_paid_returns_to_where_the_fee_step_came_from(
    path: tuple[str, ...], expected: str
) -> None:
    state = fold(chain("HS-1", *path, "FEE_PAID"))
    assert state is not None
    assert state["status"] == expected
    assert state["fees_requested_vnd"] == 200_000
    assert state["fees_paid_vnd"] == 200_000
    assert state["paid_online"] is True
    assert state["history"][-1]["to_status"] == expected


def test_recorded_facts_land_in_the_state() -> None:
    extra = ("APOLOGY_ISSUED", "RESULT_READY", "RESULT_SIGNED", "POSTAL_ORDER_CREATED",
             "RESULT_RETURNED", "NATIONAL_SYNC_COMPLETED")  # fmt: skip
    state = fold(chain("HS-1", *PATHS[P], *extra))
    assert state is not None
    assert state["status"] == RT
    assert state["level"] == "FULL_ONLINE", "level comes from the catalogue, not the payload"
    assert state["deadline"]["apology_issued_at"] == datetime(2025, 3, 3, 2, 3, tzinfo=UTC)
    assert state["deadline"]["appointment_at"] == datetime(2025, 3, 20, 2, tzinfo=UTC)
    assert [d["signed_sha256"] for d in state["signed_documents"]] == ["cd" * 32]
    assert [d["document_id"] for d in state["result_documents"]] == ["kq"]
    assert state["return_channel"] == "POSTAL"
    assert state["postal_return"] is True
    assert state["current_department"] == "Phòng Hộ tịch"
    assert state["current_handler"]["official_id"] == "cb-1"
    assert state["applicant_name"] == "Nguyễn Văn An"
    assert state["version"] == len(state["history"]) == 9
    assert "001090000001" not in repr(state)
    assert "0900000000" not in repr(state)
    assert_encodes(state)


def test_second_apology_is_refused() -> None:
    state = fold(chain("HS-1", *PATHS[P], "APOLOGY_ISSUED"))
    again = apply(state, make_event("HS-1", "APOLOGY_ISSUED", 9), PROC)
    assert isinstance(again, Rejection)
    assert again.reason_code == "VALIDATION_FAILED"


def test_explanation_is_a_fact_in_the_history_judged_by_the_sla() -> None:
    # Whether the dossier is late (and explained once) is the SLA's to judge: the lifecycle has
    # no clock, and refusing here an explanation the SLA set aside would refuse the right one.
    state = fold(chain("HS-1", *PATHS[P], "EXPLANATION_RECORDED"))
    assert state is not None
    assert state["history"][-1]["note"] == "Thiếu cán bộ thụ lý"  # the reason, as an apology's
    assert state["status"] == P
    again = apply(state, make_event("HS-1", "EXPLANATION_RECORDED", 9), PROC)
    assert not isinstance(again, Rejection)
    assert [e["event_type"] for e in again["history"][-2:]] == ["EXPLANATION_RECORDED"] * 2


def test_unknown_procedure_is_rejected() -> None:
    result = apply(None, make_event("HS-1", "DOSSIER_SUBMITTED", procedure_code="9.999"), None)
    assert result == Rejection("UNKNOWN_PROCEDURE", "procedure 9.999 is not in the catalogue")


def test_duplicates_are_recognised_by_event_id() -> None:
    events = chain("HS-1", *PATHS[P])
    state: Any = fold(events)  # a DossierState
    assert all(is_duplicate(state, e["event_id"]) for e in events)
    assert not is_duplicate(state, make_event("HS-1", "RESULT_READY")["event_id"])
    assert not is_duplicate(None, events[0]["event_id"])


def test_every_sample_lifecycle_is_legal() -> None:
    by_dossier: dict[str, list[dict[str, Any]]] = {}
    for event in sample_events(300):
        event["event_id"] = str(event["event_id"])
        by_dossier.setdefault(event["dossier_id"], []).append(event)
    finals = [fold(events, CATALOG) for events in by_dossier.values()]
    assert {s["status"] for s in finals if s} <= {R, RT}
    assert all(s and s["version"] == len(by_dossier[s["dossier_id"]]) for s in finals)


def test_random_walks_never_reach_an_undocumented_pair() -> None:
    rng = random.Random(7)
    for walk in range(200):
        state: dict[str, Any] | None = None
        for step in range(25):
            event = make_event(f"HS-{walk}", rng.choice(EVENT_TYPES), step)
            result = apply(state, event, PROC)
            status = None if state is None else state["status"]
            illegal = isinstance(result, Rejection) and result.reason_code == "INVALID_TRANSITION"
            assert illegal == ((event["event_type"], status) not in EXPECTED)
            if not isinstance(result, Rejection):
                state = result


def test_compare_reports_differences() -> None:
    state = fold(chain("HS-1", *PATHS[P]))
    assert state is not None
    assert compare({"HS-1": state}, {"HS-1": copy.deepcopy(state)}) == []
    tampered = {**state, "status": "STOPPED"}
    assert compare({"HS-1": state}, {"HS-1": tampered, "HS-2": state}) == [
        Difference("HS-1", "status: live='PROCESSING' replay='STOPPED'"),
        Difference("HS-2", "only in the replay"),
    ]


_STATE_SCHEMA = fastavro.parse_schema(load_schema("DossierState"))


def assert_encodes(state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, _STATE_SCHEMA, state)
    buffer.seek(0)
    back: Any = fastavro.schemaless_reader(buffer, _STATE_SCHEMA, _STATE_SCHEMA)
    assert back["version"] == state["version"]
    assert back["status"] == state["status"]
