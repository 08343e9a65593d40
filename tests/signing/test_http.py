"""``POST /v1/verify`` through FastAPI's TestClient (real verification, real PKI services)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from signing import SignatureLevel, SigningConfig, get_trust_config, sign_document
from signing import verification_router as router
from signing.testing import TestPKI


@pytest.fixture
def client(pki: TestPKI) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_trust_config] = pki.trust_config
    return TestClient(app)


@pytest.fixture(scope="module")
def signed_pdf(pki: TestPKI) -> bytes:
    from signing import TimestampConfig
    from signing.testing import sample_pdf

    config = SigningConfig(
        pki.pkcs12_key_source(), pki.trust_config(), TimestampConfig(pki.tsa_url)
    )
    return sign_document(
        sample_pdf(), media_type="application/pdf", level=SignatureLevel.PADES_B_T, config=config
    ).content


def test_valid_pdf(client: TestClient, signed_pdf: bytes) -> None:
    response = client.post("/v1/verify", files={"document": ("kq.pdf", signed_pdf)})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["media_type"] == "application/pdf"
    assert {c["name"] for c in body["signatures"][0]["checks"]} >= {"integrity", "timestamp"}


def test_tampered_pdf_is_a_200_invalid_report(client: TestClient, signed_pdf: bytes) -> None:
    tampered = signed_pdf.replace(b"Ket qua", b"Ket quA", 1)
    response = client.post("/v1/verify", files={"document": ("kq.pdf", tampered)})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    integrity = next(c for c in body["signatures"][0]["checks"] if c["name"] == "integrity")
    assert integrity["passed"] is False


def test_detached_cms(client: TestClient, pkcs12_config: SigningConfig) -> None:
    document = b"\x89PNG pretend image"
    signature = sign_document(
        document, media_type="image/png", level=SignatureLevel.CMS_DETACHED, config=pkcs12_config
    ).content
    response = client.post(
        "/v1/verify", files={"document": ("a.png", document), "signature": ("a.p7s", signature)}
    )
    assert response.status_code == 200
    assert response.json()["valid"] is True


@pytest.mark.parametrize(
    ("files", "status", "fragment"),
    [
        ({"document": ("empty.pdf", b"")}, 400, "empty"),
        ({"document": ("x.bin", b"\x00\x01\x02")}, 415, "neither PDF nor XML"),
        ({"document": ("x.pdf", b"%PDF-1.7 broken")}, 422, "not a readable PDF"),
        ({"document": ("x.xml", b"<a>unsigned</a>")}, 422, "no ds:Signature"),
        ({"document": ("x.bin", b"data"), "signature": ("x.p7s", b"junk")}, 422, "SignedData"),
        ({"other": ("x.pdf", b"%PDF-1.7")}, 422, "document"),
    ],
)
def test_bad_input_is_a_precise_4xx(
    client: TestClient, files: dict[str, tuple[str, bytes]], status: int, fragment: str
) -> None:
    response = client.post("/v1/verify", files=files)
    assert response.status_code == status
    assert fragment in response.text


def test_no_trust_anchors_configured_is_503(
    pki: TestPKI, signed_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DVC_SIGNING_TRUST_ANCHORS", raising=False)
    app = FastAPI()
    app.include_router(router)
    response = TestClient(app).post("/v1/verify", files={"document": ("kq.pdf", signed_pdf)})
    assert response.status_code == 503
