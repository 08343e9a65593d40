"""The "digitised" rule with components reused from the results store (``Document.reused_from``),
through the three KPI folds on real Avro serdes. One agency, six dossiers accepted in March
2025, each case worked out by hand:

* R1: two components, both reused, no result yet: digitised at acceptance (nothing to wait for);
* R2: one reused, one uploaded, result not signed: not digitised (the upload has no signature);
* R3: one reused, one uploaded, result signed: digitised (the upload is signed with the result);
* R4: uploaded only, result signed: digitised (the rule without reuse, unchanged);
* R5: came on paper (no components), nothing to reuse: not digitised;
* R6: both reused and later its result signed: digitised once, not twice.

So dossier digitisation is 4 of 6 received (R1, R3, R4, R6), and result digitisation 3 of the
4 resolved (R3, R4, R6 signed; R2 not).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.kpi import KpiReplay, Rate, indicators_2024
from tests.kpi._province2024 import TARGETS, signed
from tests.kpi._support import DOC, Record, Rig, dossier, procedure, vn

AGENCY, CODE = "SNV", "SNV-R"
VERSIONS = [procedure(CODE, AGENCY, "Sở Nội vụ", "FULL_ONLINE")]
CATALOG = {CODE: VERSIONS[0]}
UPLOADED = DOC | {"document_id": "don"}
REUSED = DOC | {
    "document_id": "cccd", "sha256": "ef" * 32,
    "reused_from": {"dossier_id": "000.00.22.H01-240105-0001", "document_id": "giay-phep"},
}  # fmt: skip
ALSO_REUSED = REUSED | {"document_id": "ho-khau", "sha256": "12" * 32}
#: R1..R6: their components, whether they get a result, whether it is signed (see the docstring)
CASES: dict[str, tuple[list[dict[str, Any]], bool, bool]] = {
    "R1": ([REUSED, ALSO_REUSED], False, False),
    "R2": ([REUSED, UPLOADED], True, False),
    "R3": ([REUSED, UPLOADED], True, True),
    "R4": ([UPLOADED], True, True),
    "R5": ([], False, False),
    "R6": ([REUSED, ALSO_REUSED], True, True),
}


def _events() -> list[Record]:
    events: list[Record] = []
    for n, (dossier_id, (components, result, sign)) in enumerate(CASES.items()):
        accepted = vn(2025, 3, 3 + n)
        result_at = accepted + timedelta(days=1) if result else None
        made = dossier(dossier_id, CATALOG, CODE, "ONLINE", accepted, result_at=result_at)
        name, submitted = made[0]["payload"]
        made[0]["payload"] = (name, submitted | {"documents": components})
        events += made
        if sign and result_at is not None:
            events.append(signed(dossier_id, result_at + timedelta(hours=1)))
    return events


@pytest.fixture(scope="module")
def kpis(rig: Rig) -> KpiReplay:
    return rig.compute(_events(), VERSIONS)


def test_reused_components_count_as_signed(kpis: KpiReplay) -> None:
    d = kpis.dossiers
    digitised = {k for k, r in d.items() if r["dossier_digitised"]}
    assert digitised == {"R1", "R3", "R4", "R6"}
    assert {k for k, r in d.items() if r["components_reused"]} == {"R1", "R6"}
    assert (d["R1"]["results_signed"], d["R6"]["results_signed"]) == (False, True)


def test_the_rates_with_reuse(kpis: KpiReplay) -> None:
    march = kpis.snapshots[f"{AGENCY}|2025-03"]
    assert (march["dossiers_digitised"], march["results_signed"]) == (4, 3)  # R6 counted once
    rows, _ = indicators_2024(kpis, "2025-03", TARGETS)
    (row,) = rows
    assert row.dossier_digitisation.rate == Rate(4, 6)
    assert row.result_digitisation.rate == Rate(3, 4)


def test_all_reused_counts_in_the_week_it_was_received(kpis: KpiReplay) -> None:
    # R1 accepted Monday 3 March (week 10) and never resolved: digitised in week 10 all the same
    week = kpis.snapshots[f"{AGENCY}|2025-W10"]
    assert kpis.dossiers["R1"]["received_at"] == vn(2025, 3, 3)
    assert week["dossiers_digitised"] == 4  # R1 (3 Mar) R3 (5 Mar) R4 (6 Mar) R6 (8 Mar)
