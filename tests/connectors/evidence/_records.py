"""Sample evidence records for the tests: exchanges as the outbox and the endpoints record them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from connectors.evidence import Direction, Exchange, decode_record, evidence_topic
from hub.settings import Settings
from tests.lifecycle._support import read_all

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
#: A name, ID number and phone as a partner's message may carry them.
NAME, ID_NUMBER, PHONE = "Nguyễn Văn An", "089123456789", "0912345678"


def exchange(
    partner: str, n: int, *, direction: Direction = Direction.OUT, dossier: str | None = None
) -> Exchange:
    """The ``n``-th call with ``partner``: a postal order naming a person, and its answer."""
    dossier_id = dossier or f"000.00.22.H01-260302-{n:05d}"
    request = json.dumps({
        "idempotency_key": f"{partner}-{n}", "dossier_id": dossier_id,
        "receiver": {"full_name": NAME, "phone": PHONE, "id_number": ID_NUMBER},
    }, ensure_ascii=False).encode()  # fmt: skip
    response = json.dumps({"outcome": "ACCEPTED", "reference": f"EE{n:09d}VN"}).encode()
    return Exchange.of(
        partner, direction, f"{partner}-{n}", dossier_id, request, response,
        AT + timedelta(seconds=n),
    )  # fmt: skip


def logged(settings: Settings) -> list[Exchange]:
    """The exchanges in the evidence log, in log order, repeats included."""
    records = [decode_record(r.value) for r in read_all(settings, evidence_topic(settings))]
    return [r for r in records if isinstance(r, Exchange)]
