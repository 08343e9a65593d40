"""A small province for the 2024 indicators and the postal figures, written out by hand.

March 2025 (Vietnam wall clock); default targets (2024's, kept for 2025: 80% digitised, 80% of
eligible procedures full online, 45% paid online) and postal deadlines (pickup 1, return 2
working days from the order); procedure STP-5 declared not eligible for full online.

* SNV: 5 dossiers with documents, results signed for 4: 4/5 digitised, 4/5 signed (exactly
  met); offers 4 full-online procedures of 5 (exactly met).
* STP: 5 dossiers: T1-T3 attached and signed; T4's result has two documents, one signed; T5
  came without documents, its result signed: 3/5 digitised (missed by one), 4/5 signed (met);
  3 full online of 4 eligible (STP-5 not eligible; 3 of 5 if it were).
* UBND-CD: 20 dossiers with a fee, 9 paid online: 45.00% (exactly met).
* UBND-TS: 9 dossiers with a fee, 4 paid online: 44.44% (just missed).
* UBND-LX: VNPost. P1 collected exactly 1 working day after the pickup order and delivered
  exactly 2 after the delivery order (on time, COD 50,000); P2 collected and delivered one
  working day late (COD 30,000, delivered in week 11); P3's delivery failed and went back
  (not counted, no COD). W1 accepted Sunday 9 March 23:59 (week 10), W2 Monday 10 March 00:00
  (week 11).
"""

from __future__ import annotations

from typing import Any

from hub.kpi import DEFAULT_INDICATOR_TARGETS, Targets
from tests.kpi._support import DOC, Record, dossier, event, procedure, vn

NOT_ELIGIBLE = frozenset({"STP-5"})
TARGETS = Targets.parse(DEFAULT_INDICATOR_TARGETS)
MET, MISSED, NONE = "Đạt", "Chưa đạt", "Không đánh giá"
SNV, STP, CD, LX, TS = (
    "Sở Nội vụ",
    "Sở Tư pháp",
    "UBND TP Châu Đốc",
    "UBND TP Long Xuyên",
    ("UBND huyện Tri Tôn"),
)
VERSIONS_2024: list[Record] = [
    *(procedure(f"SNV-{n}", "SNV", SNV, "FULL_ONLINE") for n in range(1, 5)),
    procedure("SNV-5", "SNV", SNV, "PARTIAL_ONLINE"),
    *(procedure(f"STP-{n}", "STP", STP, "FULL_ONLINE") for n in range(1, 4)),
    procedure("STP-4", "STP", STP, "PARTIAL_ONLINE"),
    procedure("STP-5", "STP", STP, "DIRECT_ONLY"),  # not eligible: needs the applicant there
    procedure("CD-F", "UBND-CD", CD, "FULL_ONLINE"),
    procedure("LX-F", "UBND-LX", LX, "FULL_ONLINE"),
    procedure("TS-P", "UBND-TS", TS, "PARTIAL_ONLINE"),
]
CATALOG_2024 = {str(v["procedure_code"]): v for v in VERSIONS_2024}
KQ2 = DOC | {"document_id": "kq2", "sha256": "cd" * 32}


def signed(dossier_id: str, at: Any, document_id: str = "don") -> Record:
    return event(dossier_id, "RESULT_SIGNED", at, document_id=document_id)


def postal(dossier_id: str, event_type: str, at: Any, **payload: Any) -> Record:
    return event(dossier_id, event_type, at, **payload)


def legs(
    dossier_id: str, pickup: tuple[Any, Any], delivery: tuple[Any, Any], cod_vnd: int
) -> list[Record]:
    """A pickup (ordered, collected) and a delivery (ordered, delivered, ``cod_vnd`` collected)."""
    (picked_order, collected), (delivery_order, delivered) = pickup, delivery
    return [
        postal(dossier_id, "POSTAL_ORDER_CREATED", picked_order, direction="INTAKE_PICKUP"),
        postal(dossier_id, "POSTAL_STATUS_CHANGED", collected, direction="INTAKE_PICKUP",
               status="COLLECTED"),
        postal(dossier_id, "POSTAL_ORDER_CREATED", delivery_order, direction="RESULT_DELIVERY",
               cod_amount_vnd=cod_vnd),
        postal(dossier_id, "POSTAL_STATUS_CHANGED", delivered, direction="RESULT_DELIVERY",
               status="DELIVERED"),
    ]  # fmt: skip


