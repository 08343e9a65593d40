"""End-to-end demo: ``python -m signing._demo [OUTPUT_DIR]``.

Starts the loopback test PKI, puts the agency key into a throwaway SoftHSM
token, signs a sample result PDF as PAdES B-T with the key in the token, and
prints the verification report. Everything lives in a temp dir unless
OUTPUT_DIR is given (then the signed PDF and root certificate are kept there,
ready for ``dvchub verify``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from ._models import SignatureLevel, SigningConfig, TimestampConfig
from ._pki_testing import running_test_pki, sample_pdf
from ._report import render_report
from ._signer import sign_document
from ._softhsm import provision_softhsm_token
from ._verify import verify


def main(argv: list[str]) -> int:
    console = Console()
    keep = Path(argv[0]) if argv else None
    with (
        tempfile.TemporaryDirectory(prefix="signing-demo-") as temp,
        running_test_pki(Path(temp) / "pki") as pki,
    ):
        console.print(f"test PKI (TSA, OCSP, CRL) at {pki.base_url}")
        token = provision_softhsm_token(
            Path(temp) / "softhsm",
            private_key_pkcs8_der=pki.private_key_pkcs8_der("agency-hsm"),
            certificate=pki.certificate("agency-hsm"),
            ca_certificates=[pki.certificate("interm"), pki.certificate("root")],
        )
        console.print(f"SoftHSM token '{token.token_label}' holds key '{token.key_label}'")
        config = SigningConfig(token.key_source(), pki.trust_config(), TimestampConfig(pki.tsa_url))
        signed = sign_document(
            sample_pdf(),
            media_type="application/pdf",
            level=SignatureLevel.PADES_B_T,
            config=config,
        )
        report = verify(signed.content, trust=pki.trust_config())
        render_report(report, console)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "ket-qua.signed.pdf").write_bytes(signed.content)
            shutil.copy(pki.root_cert_path, keep / "root.cert.pem")
            console.print(f"kept {keep}/ket-qua.signed.pdf and {keep}/root.cert.pem")
    return 0 if report.valid else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
