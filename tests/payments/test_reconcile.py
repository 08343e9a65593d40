"""Reconciliation against hand-computed mismatches: every kind, and every kind of bad row.

Pure (no Kafka): a provider file as bytes, the hub's PaymentStates as records. The live run
(states read from the topic, mismatches produced with the ack) is in test_workers.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.payments import (
    COLUMNS,
    ConfigError,
    ReconciliationReport,
    StatementError,
    mismatch_id,
    parse_statement,
    read_statement,
    reconcile,
    render_report,
    run_reconciliation,
)
from hub.records import Payment, PaymentState, PaymentStatus

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
HEADER = ",".join(COLUMNS)


def vn(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=VN)


def state(
    dossier: str,
    ref: str,
    status: PaymentStatus,
    *,
    amount: int = 200_000,
    transactions: tuple[str, ...] = (),
    paid_at: datetime | None = None,
    paid_amount: int | None = None,
    provider: str = "vnpay",
    refund_reference: str | None = None,
) -> PaymentState:
    """A PaymentState with one payment, as the fold would have left it."""
    payment: Payment = {
        "payment_reference": ref, "fee_request_event_id": f"ev-{ref}", "amount_vnd": amount,
        "fee_lines": [], "provider": provider, "beneficiary_account": "1", "status": status,
        "payment_url": None,
        "provider_transaction_id": transactions[0] if transactions else None,
        "requested_at": vn(2, 8), "paid_at": paid_at,
        "paid_amount_vnd": paid_amount if paid_amount is not None else (
            amount if transactions else None),
        "paid_count": len(transactions), "paid_transactions": list(transactions),
        "refund_reference": refund_reference, "refunded_at": None, "status_queries": 0,
        "next_query_at": None,
    }  # fmt: skip
    return {"dossier_id": dossier, "agency_code": "STP", "payments": [payment],
            "dossier_status": "PROCESSING", "status_before_fee": None, "seen_events": b"",
            "version": 3, "updated_at": vn(2, 8)}  # fmt: skip


HUB = [
    state("D1", "R1", "PAID", transactions=("T1",), paid_at=vn(2, 10)),
    state("D2", "R2", "PAID", transactions=("T2",), paid_at=vn(2, 11)),
    state("D3", "R3", "CREATED", amount=100_000),
    state("D5", "R5", "PAID", amount=300_000, transactions=("T5",), paid_at=vn(2, 12)),
    state("D6", "R6", "PAID", transactions=("T6",), paid_at=vn(2, 13)),
    state("D7", "R7", "PAID", transactions=("T7",), paid_at=vn(1, 9)),
    state("D8", "R8", "REFUND_REQUESTED", transactions=("T8",), paid_at=vn(1, 9),
          refund_reference="RF8"),
    state("D10", "R10", "PAID", transactions=("P10",), paid_at=vn(2, 9), provider="paygov"),
    state("D11", "R11", "PAID", transactions=("T11",), paid_at=vn(2, 23, 59, 30)),
    state("D12", "R12", "FAILED"),
]  # fmt: skip

GOOD = f"""{HEADER}
vnpay,T1,R1,200000,PAYMENT,2026-03-02T10:00:05+07:00
vnpay,T3,R3,100000,PAYMENT,2026-03-02T10:30:00+07:00
vnpay,T4,RX,50000,PAYMENT,2026-03-02T03:40:00Z
vnpay,T5,R5,310000,PAYMENT,2026-03-02T12:00:00+07:00
vnpay,T6,R6,200000,PAYMENT,2026-03-02T13:00:00+07:00
vnpay,T6B,R6,200000,PAYMENT,2026-03-02T13:01:00+07:00
vnpay,TR7,R7,200000,REFUND,2026-03-02T14:00:00+07:00
vnpay,TR8,RF8,200000,REFUND,2026-03-02T14:10:00+07:00
vnpay,T9,R1,200000,PAYMENT,2026-03-01T23:59:00+07:00
vnpay,T11,R11,200000,PAYMENT,2026-03-03T00:00:10+07:00
vnpay,T12,R12,150000,PAYMENT,2026-03-02T15:00:00+07:00
"""


def run(text: str | bytes, states: list[PaymentState] = HUB) -> ReconciliationReport:
    data = text.encode() if isinstance(text, str) else text
    return reconcile(parse_statement(data), states, provider="vnpay", day=DAY, detected_at=NOW)


def test_every_mismatch_kind_hand_computed() -> None:
    report = run(GOOD)
    found = [(m.line, m.kind, m.payment_reference, m.dossier_id, m.provider_transaction_ids,
              m.provider_amount_vnd, m.hub_amount_vnd, m.hub_status)
             for m in report.mismatches]  # fmt: skip
    assert found == [
        (3, "MISSING_IN_HUB", "R3", "D3", ("T3",), 100_000, 100_000, "CREATED"),
        (4, "MISSING_IN_HUB", "RX", None, ("T4",), 50_000, None, None),
        (5, "AMOUNT_MISMATCH", "R5", "D5", ("T5",), 310_000, 300_000, "PAID"),
        (7, "PAID_TWICE", "R6", "D6", ("T6", "T6B"), 400_000, 200_000, "PAID"),
        (8, "UNKNOWN_REFUND", "R7", "D7", ("TR7",), 200_000, None, "PAID"),
        # the provider paid R12 with another amount than asked: an amount mismatch says more
        (12, "AMOUNT_MISMATCH", "R12", "D12", ("T12",), 150_000, 200_000, "FAILED"),
        (None, "MISSING_AT_PROVIDER", "R2", "D2", ("T2",), None, 200_000, "PAID"),
    ]
    assert report.counts() == {
        "MISSING_IN_HUB": 2, "MISSING_AT_PROVIDER": 1, "AMOUNT_MISMATCH": 2, "PAID_TWICE": 1,
        "UNKNOWN_REFUND": 1,
    }  # fmt: skip
    assert report.rows == 11
    assert report.compared == 9  # T9 (1 March) and T11 (3 March, Vietnam time) are other days
    assert report.outside_day == 2
    assert report.matched == 3  # T1, T6 (its pair is flagged at T6B's line), TR8
    # hub payments of vnpay paid on 2 March: R1, R2, R5, R6, R11 (R10 is paygov's, R7/R8 1 March)
    assert report.hub_paid == 5
    assert report.bad_rows == ()
    assert not report.clean
    r2 = report.mismatches[-1]
    assert r2.mismatch_id == mismatch_id("vnpay", DAY, "MISSING_AT_PROVIDER", "R2", ["T2"])
    assert r2.occurred_at == vn(2, 11)


def test_mismatch_ids_are_the_same_when_the_file_is_reconciled_again() -> None:
    first, second = run(GOOD), run(GOOD)
    assert [m.mismatch_id for m in first.mismatches] == [m.mismatch_id for m in second.mismatches]
    assert len({m.mismatch_id for m in first.mismatches}) == len(first.mismatches)


def test_a_clean_day() -> None:
    text = f"{HEADER}\nvnpay,T1,R1,200000,PAYMENT,2026-03-02T10:00:05+07:00\n"
    report = run(text, [HUB[0]])
    assert report.clean
    assert report.matched == report.compared == report.hub_paid == 1


def test_the_hub_knew_it_was_paid_twice_and_the_provider_shows_the_second() -> None:
    hub = [state("D6", "R6", "PAID", transactions=("T6", "T6B"), paid_at=vn(1, 13))]
    text = f"{HEADER}\nvnpay,T6B,R6,200000,PAYMENT,2026-03-02T09:00:00+07:00\n"
    [mismatch] = run(text, hub).mismatches
    assert mismatch.kind == "PAID_TWICE"
    assert mismatch.provider_transaction_ids == ("T6", "T6B")


def test_a_second_refund_is_unknown() -> None:
    hub = [state("D8", "R8", "REFUNDED", transactions=("T8",), paid_at=vn(1, 9),
                 refund_reference="RF8")]  # fmt: skip
    text = (f"{HEADER}\nvnpay,TR8,R8,200000,REFUND,2026-03-02T09:00:00+07:00\n"
            "vnpay,TR8B,RF8,200000,REFUND,2026-03-02T09:05:00+07:00\n")  # fmt: skip
    [mismatch] = run(text, hub).mismatches
    assert (mismatch.kind, mismatch.line, mismatch.detail) == (
        "UNKNOWN_REFUND",
        3,
        "a second refund of this payment at the provider",
    )


def test_a_refund_of_another_amount() -> None:
    hub = [state("D8", "R8", "REFUND_REQUESTED", transactions=("T8",), paid_at=vn(1, 9),
                 refund_reference="RF8")]  # fmt: skip
    text = f"{HEADER}\nvnpay,TR8,RF8,150000,REFUND,2026-03-02T09:00:00+07:00\n"
    [mismatch] = run(text, hub).mismatches
    assert (mismatch.kind, mismatch.provider_amount_vnd, mismatch.hub_amount_vnd) == (
        "AMOUNT_MISMATCH",
        150_000,
        200_000,
    )


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_reconciled() -> None:
    lines = [
        HEADER,
        "vnpay,T1,R1,200000,PAYMENT,2026-03-02T10:00:05+07:00",  # 2: good
        "paygov,P1,R1,200000,PAYMENT,2026-03-02T10:00:05+07:00",  # 3: another provider
        "vnpay,T20,R20,12a,PAYMENT,2026-03-02T10:00:00+07:00",  # 4: amount
        "vnpay,T21,R21,-5,PAYMENT,2026-03-02T10:00:00+07:00",  # 5: negative
        "vnpay,T22,R22,0,PAYMENT,2026-03-02T10:00:00+07:00",  # 6: zero
        "vnpay,T23,R23,1000,CHARGEBACK,2026-03-02T10:00:00+07:00",  # 7: kind
        "vnpay,T24,R24,1000,PAYMENT,2026-03-02T10:00:00",  # 8: no offset
        "vnpay,T25,R25,1000,PAYMENT,02/03/2026 10:00",  # 9: not ISO
        "vnpay,T26,R26,1000,PAYMENT",  # 10: five fields
        "",  # 11: empty
        "vnpay,T1,R1,200000,PAYMENT,2026-03-02T10:00:05+07:00",  # 12: repeats line 2
        "vnpay,T27,R 27/ĐB,1000,PAYMENT,2026-03-02T10:00:00+07:00",  # 13: reference
        "vnpay,T 28,R28,1000,PAYMENT,2026-03-02T10:00:00+07:00",  # 14: transaction id
        'vnpay,"T29,R29,1000,PAYMENT,2026-03-02T10:00:00+07:00',  # 15: open quote
        "VNPAY!,T30,R30,1000,PAYMENT,2026-03-02T10:00:00+07:00",  # 16: provider name
        "vnpay,T31,R31,1000,PAYMENT,2026-03-02T10:00:00+07:00,extra",  # 17: seven fields
    ]
    data = "\r\n".join(lines).encode() + b"\r\n"
    data += b"vnpay,T32,R32,1000,PAYMENT,2026-03-02T10:00:00+07:00,\xff\xfe\n"  # 18: not UTF-8
    data += b"vnpay,T33,R33,1000,PAYMENT,2026-03-02T10:00:00+07:00"  # 19: no final \n
    report = run(data, [HUB[0]])
    assert [b.line for b in report.bad_rows] == list(range(3, 19))
    reasons = {b.line: b.reason for b in report.bad_rows}
    assert reasons[3] == "provider 'paygov' in a file of 'vnpay'"
    assert "amount_vnd '12a'" in reasons[4]
    assert "amount_vnd '0'" in reasons[6]
    assert "kind 'CHARGEBACK'" in reasons[7]
    assert reasons[8] == "occurred_at has no UTC offset"
    assert "not an ISO 8601 instant" in reasons[9]
    assert reasons[10] == "5 fields, expected 6"
    assert reasons[11] == "empty line"
    assert reasons[12] == "transaction_id repeats line 2"
    assert "payment_reference" in reasons[13]
    assert "transaction_id" in reasons[14]
    assert reasons[17] == "7 fields, expected 6"
    assert reasons[18] == "not UTF-8 text, or not one CSV record"
    # the good rows still count: T1 matches, T33 (line 19) is unknown to the hub
    [unknown] = report.mismatches
    assert (unknown.kind, unknown.line, unknown.payment_reference) == ("MISSING_IN_HUB", 19, "R33")
    assert report.matched == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file: no header"),
        (b"provider,transaction_id,payment_reference,amount,kind,occurred_at\n",
         f"the header must be {HEADER}"),
        (b"vnpay,T1,R1,200000,PAYMENT,2026-03-02T10:00:05+07:00\n", f"the header must be {HEADER}"),
    ],
)  # fmt: skip
def test_a_file_without_the_header_is_one_bad_row(data: bytes, reason: str) -> None:
    report = run(data)
    assert [(b.line, b.reason) for b in report.bad_rows] == [(1, reason)]
    assert report.rows == 0


def test_a_bom_and_crlf_are_accepted(tmp_path: Any) -> None:
    path = tmp_path / "vnpay-20260302.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    statement = read_statement(path)
    assert statement.bad_rows == ()
    assert len(statement.rows) == 11
    assert statement.rows[0].occurred_at == vn(2, 10, 0, 5)
    assert statement.rows[2].day == DAY  # 03:40Z is 10:40 in Vietnam
    with pytest.raises(StatementError):
        read_statement(tmp_path / "missing.csv")


def test_a_provider_the_hub_does_not_know_is_refused_before_anything_is_read(
    tmp_path: Any,
) -> None:
    from hub.settings import Settings

    with pytest.raises(ConfigError, match="provider"):
        run_reconciliation(Settings(), DAY, "momo", tmp_path / "missing.csv")


def test_the_report_as_csv_json_and_table() -> None:
    lines = GOOD.splitlines()
    report = run("\n".join([*lines, "vnpay,T40,R40,abc,PAYMENT,2026-03-02T10:00:00+07:00"]) + "\n")
    out = io.StringIO(newline="")
    render_report(report, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["kind"] for r in rows] == [m.kind for m in report.mismatches] + ["BAD_ROW"]
    assert rows[3]["provider_transaction_ids"] == "T6 T6B"
    assert rows[-1]["line"] == "13"
    assert rows[0]["occurred_at"] == "2026-03-02T10:30:00+07:00"
    out = io.StringIO()
    render_report(report, "json", out)
    doc = json.loads(out.getvalue())
    assert doc["day"] == "2026-03-02"
    assert doc["summary"]["mismatches"] == report.counts()
    assert doc["summary"]["bad_rows"] == 1
    assert [m["mismatch_id"] for m in doc["mismatches"]] == [
        m.mismatch_id for m in report.mismatches
    ]
    out = io.StringIO()
    render_report(report, "table", out)
    text = out.getvalue()
    assert "Reconciliation vnpay 2026-03-02" in text
    assert "PAID_TWICE" in text
    assert "Bad rows" in text
    assert "310,000" in text
    with pytest.raises(ValueError, match="format"):
        render_report(report, "xml", out)  # type: ignore[arg-type]