def _by_time(events: list[Record], submitted_at: Any = None) -> list[Record]:
    """One dossier's events in the order they happened (a stable sort); ``submitted_at``: when
    it was submitted instead (a postal dossier is submitted before VNPost collects it)."""
    if submitted_at is not None:
        events[0]["occurred_at"] = submitted_at
    return sorted(events, key=lambda e: e["occurred_at"])


def events_2024() -> list[Record]:
    c = CATALOG_2024
    events: list[Record] = []
    result = vn(2025, 3, 4, 10)  # Tue
    # SNV: Mon 3 Mar, results Tue 4 Mar 10:00, signed 11:00 (S5 never)
    for n in range(1, 6):
        events += dossier(f"S{n}", c, "SNV-1", "ONLINE", vn(2025, 3, 3, 9, n), result_at=result)
        if n < 5:
            events.append(signed(f"S{n}", vn(2025, 3, 4, 11)))
    # STP
    for n in range(1, 4):
        events += dossier(f"T{n}", c, "STP-1", "ONLINE", vn(2025, 3, 3, 9, n), result_at=result)
        events.append(signed(f"T{n}", vn(2025, 3, 4, 11)))
    t4 = dossier("T4", c, "STP-1", "ONLINE", vn(2025, 3, 3, 9, 4))
    t4 += [event("T4", "PROCESSING_STEP_RECORDED", vn(2025, 3, 3, 9, 30), kind="STARTED"),
           event("T4", "RESULT_READY", result, documents=[DOC, KQ2]),
           signed("T4", vn(2025, 3, 4, 11))]  # fmt: skip
    events += t4
    events += dossier("T5", c, "STP-1", "ONLINE", vn(2025, 3, 3, 9, 5), documents=False,
                      result_at=result)  # fmt: skip
    events.append(signed("T5", vn(2025, 3, 4, 11)))
    # fees: UBND-CD 9 of 20 paid online, UBND-TS 4 of 9
    for n in range(1, 21):
        method = "ONLINE_BANK" if n <= 9 else "DESK_CASH"
        events += dossier(f"CD{n:02d}", c, "CD-F", "ONLINE", vn(2025, 3, 6, 9, n),
                          fee_paid_by=method)  # fmt: skip
    for n in range(1, 10):
        method = "NATIONAL_PAYMENT_PLATFORM" if n <= 4 else "DESK_CASH"
        events += dossier(f"TS{n}", c, "TS-P", "DIRECT", vn(2025, 3, 6, 9, n), fee_paid_by=method)
    # UBND-LX by post. P1: pickup ordered Mon 08:10, collected Tue 08:10 (due Tue 08:10);
    # delivery ordered Wed 10:30, delivered Fri 10:30 (due Fri 10:30): both on time
    p1 = dossier("P1", c, "LX-F", "POSTAL", vn(2025, 3, 4, 14), result_at=vn(2025, 3, 5, 10))
    p1 += legs("P1", (vn(2025, 3, 3, 8, 10), vn(2025, 3, 4, 8, 10)),
               (vn(2025, 3, 5, 10, 30), vn(2025, 3, 7, 10, 30)), 50_000)  # fmt: skip
    # P2: collected Wed 08:10 (due Tue 08:10), delivered Tue 11 Mar 10:30 (ordered Thu 6 Mar
    # 10:30, due Mon 10 Mar 10:30): each one working day late; a callback repeated (once)
    p2 = dossier("P2", c, "LX-F", "POSTAL", vn(2025, 3, 5, 9), result_at=vn(2025, 3, 6, 10))
    p2 += legs("P2", (vn(2025, 3, 3, 8, 10), vn(2025, 3, 5, 8, 10)),
               (vn(2025, 3, 6, 10, 30), vn(2025, 3, 11, 10, 30)), 30_000)  # fmt: skip
    p2 += [
        postal("P2", "POSTAL_STATUS_CHANGED", vn(2025, 3, 10, 10, 30),
               direction="RESULT_DELIVERY", status="IN_TRANSIT"),
        postal("P2", "POSTAL_STATUS_CHANGED", vn(2025, 3, 11, 10, 31),
               direction="RESULT_DELIVERY", status="DELIVERED"),
    ]  # fmt: skip
    # P3: at the desk, result by post: delivery failed, returned to the agency
    p3 = dossier("P3", c, "LX-F", "DIRECT", vn(2025, 3, 4, 9), result_at=vn(2025, 3, 6, 10))
    p3 += [
        postal("P3", "POSTAL_ORDER_CREATED", vn(2025, 3, 6, 10, 30), direction="RESULT_DELIVERY",
               cod_amount_vnd=20_000),
        postal("P3", "POSTAL_STATUS_CHANGED", vn(2025, 3, 7, 10), direction="RESULT_DELIVERY",
               status="DELIVERY_FAILED"),
        postal("P3", "POSTAL_STATUS_CHANGED", vn(2025, 3, 10, 10), direction="RESULT_DELIVERY",
               status="RETURNED"),
    ]  # fmt: skip
    events += _by_time(p1, vn(2025, 3, 3, 8)) + _by_time(p2, vn(2025, 3, 3, 8)) + _by_time(p3)
    events += dossier("W1", c, "LX-F", "ONLINE", vn(2025, 3, 9, 23, 59))
    events += dossier("W2", c, "LX-F", "ONLINE", vn(2025, 3, 10, 0, 0))
    return events


