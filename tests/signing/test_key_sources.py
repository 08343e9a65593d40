"""Every format and level, signed and verified, against each key source.

``SigningContract`` holds the tests; each ``Test*`` subclass supplies one key
source (eventsourcing-style abstract test case), so PKCS#12 and the SoftHSM
PKCS#11 token must behave identically.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import (
    KeySourceConfig,
    LocalDocumentStore,
    SignatureLevel,
    Signed,
    SigningConfig,
    SigningService,
    SignRequest,
    TimestampConfig,
    verify,
)
from signing.testing import SoftHSMToken, TestPKI

PDF_LEVELS = [SignatureLevel.PADES_B_B, SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT]


def _sign(
    service: SigningService,
    store: LocalDocumentStore,
    data: bytes,
    media_type: str,
    level: SignatureLevel,
) -> tuple[Signed, bytes]:
    key = store.put(data)
    outcome = service.sign_result(SignRequest("H12.34-0001", "doc-1", key, media_type, level))
    assert isinstance(outcome, Signed), outcome
    return outcome, store.get(outcome.signed_key)


def _failed_checks(report_signatures: object) -> list[str]:
    return [c.name for s in report_signatures for c in s.checks if not c.passed]  # type: ignore[attr-defined]


class SigningContract:
    expected_certificate_label: str

    @pytest.fixture
    def key_source(self) -> KeySourceConfig:
        raise NotImplementedError

    @pytest.fixture
    def service(
        self, key_source: KeySourceConfig, pki: TestPKI, store: LocalDocumentStore
    ) -> SigningService:
        config = SigningConfig(key_source, pki.trust_config(), TimestampConfig(pki.tsa_url))
        return SigningService(config, store)

    @pytest.mark.parametrize("level", PDF_LEVELS)
    def test_pades_signs_and_verifies(
        self,
        level: SignatureLevel,
        service: SigningService,
        store: LocalDocumentStore,
        pki: TestPKI,
        pdf_bytes: bytes,
    ) -> None:
        before = datetime.now(UTC)
        outcome, signed = _sign(service, store, pdf_bytes, "application/pdf", level)

        certificate = pki.certificate(self.expected_certificate_label)
        assert outcome.signature_level is level
        assert outcome.original_sha256 == hashlib.sha256(pdf_bytes).hexdigest()
        assert outcome.signed_sha256 == hashlib.sha256(signed).hexdigest() == outcome.signed_key
        assert outcome.signer_cert_sha256 == hashlib.sha256(certificate.dump()).hexdigest()
        assert "CN=Sở Tư pháp" in outcome.signer_subject
        assert signed.startswith(pdf_bytes)  # incremental update keeps the original bytes
        if level is SignatureLevel.PADES_B_B:
            assert outcome.timestamp_time is None
        else:
            assert outcome.timestamp_time is not None
            assert before - timedelta(seconds=5) <= outcome.timestamp_time <= datetime.now(UTC)
        has_dss = "/DSS" in PdfFileReader(BytesIO(signed), strict=False).root
        assert has_dss is (level is SignatureLevel.PADES_B_LT)

        report = verify(signed, trust=pki.trust_config())
        assert report.valid, report
        (signature,) = report.signatures
        assert signature.format == level.value
        names = {check.name for check in signature.checks}
        assert {"integrity", "coverage", "chain", "revocation"} <= names
        assert ("timestamp" in names) is level.needs_timestamp
        assert signature.signer is not None
        assert signature.signer.certificate_sha256 == outcome.signer_cert_sha256

    def test_tampered_pdf_fails_integrity(
        self, service: SigningService, store: LocalDocumentStore, pki: TestPKI, pdf_bytes: bytes
    ) -> None:
        _, signed = _sign(service, store, pdf_bytes, "application/pdf", SignatureLevel.PADES_B_T)
        tampered = signed.replace(b"Ket qua", b"Ket qu4", 1)
        assert tampered != signed

        report = verify(tampered, trust=pki.trust_config())

        assert not report.valid
        assert _failed_checks(report.signatures) == ["integrity"]

    def test_xml_enveloped_signs_verifies_and_detects_tampering(
        self, service: SigningService, store: LocalDocumentStore, pki: TestPKI, xml_bytes: bytes
    ) -> None:
        outcome, signed = _sign(
            service, store, xml_bytes, "application/xml", SignatureLevel.XMLDSIG_ENVELOPED
        )
        assert outcome.signature_level is SignatureLevel.XMLDSIG_ENVELOPED
        assert b"<ds:Signature" in signed
        assert "Cấp giấy" in signed.decode()

        report = verify(signed, trust=pki.trust_config())
        assert report.valid, report
        assert report.signatures[0].format == "XMLDSIG_ENVELOPED"

        tampered = signed.replace(b"0001</MaHoSo>", b"0002</MaHoSo>")
        assert tampered != signed
        tampered_report = verify(tampered, trust=pki.trust_config())
        assert not tampered_report.valid
        assert _failed_checks(tampered_report.signatures) == ["integrity"]

    def test_cms_detached_signs_any_document(
        self, service: SigningService, store: LocalDocumentStore, pki: TestPKI
    ) -> None:
        document = b"PK\x03\x04 pretend this is a DOCX result" * 50
        outcome, signature = _sign(
            service, store, document, "application/octet-stream", SignatureLevel.CMS_DETACHED
        )
        assert outcome.signature_level is SignatureLevel.CMS_DETACHED
        assert document not in signature  # detached: the content is not embedded

        report = verify(document, signature=signature, trust=pki.trust_config())
        assert report.valid, report
        assert report.signatures[0].format == "CMS_DETACHED"

        altered = verify(document + b"!", signature=signature, trust=pki.trust_config())
        assert not altered.valid
        assert _failed_checks(altered.signatures) == ["integrity"]


class TestPkcs12KeySource(SigningContract):
    expected_certificate_label = "agency"

    @pytest.fixture
    def key_source(self, pki: TestPKI) -> KeySourceConfig:
        return pki.pkcs12_key_source("agency")


class TestSoftHSMKeySource(SigningContract):
    expected_certificate_label = "agency-hsm"

    @pytest.fixture
    def key_source(self, softhsm_token: SoftHSMToken) -> KeySourceConfig:
        return softhsm_token.key_source()
