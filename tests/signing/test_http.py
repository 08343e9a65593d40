"""``POST /v1/verify`` through FastAPI's TestClient (real verification, real PKI services)."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.api import DEV_KEYS, VERIFIERS, bearer_headers, development_keys
from signing import KeySourceError, SignatureLevel, SigningConfig, get_trust_config, sign_document
from signing import verification_router as router
from signing._http import MAX_BODY_BYTES, fetch_allowed, get_api_keys, get_fetch_allow_list
from signing._settings import verify_fetch_allow_from_env
from signing.testing import TestPKI
from tests.api._contract import Endpoint, ProtectedEndpointContract


@pytest.fixture
def client(pki: TestPKI) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_trust_config] = pki.trust_config
    app.dependency_overrides[get_api_keys] = development_keys
    # The test PKI's CRL/OCSP/TSA services: the one place this server may fetch from.
    app.dependency_overrides[get_fetch_allow_list] = lambda: (pki.base_url,)
    return TestClient(app, headers=bearer_headers(DEV_KEYS.verifier))


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
    app.dependency_overrides[get_api_keys] = development_keys
    verifier = bearer_headers(DEV_KEYS.verifier)
    response = TestClient(app, headers=verifier).post(
        "/v1/verify", files={"document": ("kq.pdf", signed_pdf)}
    )
    assert response.status_code == 503


# --- Access, the bounded body and the fetch allow-list -------------------------------------


def _app(pki: TestPKI, allow: tuple[str, ...] | None = None) -> FastAPI:
    """The router keyed with the development keys; ``allow`` None: the environment's list."""
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_trust_config] = pki.trust_config
    app.dependency_overrides[get_api_keys] = development_keys
    if allow is not None:
        app.dependency_overrides[get_fetch_allow_list] = lambda: allow
    return app


class TestVerifyAccess(ProtectedEndpointContract):
    """``POST /v1/verify`` keeps the same access contract as the query API."""

    @pytest.fixture
    def client(self, pki: TestPKI) -> TestClient:
        return TestClient(_app(pki, (pki.base_url,)))

    @pytest.fixture
    def endpoint(self, signed_pdf: bytes) -> Endpoint:
        files = lambda: {"document": ("kq.pdf", signed_pdf)}  # noqa: E731
        return Endpoint("POST", "/v1/verify", VERIFIERS, files=files)

    @pytest.fixture
    def applicant_name(self) -> str:
        return "Nguyễn Văn An"


def _raw_post(
    app: FastAPI, headers: list[tuple[bytes, bytes]], chunks: int, chunk: bytes
) -> tuple[int, int]:
    """POST ``chunks`` x ``chunk`` to /v1/verify at the ASGI level: (status, bytes the app read)."""
    read = 0
    sent = 0
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal read, sent
        if sent >= chunks:
            return {"type": "http.disconnect"}
        sent += 1
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": sent < chunks}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/verify", "raw_path": b"/v1/verify", "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": ("t", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return statuses[0], read


MULTIPART = (b"content-type", b"multipart/form-data; boundary=xyz")
VERIFIER = (b"authorization", f"Bearer {DEV_KEYS.verifier}".encode())


def test_an_oversized_body_is_413_before_it_is_all_read(pki: TestPKI) -> None:
    chunk = b"\0" * (1024 * 1024)
    status, read = _raw_post(_app(pki), [MULTIPART, VERIFIER], 60, chunk)  # 60 MiB, undeclared
    assert status == 413
    assert MAX_BODY_BYTES < read <= MAX_BODY_BYTES + len(chunk)
    declared = (b"content-length", str(60 * len(chunk)).encode())
    status, read = _raw_post(_app(pki), [MULTIPART, VERIFIER, declared], 60, chunk)
    assert (status, read) == (413, 0)


def test_no_key_is_401_before_any_of_the_body_is_read(pki: TestPKI) -> None:
    status, read = _raw_post(_app(pki), [MULTIPART], 60, b"\0" * 1024 * 1024)
    assert (status, read) == (401, 0)


def _revocation(body: dict[str, Any]) -> dict[str, Any]:
    checks = body["signatures"][0]["checks"]
    found: dict[str, Any] = next(c for c in checks if c["name"] == "revocation")
    return found


def test_fetching_is_refused_by_default(
    pki: TestPKI, signed_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No allow-list: the signer's CRL/OCSP URLs are not fetched, so revocation is unknown
    (with the test PKI's services allowed, the same document verifies: test_valid_pdf)."""
    monkeypatch.delenv("DVC_VERIFY_FETCH_ALLOW", raising=False)
    client = TestClient(_app(pki), headers=bearer_headers(DEV_KEYS.verifier))
    body = client.post("/v1/verify", files={"document": ("kq.pdf", signed_pdf)}).json()
    assert body["valid"] is False
    assert _revocation(body)["passed"] is False
    assert fetch_allowed(signed_pdf, None, ()) is False


@pytest.mark.parametrize("listed", ["https://ca.example.gov.vn/", "{base}0", "{base}/elsewhere/"])
def test_fetching_outside_the_allow_list_is_refused(
    pki: TestPKI, signed_pdf: bytes, listed: str
) -> None:
    allow = (listed.format(base=pki.base_url),)
    assert fetch_allowed(signed_pdf, None, allow) is False
    client = TestClient(_app(pki, allow), headers=bearer_headers(DEV_KEYS.verifier))
    body = client.post("/v1/verify", files={"document": ("kq.pdf", signed_pdf)}).json()
    assert _revocation(body)["passed"] is False
    assert fetch_allowed(signed_pdf, None, (pki.base_url,)) is True


def test_the_allow_list_comes_from_the_environment() -> None:
    allow = verify_fetch_allow_from_env(
        {"DVC_VERIFY_FETCH_ALLOW": "http://crl.ca.gov.vn/, http://ocsp.ca.gov.vn/"}
    )
    assert allow == ("http://crl.ca.gov.vn/", "http://ocsp.ca.gov.vn/")
    assert verify_fetch_allow_from_env({}) == ()
    with pytest.raises(KeySourceError, match="http"):
        verify_fetch_allow_from_env({"DVC_VERIFY_FETCH_ALLOW": "file:///etc/passwd"})


def test_verify_reads_the_keys_from_the_environment(
    pki: TestPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_trust_config] = pki.trust_config
    client = TestClient(app)
    files = {"document": ("x.bin", b"\x00\x01\x02")}
    monkeypatch.delenv("DVC_DEV_SECRETS", raising=False)
    monkeypatch.delenv("DVC_API_KEYS_FILE", raising=False)
    monkeypatch.setenv("DVC_API_KEYS", "checker:verifier:0123456789abcdef-chk")
    assert client.post("/v1/verify", files=files).status_code == 401
    checker = {"X-API-Key": "0123456789abcdef-chk"}
    assert client.post("/v1/verify", files=files, headers=checker).status_code == 415
    monkeypatch.delenv("DVC_API_KEYS")
    refused = client.post("/v1/verify", files=files, headers=checker)
    assert refused.status_code == 503
    assert "DVC_API_KEYS" in refused.text