# Per indicator: rate, target, verdict. Columns: dossier digitisation (digitised / received),
# result digitisation (signed / resolved), full-online procedures (full / eligible offered),
# online payment (paid online / with a fee).
EXPECTED_MARCH = [
    # 4 of 5 digitised and signed: exactly 80%, met; 4 full online of 5 procedures: 80%, met
    ["SNV", "80.00% (4/5)", "80%", MET, "80.00% (4/5)", "80%", MET,
     "80.00% (4/5)", "80%", MET, "- (0/0)", "45%", NONE],
    # T1-T3 digitised (T4: one of its two result documents unsigned; T5: no intake documents):
    # 3/5, one short; T1-T3 and T5 signed: 4/5 met; 3 full of 4 eligible (STP-5 left out)
    ["STP", "60.00% (3/5)", "80%", MISSED, "80.00% (4/5)", "80%", MET,
     "75.00% (3/4)", "80%", MISSED, "- (0/0)", "45%", NONE],
    # 20 received, none resolved; 9 of 20 fees paid online: exactly 45%, met
    ["UBND-CD", "0.00% (0/20)", "80%", MISSED, "- (0/0)", "80%", NONE,
     "100.00% (1/1)", "80%", MET, "45.00% (9/20)", "45%", MET],
    # P1, P2, P3, W1, W2 received; P1-P3 resolved, none signed
    ["UBND-LX", "0.00% (0/5)", "80%", MISSED, "0.00% (0/3)", "80%", MISSED,
     "100.00% (1/1)", "80%", MET, "- (0/0)", "45%", NONE],
    # 4 of 9 paid online: 44.44%, just missed; its one procedure is partial online
    ["UBND-TS", "0.00% (0/9)", "80%", MISSED, "- (0/0)", "80%", NONE,
     "0.00% (0/1)", "80%", MISSED, "44.44% (4/9)", "45%", MISSED],
    # digitised 4+3 = 7 of 5+5+20+5+9 = 44 = 15.909..%; signed 4+4 = 8 of 5+5+3 = 13 =
    # 61.538..%; procedures 4+3+1+1+0 = 9 of 5+4+1+1+1 = 12 = 75%; paid 9+4 = 13 of 29 =
    # 44.827..%
    ["Tổng cộng", "15.91% (7/44)", "80%", MISSED, "61.54% (8/13)", "80%", MISSED,
     "75.00% (9/12)", "80%", MISSED, "44.83% (13/29)", "45%", MISSED],
]  # fmt: skip


# P1: pickup and return each exactly at the deadline (on time); P2: each one working day late;
# P3: delivery failed and returned (not counted). COD: P1 50,000 + P2 30,000.
EXPECTED_POSTAL_MARCH = [
    ["SNV", "0", "- (0/0)", "0", "- (0/0)", "0"],
    ["STP", "0", "- (0/0)", "0", "- (0/0)", "0"],
    ["UBND-CD", "0", "- (0/0)", "0", "- (0/0)", "0"],
    ["UBND-LX", "2", "50.00% (1/2)", "2", "50.00% (1/2)", "80000"],
    ["UBND-TS", "0", "- (0/0)", "0", "- (0/0)", "0"],
    ["Tổng cộng", "2", "50.00% (1/2)", "2", "50.00% (1/2)", "80000"],
]
