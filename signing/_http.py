"""``POST /v1/verify``: upload a signed document, get the verification report as JSON.

A signature that does not verify is a *result* (200, ``"valid": false``). Input
that cannot be verified at all is a client error:

* 400 empty upload, 413 larger than ``MAX_UPLOAD_BYTES``,
* 415 neither PDF nor XML and no detached ``signature`` part,
* 422 unreadable document/signature, or no signature in it,
* 503 no trust anchors configured on the server.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile, status

from ._errors import SigningError
from ._models import TrustConfig
from ._report import report_as_dict
from ._settings import trust_config_from_env
from ._verify import detect_media_type, verify

__all__ = ["MAX_UPLOAD_BYTES", "get_trust_config", "router"]

MAX_UPLOAD_BYTES = 50 * 1024 * 1024

router = APIRouter()


def get_trust_config() -> TrustConfig:
    """Dependency; tests and the hub override it via ``app.dependency_overrides``."""
    try:
        return trust_config_from_env()
    except SigningError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc


async def _read_limited(upload: UploadFile, what: str) -> bytes:
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{what} is larger than {MAX_UPLOAD_BYTES} bytes",
        )
    if not data:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{what} is empty")
    return data


@router.post("/v1/verify")
async def verify_document(
    document: Annotated[UploadFile, File(description="Signed PDF/XML, or the signed original")],
    trust: Annotated[TrustConfig, Depends(get_trust_config)],
    signature: Annotated[
        UploadFile | None, File(description="Detached CMS signature (.p7s)")
    ] = None,
) -> dict[str, Any]:
    data = await _read_limited(document, "document")
    detached = await _read_limited(signature, "signature") if signature is not None else None
    if detached is None and detect_media_type(data) == "application/octet-stream":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "document is neither PDF nor XML; upload its detached CMS signature as 'signature'",
        )
    # Validation is CPU-heavy (pure-Python ASN.1); keep it off the event loop.
    report = await asyncio.to_thread(verify, data, trust=trust, signature=detached)
    body = report_as_dict(report)
    if report.problems:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, body)
    return body
