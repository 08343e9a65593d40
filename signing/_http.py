"""``POST /v1/verify``: upload a signed document, get the verification report as JSON.

A signature that does not verify is a *result* (200, ``"valid": false``). Input
that cannot be verified at all is a client error:

* 401 no or unknown API key, 403 a role that may not verify (``public``),
* 400 empty upload, 413 a body larger than ``MAX_BODY_BYTES`` (refused while it streams in,
  never read to the end) or a part larger than ``MAX_UPLOAD_BYTES``,
* 415 neither PDF nor XML and no detached ``signature`` part,
* 422 unreadable document/signature, or no signature in it,
* 503 no trust anchors (or no API keys) configured on the server.

Callers authenticate like on the query API (``hub.api``'s keys: ``Authorization: Bearer <key>``
or ``X-API-Key``); roles ``integrator``, ``officer``, ``ops`` and ``verifier`` may verify.

Network fetching (CRL, OCSP, issuer certificates at the URLs a certificate names) is off unless
the operator lists URL prefixes in ``DVC_VERIFY_FETCH_ALLOW``: the uploader chooses those
certificates, so fetching freely would make this server request any URL they like (SSRF). With
a list, every URL in every certificate the upload carries (signers, chains, timestamp tokens,
the PDF's DSS) must lie under a listed prefix, else this verification runs without fetching at
all: the request is refused, not attempted. Its revocation check then fails as "not assessed"
(also for a PAdES B-LT document's embedded revocation data: list the CA's prefixes to accept it).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO
from typing import Annotated

from asn1crypto import cms, x509  # type: ignore[import-untyped]
from fastapi import APIRouter, Depends, HTTPException, Request, status
from starlette.datastructures import UploadFile
from starlette.types import Message

from hub.api import (
    ENV_DEV,
    ENV_KEYS,
    ENV_KEYS_FILE,
    VERIFIERS,
    ApiKeys,
    ApiKeysMissing,
    Caller,
    api_keys_from_env,
    authenticate,
)

from ._errors import SigningError
from ._models import Check, SignatureReport, TrustConfig, VerificationReport
from ._report import ReportJson, report_as_dict
from ._settings import trust_config_from_env, verify_fetch_allow_from_env
from ._verify import detect_media_type, verify
from ._xml_verify import _embedded_certificates

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_UPLOAD_BYTES",
    "fetch_allowed",
    "get_api_keys",
    "get_fetch_allow_list",
    "get_trust_config",
    "router",
]

logger = logging.getLogger("signing")

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: The whole multipart body: one maximal part plus room for the boundaries and headers.
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024

router = APIRouter()


def get_trust_config() -> TrustConfig:
    """Dependency; tests and the hub override it via ``app.dependency_overrides``."""
    try:
        return trust_config_from_env()
    except SigningError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc


_KEY_VARIABLES = (ENV_KEYS, ENV_KEYS_FILE, ENV_DEV)
#: The keys last loaded, under a SHA-256 of the configuration they came from: parsed and hashed
#: once (the development warning logged once), re-read when the environment changes, and no
#: plain key kept in a cache.
_loaded: dict[bytes, ApiKeys] = {}


def get_api_keys() -> ApiKeys:
    """Dependency: who may verify; the query API's keys, from the environment (tests override
    it via ``app.dependency_overrides``)."""
    config = {name: os.environ.get(name, "") for name in _KEY_VARIABLES}
    fingerprint = hashlib.sha256("\0".join(config.values()).encode()).digest()
    if fingerprint not in _loaded:
        try:
            keys = api_keys_from_env(config)
        except (ApiKeysMissing, ValueError, OSError) as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
        _loaded.clear()
        _loaded[fingerprint] = keys
    return _loaded[fingerprint]


def get_fetch_allow_list() -> tuple[str, ...]:
    """Dependency: the URL prefixes verification may fetch from (``DVC_VERIFY_FETCH_ALLOW``)."""
    try:
        return verify_fetch_allow_from_env()
    except SigningError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc


def verifying_caller(request: Request, keys: Annotated[ApiKeys, Depends(get_api_keys)]) -> Caller:
    """The authenticated caller, if its role may verify (401 / 403 otherwise)."""
    caller = authenticate(keys, request)
    if caller.role not in VERIFIERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {caller.role} may not verify")
    return caller


def _too_large(what: str, limit: int) -> HTTPException:
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{what} is larger than {limit} bytes")


async def _read_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes ``MAX_BODY_BYTES``: a declared
    length over the limit before reading anything, else at the chunk that crosses it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large("request body", MAX_BODY_BYTES)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large("request body", MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


async def _form_parts(request: Request, body: bytes) -> tuple[UploadFile, UploadFile | None]:
    """The ``document`` and optional ``signature`` parts of the (already bounded) body."""

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=2, max_fields=10)
    except Exception as exc:  # python-multipart's and Starlette's errors on a broken body
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unreadable form: {exc}") from exc
    document, signature = form.get("document"), form.get("signature")
    if not isinstance(document, UploadFile):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "document: a file is required")
    if signature is not None and not isinstance(signature, UploadFile):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "signature must be a file")
    return document, signature


async def _read_limited(upload: UploadFile, what: str) -> bytes:
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large(what, MAX_UPLOAD_BYTES)
    if not data:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{what} is empty")
    return data


def _signed_data_certificates(signed_data: cms.SignedData) -> Iterator[x509.Certificate]:
    """The certificates of a SignedData and of the timestamp tokens inside its signer infos."""
    for choice in signed_data["certificates"] or ():
        if isinstance(choice.chosen, x509.Certificate):
            yield choice.chosen
    for signer in signed_data["signer_infos"]:
        for attribute in signer["unsigned_attrs"] or ():
            if attribute["type"].native == "signature_time_stamp_token":
                for token in attribute["values"]:
                    yield from _signed_data_certificates(token["content"])


def _uploaded_certificates(data: bytes, detached: bytes | None) -> list[x509.Certificate]:
    if detached is not None:
        return list(_signed_data_certificates(cms.ContentInfo.load(detached)["content"]))
    media_type = detect_media_type(data)
    if media_type == "application/xml":
        return _embedded_certificates(data)
    if media_type != "application/pdf":
        return []
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    reader = PdfFileReader(BytesIO(data), strict=False)
    certificates = [cert for embedded in reader.embedded_signatures
                    for cert in _signed_data_certificates(embedded.signed_data)]  # fmt: skip
    if "/DSS" in reader.root:
        certificates += DocumentSecurityStore.read_dss(reader).load_certs()
    return certificates


def _certificate_urls(certificate: x509.Certificate) -> Iterator[str]:
    """Every URI a validator could fetch for ``certificate``: CRL and delta-CRL distribution
    points, OCSP responders and issuer certificates (authority information access)."""
    points = (certificate.crl_distribution_points or []) + (
        certificate.delta_crl_distribution_points or []
    )
    for point in points:
        name = point["distribution_point"]
        if name.name == "full_name":
            for general in name.chosen:
                if general.name == "uniform_resource_identifier":
                    yield str(general.native)
    for description in certificate.authority_information_access_value or ():
        location = description["access_location"]
        if location.name == "uniform_resource_identifier":
            yield str(location.native)


def _under(url: str, prefix: str) -> bool:
    # Whole path segments only: "https://ca.gov.vn" must not admit "https://ca.gov.vn.evil/".
    return url == prefix or url.startswith(prefix if prefix.endswith("/") else prefix + "/")


def fetch_allowed(data: bytes, detached: bytes | None, allow: tuple[str, ...]) -> bool:
    """Whether verifying this upload may fetch: an allow-list is configured and every URL its
    certificates name lies under one of its prefixes. An upload whose certificates cannot be
    read fetches nothing (verification then reports it as malformed anyway)."""
    if not allow:
        return False
    try:
        urls = {url for cert in _uploaded_certificates(data, detached)
                for url in _certificate_urls(cert)}  # fmt: skip
    except Exception:  # pyHanko/asn1crypto/lxml raise many types on malformed input
        return False
    outside = [url for url in urls if not any(_under(url, prefix) for prefix in allow)]
    if outside:
        logger.info("verification without fetching: %d URL(s) outside the allow-list", len(outside))
    return not outside


NOT_FETCHED = (
    "not assessed: this server fetches CRLs/OCSP responses only from the URL prefixes its "
    "operator allows (DVC_VERIFY_FETCH_ALLOW), and this document's are not all there"
)


def _revocation_not_assessed(report: VerificationReport) -> VerificationReport:
    """Every passed revocation check of a verification without fetching marked not assessed:
    soft-fail passes a certificate whose status it could not learn. Failures stay."""

    def checked(signature: SignatureReport) -> SignatureReport:
        checks = tuple(
            Check("revocation", False, NOT_FETCHED) if c.name == "revocation" and c.passed else c
            for c in signature.checks
        )
        return replace(signature, checks=checks)

    return replace(report, signatures=tuple(checked(s) for s in report.signatures))


@router.post(
    "/v1/verify",
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["document"], "properties": {
            "document": {"type": "string", "format": "binary",
                         "description": "Signed PDF/XML, or the signed original"},
            "signature": {"type": "string", "format": "binary",
                          "description": "Detached CMS signature (.p7s)"},
        }},
    }}}},
)  # fmt: skip
async def verify_document(
    request: Request,
    # The caller first: an unauthenticated request is refused before anything else happens.
    caller: Annotated[Caller, Depends(verifying_caller)],
    trust: Annotated[TrustConfig, Depends(get_trust_config)],
    allow: Annotated[tuple[str, ...], Depends(get_fetch_allow_list)],
) -> ReportJson:
    # The body is read here, bounded, not by FastAPI's form parsing, which would spool all of
    # an oversized upload to disk before the handler could refuse it.
    document, signature = await _form_parts(request, await _read_body(request))
    data = await _read_limited(document, "document")
    detached = await _read_limited(signature, "signature") if signature is not None else None
    if detached is None and detect_media_type(data) == "application/octet-stream":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "document is neither PDF nor XML; upload its detached CMS signature as 'signature'",
        )
    refused = trust.allow_fetching and not await asyncio.to_thread(
        fetch_allowed, data, detached, allow
    )
    if refused:
        # pyHanko will not validate at all in hard-fail mode with neither fetching nor
        # revocation data; soft-fail lets every other check run, and the revocation check
        # is then reported as not assessed (below), never as passed.
        trust = replace(trust, allow_fetching=False, revocation_mode="soft-fail")
    # Validation is CPU-heavy (pure-Python ASN.1); keep it off the event loop.
    report = await asyncio.to_thread(verify, data, trust=trust, signature=detached)
    if refused:
        report = _revocation_not_assessed(report)
    body = report_as_dict(report)
    if report.problems:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, body)
    return body
