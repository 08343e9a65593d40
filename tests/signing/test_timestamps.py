"""RFC 3161 timestamps from the loopback TSA, and what happens when the TSA is down."""

from __future__ import annotations

from dataclasses import replace

import pytest

from signing import (
    LocalDocumentStore,
    SignatureLevel,
    Signed,
    SigningConfig,
    SigningFailed,
    SigningService,
    SignRequest,
    TimestampConfig,
    TimestampError,
    sign_document,
    verify,
)
from signing.testing import TestPKI, closed_loopback_url


@pytest.fixture
def tsa_down_config(pkcs12_config: SigningConfig) -> SigningConfig:
    return replace(pkcs12_config, tsa=TimestampConfig(closed_loopback_url(), timeout_seconds=2))


@pytest.mark.parametrize("level", [SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT])
def test_tsa_down_fails_clearly(
    level: SignatureLevel, tsa_down_config: SigningConfig, pdf_bytes: bytes
) -> None:
    assert tsa_down_config.tsa is not None
    with pytest.raises(TimestampError, match="time-stamping authority") as raised:
        sign_document(pdf_bytes, media_type="application/pdf", level=level, config=tsa_down_config)
    assert tsa_down_config.tsa.tsa_url in str(raised.value)
    # Translated, not swallowed: the chain leads back to the connection error.
    causes = []
    error: BaseException | None = raised.value
    while error is not None:
        causes.append(type(error).__name__)
        error = error.__cause__
    assert "TimestampRequestError" in causes
    assert any(name in causes for name in ("ClientConnectorError", "ConnectionRefusedError"))


def test_tsa_down_is_a_signing_failed_outcome(
    tsa_down_config: SigningConfig, store: LocalDocumentStore, pdf_bytes: bytes
) -> None:
    key = store.put(pdf_bytes)
    outcome = SigningService(tsa_down_config, store).sign_result(
        SignRequest("H1", "doc-1", key, "application/pdf", SignatureLevel.PADES_B_T)
    )
    assert isinstance(outcome, SigningFailed)
    assert outcome.reason_code == "timestamp_unavailable"


def test_tsa_down_falls_back_to_bb_when_configured(
    tsa_down_config: SigningConfig, store: LocalDocumentStore, pki: TestPKI, pdf_bytes: bytes
) -> None:
    config = replace(tsa_down_config, tsa_fallback_to_bb=True)
    key = store.put(pdf_bytes)
    outcome = SigningService(config, store).sign_result(
        SignRequest("H1", "doc-1", key, "application/pdf", SignatureLevel.PADES_B_T)
    )
    assert isinstance(outcome, Signed)
    assert outcome.signature_level is SignatureLevel.PADES_B_B
    assert outcome.timestamp_time is None
    report = verify(store.get(outcome.signed_key), trust=pki.trust_config())
    assert report.valid
    assert report.signatures[0].format == "PADES_B_B"


def test_b_t_without_configured_tsa_fails(pkcs12_config: SigningConfig, pdf_bytes: bytes) -> None:
    with pytest.raises(TimestampError, match="no TSA"):
        sign_document(
            pdf_bytes,
            media_type="application/pdf",
            level=SignatureLevel.PADES_B_T,
            config=replace(pkcs12_config, tsa=None),
        )


def test_timestamp_is_verified_against_the_tsa_chain(
    pkcs12_config: SigningConfig, pki: TestPKI, pdf_bytes: bytes
) -> None:
    signed = sign_document(
        pdf_bytes,
        media_type="application/pdf",
        level=SignatureLevel.PADES_B_T,
        config=pkcs12_config,
    )
    report = verify(signed.content, trust=pki.trust_config())
    (signature,) = report.signatures
    timestamp = next(c for c in signature.checks if c.name == "timestamp")
    assert timestamp.passed
    assert signature.timestamp_time == signed.timestamp_time
