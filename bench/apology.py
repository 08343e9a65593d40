"""Apology letters rendered and signed per second: render alone, sign alone, both (B-B, B-T).

Run standalone: ``python bench/apology.py [--seconds 3]``. It starts the test PKI (certomancer
TSA/OCSP/CRL on 127.0.0.1) in a temp dir and times, in bounded loops with the PKCS#12 agency key
(RSA-2048): rendering the letter (fpdf2, DejaVu subset), signing a rendered letter through
``SigningService`` (what the worker calls: certificate check, PAdES, store), and the worker's
whole write (``ApologyWriter.write``: render, store, sign, the ApologyIssued event).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

# Run as a script, this file's directory is sys.path[0]; put the repository root there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [str(_BENCH_DIR.parent)] + [
    entry for entry in sys.path if Path(entry or ".").resolve() != _BENCH_DIR
]

from bench.signing import Rate, measure_sync  # noqa: E402
from hub.records import SlaAlert  # noqa: E402
from signing import (  # noqa: E402
    LocalDocumentStore,
    SignatureLevel,
    SigningConfig,
    SigningService,
    SignRequest,
    TimestampConfig,
)
from signing._apology import ApologyWriter  # noqa: E402
from signing._apology_pdf import LetterContent, render_letter  # noqa: E402
from signing.testing import running_test_pki  # noqa: E402

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def sample_letter() -> tuple[SlaAlert, LetterContent]:
    alert: SlaAlert = {
        "alert_id": str(uuid.uuid4()), "dossier_id": "H12.34-260601-0001",
        "kind": "APOLOGY_DUE", "agency_code": "STP", "procedure_code": "1.001",
        "due_at": T0 + timedelta(days=2), "raised_at": T0 + timedelta(days=1),
        "working_minutes_left": 510, "handler": None,
        "proposed_appointment_at": T0 + timedelta(days=9),
    }  # fmt: skip
    letter = LetterContent(
        agency_name="Sở Tư pháp tỉnh An Giang", dossier_id=alert["dossier_id"],
        applicant_name="Nguyễn Thị Mai", procedure_name="Cấp phiếu lý lịch tư pháp",
        received_at=T0, original_appointment_at=alert["due_at"],
        reason="Cần xác minh thêm với cơ quan liên quan.",
        new_appointment_at=T0 + timedelta(days=9), place="An Giang",
        issued_at=alert["raised_at"], signer_title="Giám đốc",
    )  # fmt: skip
    return alert, letter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per case")
    budget = min(max(parser.parse_args().seconds, 0.2), 30.0)
    alert, letter = sample_letter()
    rates: list[Rate] = [
        measure_sync("render (fpdf2, DejaVu subset)", lambda: render_letter(letter), budget)
    ]
    with (
        tempfile.TemporaryDirectory(prefix="bench-apology-") as temp,
        running_test_pki(Path(temp) / "pki") as pki,
    ):
        store = LocalDocumentStore(Path(temp) / "store")
        rendered = store.put(render_letter(letter))
        for label, tsa in (("B-B", None), ("B-T, loopback TSA", TimestampConfig(pki.tsa_url))):
            config = SigningConfig(pki.pkcs12_key_source(), pki.trust_config(), tsa)
            service = SigningService(config, store)
            level = SignatureLevel.PADES_B_T if tsa else SignatureLevel.PADES_B_B
            request = SignRequest(alert["dossier_id"], "phieu", rendered, "application/pdf", level)
            writer = ApologyWriter(service, store, timestamped=tsa is not None)
            sign, both = partial(service.sign_result, request), partial(writer.write, alert, letter)
            rates.append(measure_sync(f"sign [{label}]", sign, budget))
            rates.append(measure_sync(f"render+sign [{label}]", both, budget))
    print(f"{'apology letters':<44} {'ops':>7} {'letters/s':>10} {'ms each':>10}")
    for rate in rates:
        each = 1000 / rate.per_second
        print(f"{rate.name:<44} {rate.operations:>7} {rate.per_second:>10.1f} {each:>10.1f}")


if __name__ == "__main__":
    main()
