"""B-LT signatures stay verifiable when the CA's OCSP/CRL services are gone; B-T do not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from signing import (
    SignatureLevel,
    SigningConfig,
    TimestampConfig,
    TrustConfig,
    sign_document,
    verify,
)
from signing.testing import running_test_pki, sample_pdf


@dataclass(frozen=True)
class SignedBeforeShutdown:
    documents: dict[SignatureLevel, bytes]
    trust: TrustConfig


@pytest.fixture(scope="module")
def signed_then_pki_gone(tmp_path_factory: pytest.TempPathFactory) -> SignedBeforeShutdown:
    """Sign with a private PKI, then shut its HTTP services (TSA, OCSP, CRL) down."""
    with running_test_pki(tmp_path_factory.mktemp("short-lived-pki")) as pki:
        config = SigningConfig(
            pki.pkcs12_key_source(), pki.trust_config(), TimestampConfig(pki.tsa_url)
        )
        documents = {
            level: sign_document(
                sample_pdf(), media_type="application/pdf", level=level, config=config
            ).content
            for level in (SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT)
        }
        return SignedBeforeShutdown(documents, pki.trust_config())


def test_b_lt_verifies_from_embedded_revocation_info(
    signed_then_pki_gone: SignedBeforeShutdown,
) -> None:
    signed = signed_then_pki_gone.documents[SignatureLevel.PADES_B_LT]
    report = verify(signed, trust=signed_then_pki_gone.trust)
    assert report.valid, report


def test_b_t_revocation_is_unknown_without_the_services(
    signed_then_pki_gone: SignedBeforeShutdown,
) -> None:
    signed = signed_then_pki_gone.documents[SignatureLevel.PADES_B_T]
    report = verify(signed, trust=signed_then_pki_gone.trust)
    checks = {c.name: c for c in report.signatures[0].checks}
    assert not report.valid
    assert checks["integrity"].passed
    assert checks["chain"].passed
    assert not checks["revocation"].passed
    assert "revocation status unknown" in checks["revocation"].detail
