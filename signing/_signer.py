"""Signing one document: pick the format for the media type, check the key, sign."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import HTTPTimeStamper

from ._cms import sign_detached_cms
from ._cmsutil import timestamp_time_of
from ._errors import CorruptDocument, TimestampError, UnsupportedDocument
from ._keys import LoadedKey, open_key_source
from ._models import SignatureLevel, SignerIdentity, SigningConfig
from ._pades import PADES_LEVELS, sign_pdf
from ._trust import ensure_certificate_usable, new_validation_context, release
from ._xml import sign_xml_enveloped

__all__ = [
    "SignedDocument",
    "async_sign_document",
    "async_sign_with_key",
    "is_xml_media_type",
    "sign_document",
]

PDF_MEDIA_TYPE = "application/pdf"


def is_xml_media_type(media_type: str) -> bool:
    essence = media_type.split(";")[0].strip().lower()
    return essence in ("application/xml", "text/xml") or essence.endswith("+xml")


@dataclass(frozen=True)
class SignedDocument:
    """``content`` is the signed PDF/XML, or for CMS_DETACHED the DER signature alone."""

    content: bytes
    level: SignatureLevel
    signer: SignerIdentity
    timestamp_time: datetime | None


def _check_level_fits(media_type: str, level: SignatureLevel) -> None:
    essence = media_type.split(";")[0].strip().lower()
    if level in PADES_LEVELS and essence != PDF_MEDIA_TYPE:
        raise UnsupportedDocument(f"{level} needs a PDF, got {media_type}")
    if level is SignatureLevel.XMLDSIG_ENVELOPED and not is_xml_media_type(media_type):
        raise UnsupportedDocument(f"{level} needs an XML document, got {media_type}")


async def _sign_pades_with_fallback(
    data: bytes, key: LoadedKey, level: SignatureLevel, config: SigningConfig
) -> tuple[bytes, SignatureLevel]:
    if not level.needs_timestamp:
        content = await sign_pdf(
            data, key, level, timestamper=None, reason=config.reason, location=config.location
        )
        return content, level
    try:
        if config.tsa is None:
            raise TimestampError(f"{level} requested but no TSA URL is configured")
        timestamper = HTTPTimeStamper(config.tsa.tsa_url, timeout=config.tsa.timeout_seconds)
        context = new_validation_context(config.trust, key.chain)
        try:
            content = await sign_pdf(
                data,
                key,
                level,
                timestamper=timestamper,
                validation_context=context,
                reason=config.reason,
                location=config.location,
            )
        finally:
            await release(context)
        return content, level
    except TimestampError as exc:
        if not config.tsa_fallback_to_bb:
            where = f" ({config.tsa.tsa_url})" if config.tsa is not None else ""
            raise TimestampError(f"{exc}{where}; B-B fallback is not enabled") from exc
    # Configured degradation: a B-B signature now beats no signature; B-T can be
    # added later by re-timestamping.
    fallback = SignatureLevel.PADES_B_B
    content = await sign_pdf(
        data, key, fallback, timestamper=None, reason=config.reason, location=config.location
    )
    return content, fallback


def _pdf_timestamp_time(signed_pdf: bytes) -> datetime | None:
    signatures = PdfFileReader(BytesIO(signed_pdf), strict=False).embedded_signatures
    return timestamp_time_of(signatures[-1].signer_info) if signatures else None


async def async_sign_with_key(
    data: bytes, *, media_type: str, level: SignatureLevel, key: LoadedKey, config: SigningConfig
) -> SignedDocument:
    """Sign with an already opened (and already checked) key."""
    _check_level_fits(media_type, level)
    if not data:
        raise CorruptDocument("document is empty")
    if level in PADES_LEVELS:
        content, level = await _sign_pades_with_fallback(data, key, level, config)
        # Re-reading the PDF costs ~20 ms; only timestamped levels have a time to report.
        timestamp_time = _pdf_timestamp_time(content) if level.needs_timestamp else None
        return SignedDocument(content, level, key.identity, timestamp_time)
    if level is SignatureLevel.XMLDSIG_ENVELOPED:
        content = await sign_xml_enveloped(data, key)
        return SignedDocument(content, level, key.identity, None)
    if level is SignatureLevel.CMS_DETACHED:
        content = await sign_detached_cms(data, key)
        return SignedDocument(content, level, key.identity, None)
    raise UnsupportedDocument(f"unknown signature level {level}")


async def async_sign_document(
    data: bytes, *, media_type: str, level: SignatureLevel, config: SigningConfig
) -> SignedDocument:
    """Open the key source, refuse an unusable certificate, then sign."""
    _check_level_fits(media_type, level)
    with open_key_source(config.key_source) as key:
        await ensure_certificate_usable(key, config.trust)
        return await async_sign_with_key(
            data, media_type=media_type, level=level, key=key, config=config
        )


def sign_document(
    data: bytes, *, media_type: str, level: SignatureLevel, config: SigningConfig
) -> SignedDocument:
    """Synchronous wrapper around :func:`async_sign_document` (not for use inside a loop)."""
    return asyncio.run(async_sign_document(data, media_type=media_type, level=level, config=config))
