"""The audit's rules on records built by hand, no broker: what each kind of finding means at a
partner, in the KPIs and in a dead letter. The stack tests (``test_audit``) plant the same
defects on real topics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from hub.audit import PartnerCall
from hub.audit._commands import Commands
from hub.audit._deadletters import _problems
from hub.audit._kpi import compare
from hub.audit._log import Stored
from hub.audit._partners import check_partner
from hub.audit._sla import judge_alerts
from hub.audit._states import JudgedEvents, judge_events
from hub.processing import Message
from hub.records import DossierState
from hub.sla import alert_id

D = "000.00.22.H01-260302-00001"


def _commands(*keys: str) -> Commands:
    """One dossier's commands (ids c-<key>), each with one ACCEPTED outcome at ``national``."""
    by_id = {f"c-{k}": {"command_type": "NATIONAL_DOSSIER_SYNC", "idempotency_key": k}
             for k in keys}  # fmt: skip
    outcomes = {cid: {f"o-{cid}": {"partner": "national", "outcome": "ACCEPTED",
                                   "dossier_id": D}} for cid in by_id}  # fmt: skip
    return Commands(by_id, {D: list(by_id)}, outcomes, (), ())


@dataclass(frozen=True)
class Ledger:
    calls: tuple[str, ...]
    partner: str = "national"
    command_types: frozenset[str] = frozenset({"NATIONAL_DOSSIER_SYNC"})
    ordered: bool = True

    def key_of(self, idempotency_key: str) -> str:
        return idempotency_key

    def applied(self) -> Sequence[PartnerCall]:
        return [PartnerCall(k, D, "NATIONAL_DOSSIER_SYNC") for k in self.calls]


def _kinds(ledger: Ledger, commands: Commands) -> dict[str, int]:
    row = check_partner(ledger, commands)
    return {kind: row.count(kind) for kind in ("lost", "duplicated", "disagreeing")}


def test_each_accepted_command_applied_once_in_order_is_clean() -> None:
    assert check_partner(Ledger(("a", "b", "c")), _commands("a", "b", "c")).clean


def test_the_partner_side_finds_each_kind() -> None:
    commands = _commands("a", "b", "c")
    assert _kinds(Ledger(("a", "c")), commands) == {"lost": 1, "duplicated": 0, "disagreeing": 0}
    twice = Ledger(("a", "b", "b", "c"))
    assert _kinds(twice, commands) == {"lost": 0, "duplicated": 1, "disagreeing": 0}
    stranger = Ledger(("a", "b", "c", "x"))
    assert _kinds(stranger, commands) == {"lost": 0, "duplicated": 0, "disagreeing": 1}
    swapped = Ledger(("a", "c", "b"))
    assert _kinds(swapped, commands) == {"lost": 0, "duplicated": 0, "disagreeing": 1}
    assert check_partner(Ledger(("a", "c", "b"), ordered=False), commands).clean


def test_a_kpi_counter_lower_is_lost_higher_duplicated_other_disagreeing() -> None:
    replayed = {"STP|2026-03": {"received_full_online": 4, "full_online_ratio": 0.5}}
    lower = {"STP|2026-03": {"received_full_online": 3, "full_online_ratio": 0.5}}
    higher = {"STP|2026-03": {"received_full_online": 5, "full_online_ratio": 0.5}}
    ratio = {"STP|2026-03": {"received_full_online": 4, "full_online_ratio": 0.4}}
    assert [f.kind for f in compare("snapshot", lower, replayed)] == ["lost"]
    assert [f.kind for f in compare("snapshot", higher, replayed)] == ["duplicated"]
    assert [f.kind for f in compare("snapshot", ratio, replayed)] == ["disagreeing"]
    assert [f.kind for f in compare("snapshot", {}, replayed)] == ["lost"]
    assert compare("snapshot", replayed, replayed) == []


def _letter(**fields: object) -> dict[str, object]:
    return {"dead_letter_id": "d-1", "processor": "portal", "source_topic": "",
            "source_partition": None, "source_offset": None, "original_value": b"{",
            "reason_code": "VALIDATION_FAILED", "reason": "bad JSON", **fields}  # fmt: skip


