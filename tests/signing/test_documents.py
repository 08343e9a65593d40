"""Corrupt, unsupported and missing documents; the content-addressed store."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from signing import (
    CorruptDocument,
    DocumentNotFound,
    LocalDocumentStore,
    SignatureLevel,
    SigningConfig,
    SigningFailed,
    SigningService,
    SignRequest,
    sign_document,
    verify,
)
from signing.testing import TestPKI

FAILURES = [
    (b"%PDF-1.7\n1 0 obj garbage", "application/pdf", SignatureLevel.PADES_B_B, "corrupt_document"),
    (b"this is not a pdf", "application/pdf", SignatureLevel.PADES_B_T, "corrupt_document"),
    (
        b"<KetQua><open></KetQua>",
        "application/xml",
        SignatureLevel.XMLDSIG_ENVELOPED,
        "corrupt_document",
    ),
    (b"plain text", "text/plain", SignatureLevel.PADES_B_B, "unsupported_document"),
    (b"plain text", "text/plain", SignatureLevel.XMLDSIG_ENVELOPED, "unsupported_document"),
]


@pytest.mark.parametrize(("data", "media_type", "level", "reason_code"), FAILURES)
def test_bad_documents_give_signing_failed(
    data: bytes,
    media_type: str,
    level: SignatureLevel,
    reason_code: str,
    pkcs12_config: SigningConfig,
    store: LocalDocumentStore,
) -> None:
    key = store.put(data)
    outcome = SigningService(pkcs12_config, store).sign_result(
        SignRequest("H1", "doc-1", key, media_type, level)
    )
    assert isinstance(outcome, SigningFailed)
    assert outcome.reason_code == reason_code
    assert outcome.reason


def test_missing_document_gives_signing_failed(
    pkcs12_config: SigningConfig, store: LocalDocumentStore
) -> None:
    outcome = SigningService(pkcs12_config, store).sign_result(
        SignRequest("H1", "doc-1", "ab" * 32, "application/pdf", SignatureLevel.PADES_B_B)
    )
    assert isinstance(outcome, SigningFailed)
    assert outcome.reason_code == "document_not_found"


def test_store_layout_and_round_trip(store: LocalDocumentStore) -> None:
    data = b"ket qua"
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert (store.root / key[:2] / key[2:]).read_bytes() == data
    assert store.get(key) == data
    assert store.put(data) == key  # idempotent


@pytest.mark.parametrize("key", ["../../etc/passwd", "AB" * 32, "ab" * 31, ""])
def test_store_rejects_keys_that_are_not_sha256(store: LocalDocumentStore, key: str) -> None:
    with pytest.raises(DocumentNotFound):
        store.get(key)


def test_store_detects_corruption_on_disk(store: LocalDocumentStore) -> None:
    key = store.put(b"original")
    Path(store.root / key[:2] / key[2:]).write_bytes(b"rotten")
    with pytest.raises(CorruptDocument):
        store.get(key)


def test_verify_reports_unsigned_and_unreadable_documents(
    pki: TestPKI, pdf_bytes: bytes, xml_bytes: bytes
) -> None:
    for data, expected in [
        (pdf_bytes, "no signature"),
        (xml_bytes, "no ds:Signature"),
        (b"%PDF-1.7 broken", "not a readable PDF"),
        (b"\x00\x01binary", "detached CMS signature"),
    ]:
        report = verify(data, trust=pki.trust_config())
        assert not report.valid
        assert any(expected in problem for problem in report.problems), report.problems


def test_verify_reports_garbage_signature_file(pki: TestPKI) -> None:
    report = verify(b"document", signature=b"not DER", trust=pki.trust_config())
    assert not report.valid
    assert "CMS SignedData" in report.problems[0]


def test_verify_reports_damaged_signature_structures(
    pki: TestPKI, pkcs12_config: SigningConfig, pdf_bytes: bytes, xml_bytes: bytes
) -> None:
    signed_pdf = sign_document(
        pdf_bytes,
        media_type="application/pdf",
        level=SignatureLevel.PADES_B_B,
        config=pkcs12_config,
    ).content
    contents = re.search(rb"/Contents <([0-9a-fA-F]+)>", signed_pdf)
    assert contents is not None
    start = contents.start(1)
    # Overwrite the DER header of the CMS blob: no longer a SignedData structure.
    damaged_pdf = signed_pdf[:start] + b"ff" * 8 + signed_pdf[start + 16 :]

    signed_xml = sign_document(
        xml_bytes,
        media_type="application/xml",
        level=SignatureLevel.XMLDSIG_ENVELOPED,
        config=pkcs12_config,
    ).content
    damaged_xml = signed_xml.replace(
        b'SignatureMethod Algorithm="', b'SignatureMethod Algorithm="x'
    )
    assert damaged_xml != signed_xml

    for damaged in (damaged_pdf, damaged_xml):
        report = verify(damaged, trust=pki.trust_config())
        assert not report.valid
        assert report.problems, report


def test_undersized_signature_reservation_falls_back_to_sizing_by_dry_run(
    pki: TestPKI, pkcs12_config: SigningConfig, pdf_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signing._pades

    monkeypatch.setattr(signing._pades, "_reservation", lambda key, level: 1000)
    signed = sign_document(
        pdf_bytes,
        media_type="application/pdf",
        level=SignatureLevel.PADES_B_T,
        config=pkcs12_config,
    )
    assert verify(signed.content, trust=pki.trust_config()).valid
