"""Unusable signer certificates are refused before anything is signed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from signing import (
    CertificateExpired,
    CertificateNotUsable,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    LocalDocumentStore,
    SignatureLevel,
    SigningConfig,
    SigningFailed,
    SigningService,
    SignRequest,
    TimestampConfig,
    TrustConfig,
    sign_document,
    verify,
)
from signing._keys import open_key_source
from signing._signer import SignedDocument, async_sign_with_key
from signing.testing import TestPKI

REFUSED = [
    ("agency-expired", CertificateExpired, "certificate_expired"),
    ("agency-not-yet-valid", CertificateNotYetValid, "certificate_not_yet_valid"),
    ("agency-revoked", CertificateRevoked, "certificate_revoked"),
]


def _config(pki: TestPKI, label: str) -> SigningConfig:
    return SigningConfig(
        pki.pkcs12_key_source(label), pki.trust_config(), TimestampConfig(pki.tsa_url)
    )


@pytest.mark.parametrize(("label", "error", "reason_code"), REFUSED)
def test_sign_document_raises_typed_error(
    label: str,
    error: type[CertificateNotUsable],
    reason_code: str,
    pki: TestPKI,
    pdf_bytes: bytes,
) -> None:
    with pytest.raises(error) as raised:
        sign_document(
            pdf_bytes,
            media_type="application/pdf",
            level=SignatureLevel.PADES_B_B,
            config=_config(pki, label),
        )
    assert isinstance(raised.value, CertificateNotUsable)
    assert raised.value.reason_code == reason_code


@pytest.mark.parametrize(("label", "error", "reason_code"), REFUSED)
@pytest.mark.parametrize(
    ("media_type", "level"),
    [("application/pdf", SignatureLevel.PADES_B_T), ("text/plain", SignatureLevel.CMS_DETACHED)],
)
def test_service_reports_refusal_and_stores_nothing(
    label: str,
    error: type[CertificateNotUsable],
    reason_code: str,
    media_type: str,
    level: SignatureLevel,
    pki: TestPKI,
    store: LocalDocumentStore,
    pdf_bytes: bytes,
) -> None:
    key = store.put(pdf_bytes)
    outcome = SigningService(_config(pki, label), store).sign_result(
        SignRequest("H1", "doc-1", key, media_type, level)
    )
    assert isinstance(outcome, SigningFailed)
    assert outcome.reason_code == reason_code
    assert outcome.document_id == "doc-1"
    assert len(list(store.root.rglob("*"))) == 2  # the original's directory and file only


def test_revoked_reason_names_the_revocation(pki: TestPKI, pdf_bytes: bytes) -> None:
    with pytest.raises(CertificateRevoked, match="revoked"):
        sign_document(
            pdf_bytes,
            media_type="application/pdf",
            level=SignatureLevel.PADES_B_B,
            config=_config(pki, "agency-revoked"),
        )


def test_certificate_from_another_root_is_untrusted(
    pki: TestPKI, foreign_root: Path, pdf_bytes: bytes
) -> None:
    config = SigningConfig(pki.pkcs12_key_source(), TrustConfig((foreign_root,)))
    with pytest.raises(CertificateUntrusted):
        sign_document(
            pdf_bytes, media_type="application/pdf", level=SignatureLevel.PADES_B_B, config=config
        )


def _sign_unchecked(
    pki: TestPKI, label: str, data: bytes, media_type: str, level: SignatureLevel
) -> SignedDocument:
    """Sign bypassing the pre-sign check, to produce documents a verifier must reject."""

    async def run() -> SignedDocument:
        with open_key_source(pki.pkcs12_key_source(label)) as key:
            return await async_sign_with_key(
                data, media_type=media_type, level=level, key=key, config=_config(pki, label)
            )

    return asyncio.run(run())


def test_verify_flags_signature_by_revoked_certificate(pki: TestPKI, pdf_bytes: bytes) -> None:
    signed = _sign_unchecked(
        pki, "agency-revoked", pdf_bytes, "application/pdf", SignatureLevel.PADES_B_T
    )
    report = verify(signed.content, trust=pki.trust_config())
    checks = {c.name: c for c in report.signatures[0].checks}
    assert not report.valid
    assert checks["integrity"].passed
    assert not checks["revocation"].passed
    assert "revoked" in checks["revocation"].detail


def test_verify_flags_xml_signed_with_expired_certificate(pki: TestPKI, xml_bytes: bytes) -> None:
    signed = _sign_unchecked(
        pki, "agency-expired", xml_bytes, "application/xml", SignatureLevel.XMLDSIG_ENVELOPED
    )
    report = verify(signed.content, trust=pki.trust_config())
    checks = {c.name: c for c in report.signatures[0].checks}
    assert not report.valid
    assert checks["integrity"].passed  # the bytes are intact; the certificate is the problem
    assert not checks["chain"].passed
    assert "expired" in checks["chain"].detail


def test_verify_against_foreign_root_fails_chain(
    pki: TestPKI, foreign_root: Path, pkcs12_config: SigningConfig, pdf_bytes: bytes
) -> None:
    signed = sign_document(
        pdf_bytes,
        media_type="application/pdf",
        level=SignatureLevel.PADES_B_B,
        config=pkcs12_config,
    )
    report = verify(signed.content, trust=TrustConfig((foreign_root,)))
    failed = {c.name for c in report.signatures[0].checks if not c.passed}
    assert not report.valid
    assert "chain" in failed
    assert "integrity" not in failed
