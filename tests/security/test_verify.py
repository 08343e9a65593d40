"""``POST /v1/verify`` attacked (the signing service's upload). Roles stay the access
contract's (``tests/signing/test_http.TestVerifyAccess``); missing and wrong keys are here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

import pytest
from fastapi import FastAPI

from connectors.common import ServerThread
from hub.api import DEV_KEYS, VERIFIERS, bearer_headers, development_keys
from signing import SignatureLevel, SigningConfig, get_trust_config, sign_document
from signing import verification_router as router
from signing._http import MAX_BODY_BYTES, get_api_keys, get_fetch_allow_list
from signing.testing import TestPKI, running_test_pki, sample_pdf
from tests.api._contract import WRONG_KEYS, Endpoint
from tests.security._attack import Attempt, Case, Expect, InboundEndpointAttack, Probe, Target
from tests.security._http import HttpTarget, probe_of

CHALLENGE = {"WWW-Authenticate": "Bearer"}
VERIFIER = bearer_headers(DEV_KEYS.verifier)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPKI]:
    with running_test_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


@pytest.fixture(scope="module")
def signed_pdf(pki: TestPKI) -> bytes:
    config = SigningConfig(pki.pkcs12_key_source(), pki.trust_config())
    return sign_document(sample_pdf(), media_type="application/pdf",
                         level=SignatureLevel.PADES_B_B, config=config).content  # fmt: skip


@pytest.fixture(scope="module")
def server(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_trust_config] = pki.trust_config
    app.dependency_overrides[get_api_keys] = development_keys
    app.dependency_overrides[get_fetch_allow_list] = lambda: (pki.base_url,)
    running = ServerThread(app, name="verify").start()
    yield running
    running.stop()


@pytest.fixture
def target(server: ServerThread) -> Target:
    return HttpTarget(server.url)


def upload(files: dict[str, tuple[str, bytes]], headers: dict[str, str] = VERIFIER) -> Probe:
    return probe_of(Endpoint("POST", "/v1/verify", VERIFIERS, files=lambda: files), headers)


class TestVerifyAttack(InboundEndpointAttack):
    NOT_APPLICABLE: ClassVar[Mapping[Case, str]] = {
        Case.REPLAY: "it only verifies: a replayed upload is another verification, nothing kept",
        Case.STALE: (
            "API keys sign nothing and carry no request time: a captured request is worth no "
            "more than the key it carries"
        ),
    }
    ACCEPTED = Expect(200, ('"valid":true',))
    PRODUCES = False

    @pytest.fixture(autouse=True)
    def _document(self, signed_pdf: bytes) -> None:
        self.document = {"document": ("kq.pdf", signed_pdf)}

    def valid(self, target: Target) -> Probe:
        return upload(self.document)

    def no_credentials(self, target: Target) -> Sequence[Attempt]:
        return [Attempt("no key", upload(self.document, {}),
                        Expect(401, ("an API key is required",), CHALLENGE))]  # fmt: skip

    def wrong_credentials(self, target: Target) -> Sequence[Attempt]:
        attempts = [Attempt(name, upload(self.document, headers), Expect(401, (), CHALLENGE))
                    for name, headers in WRONG_KEYS]  # fmt: skip
        public = bearer_headers(DEV_KEYS.public)
        return [*attempts, Attempt("the public's key", upload(self.document, public),
                                   Expect(403, ("may not verify",)))]  # fmt: skip

    def oversized(self, target: Target) -> tuple[Attempt, int]:
        probe = upload({"document": ("big.pdf", b"%PDF-1.7 ")})
        big = Probe(probe.method, probe.path, probe.headers, b"x" * (MAX_BODY_BYTES + 1))
        return Attempt("an upload over the limit", big, Expect(413, ("larger than",))), (
            MAX_BODY_BYTES
        )

    def malformed(self, target: Target) -> Sequence[Attempt]:
        no_boundary = Probe("POST", "/v1/verify", {**VERIFIER, "Content-Type":
                            "multipart/form-data"}, b"--x\r\n\r\n")  # fmt: skip
        return [
            Attempt("a form without a boundary", no_boundary, Expect(400, ("unreadable form",))),
            Attempt("no document part", upload({"other": ("x.pdf", b"%PDF-1.7")}),
                    Expect(422, ("document",))),
            Attempt("an empty document", upload({"document": ("e.pdf", b"")}),
                    Expect(400, ("empty",))),
            Attempt("not a PDF nor XML", upload({"document": ("x.bin", b"\x00\x01")}),
                    Expect(415, ("neither PDF nor XML",))),
            Attempt("a broken PDF", upload({"document": ("x.pdf", b"%PDF-1.7 broken")}),
                    Expect(422, ("not a readable PDF",))),
            Attempt("XML nested past the parser's depth", upload({"document": (
                "x.xml", b"<a>" * 5_000 + b"</a>" * 5_000)}),
                    Expect(422, ("XML cannot be parsed",))),
        ]  # fmt: skip