def test_a_dead_letter_says_why_keeps_the_bytes_and_names_its_source() -> None:
    assert _problems(_letter(), None) == [], "an HTTP request has no topic and no offset"
    on_topic = _letter(source_topic="t", source_partition=0, source_offset=7)
    assert _problems(on_topic, b"{") == []
    assert [f.kind for f in _problems({**on_topic, "original_value": b""}, b"{")] == ["lost"]
    assert _problems({**on_topic, "original_value": b""}, b"") == [], "a tombstone set aside"
    assert [f.kind for f in _problems(on_topic, b"other")] == ["disagreeing"]
    assert [f.kind for f in _problems(_letter(source_topic="t"), None)] == ["disagreeing"]
    assert [f.kind for f in _problems(_letter(reason=""), None)] == ["disagreeing"]


END = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def _ended(status: str) -> dict[str, DossierState]:
    """Dossier D, handling ended (``status``) at END."""
    started = END - timedelta(days=9)
    history = [{"from_status": None, "to_status": "SUBMITTED", "occurred_at": started},
               {"from_status": "PROCESSING", "to_status": status, "occurred_at": END}]  # fmt: skip
    return {D: cast(DossierState, {"history": history})}


def _alert(kind: str, due: datetime, offset: int = 0, given: str | None = None) -> Stored:
    record = {"alert_id": given or alert_id(D, kind, due), "dossier_id": D, "kind": kind,
              "due_at": due}  # fmt: skip
    return Stored(Message(b"", D.encode(), "sla.alerts", 0, offset), record)


def test_an_alert_is_judged_by_its_id_and_by_when_the_dossier_ended() -> None:
    later, earlier = END + timedelta(hours=1), END - timedelta(hours=1)
    ready = _ended("RESULT_READY")
    assert judge_alerts([_alert("OVERDUE", earlier)], ready) == []
    assert [f.kind for f in judge_alerts([_alert("OVERDUE", later)], ready)] == ["disagreeing"]
    assert [f.kind for f in judge_alerts([_alert("OVERDUE", END)], ready)] == ["disagreeing"]
    assert judge_alerts([_alert("DUE_SOON", later)], ready) == [], "raised ahead of its instant"
    assert judge_alerts([_alert("EXPLANATION_OVERDUE", later)], ready) == []
    stopped = _ended("STOPPED")
    assert [f.kind for f in judge_alerts([_alert("EXPLANATION_OVERDUE", later)], stopped)] == [
        "disagreeing"
    ]
    twice = [_alert("OVERDUE", earlier), _alert("OVERDUE", earlier, offset=1)]
    assert judge_alerts(twice, ready) == [], "the same alert again: a redelivery"
    forged = _alert("OVERDUE", earlier, given="7b0d5c4e-0000-5000-8000-000000000000")
    assert [f.kind for f in judge_alerts([forged], ready)] == ["disagreeing"]
    assert [f.kind for f in judge_alerts([_alert("OVERDUE", earlier)], {})] == ["disagreeing"]


def _fee_paid(cause: str | None, amount: int = 150_000) -> tuple[str, dict[str, object]]:
    event: dict[str, object] = {"event_id": "fee-paid-1", "event_type": "FEE_PAID", "dossier_id": D,
             "payload": {"payment_reference": f"{D}-F1", "amount_vnd": amount},
             "causation_id": cause}  # fmt: skip
    return "dossier.events[0]@0", event


def test_one_fact_from_two_paths_is_no_double_the_same_event_again_is_a_redelivery() -> None:
    callback, query = _fee_paid(None), _fee_paid("query-command-1")
    assert judge_events([callback, query]) == JudgedEvents([], 1, 0)
    assert judge_events([query, callback]) == JudgedEvents([], 1, 0)
    # a publisher killed between its publish and its commit publishes the same event again
    assert judge_events([callback, callback, callback]) == JudgedEvents([], 0, 2)
    other = judge_events([callback, _fee_paid("query-command-1", amount=1)])
    assert [f.kind for f in other.findings] == ["disagreeing"]
    again = judge_events([callback, _fee_paid(None, amount=1)])
    assert [f.kind for f in again.findings] == ["disagreeing"]
