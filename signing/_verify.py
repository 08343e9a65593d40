"""Verification of signed PDFs, enveloped XML signatures and detached CMS signatures.

Every signature yields a list of named checks (integrity, coverage, chain,
revocation, timestamp) instead of a single boolean, so an operator can see
*what* is wrong with a document a citizen brings in.
"""

from __future__ import annotations

import asyncio
import hashlib
from io import BytesIO
from pathlib import Path

from asn1crypto import cms, x509  # type: ignore[import-untyped]
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    StandardCMSSignatureStatus,
    async_validate_detached_cms,
    async_validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext

from ._keys import identity_of
from ._models import Check, SignatureReport, TrustConfig, VerificationReport
from ._trust import (
    ContextOptions,
    certificate_path_checks,
    new_validation_context,
    release,
    validation_context_kwargs,
)
from ._xml_verify import verify_xml_signature

__all__ = ["async_verify", "detect_media_type", "verify"]

# What pyHanko/asn1crypto raise on structurally broken signatures (pyHanko's own
# validation errors all derive from ValueError).
_MALFORMED = (ValueError, KeyError, TypeError)

# Sub-indications that mean "revocation could not be established", not "bad chain".
_REVOCATION_UNKNOWN = frozenset({AdESIndeterminate.TRY_LATER})


def detect_media_type(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in data[:1024]:
        return "application/pdf"
    if head.startswith(b"<"):
        return "application/xml"
    return "application/octet-stream"


def _read(source: bytes | Path) -> bytes:
    return source.read_bytes() if isinstance(source, Path) else source


def _cms_checks(status: StandardCMSSignatureStatus) -> list[Check]:
    """Checks shared by PAdES and detached CMS, from pyHanko's validation status."""
    checks = []
    if status.intact and status.valid:
        checks.append(Check("integrity", True, "document digest and signature value match"))
    elif not status.intact:
        checks.append(Check("integrity", False, "document was modified after signing"))
    else:
        checks.append(Check("integrity", False, "signature value does not verify"))

    indication = status.trust_problem_indic
    if status.revoked:
        details = status.revocation_details
        when = details.revocation_date.isoformat() if details else "unknown time"
        checks.append(Check("chain", True, "chains to a configured trust anchor"))
        checks.append(Check("revocation", False, f"signer certificate revoked at {when}"))
    elif indication is None and status.validation_path is not None:
        checks.append(Check("chain", True, "chains to a configured trust anchor"))
        checks.append(Check("revocation", True, "not revoked (CRL/OCSP checked)"))
    elif indication in _REVOCATION_UNKNOWN:
        checks.append(Check("chain", True, "chains to a configured trust anchor"))
        checks.append(Check("revocation", False, "revocation status could not be established"))
    else:
        name = str(getattr(indication, "name", indication or "NO_CERTIFICATE_CHAIN_FOUND"))
        checks.append(Check("chain", False, f"certificate path not valid: {name}"))
        checks.append(Check("revocation", False, "not assessed: no valid certificate path"))

    timestamp = status.timestamp_validity
    if timestamp is not None:
        if timestamp.intact and timestamp.valid and timestamp.trusted:
            checks.append(
                Check(
                    "timestamp", True, f"RFC 3161 token, genTime {timestamp.timestamp.isoformat()}"
                )
            )
        else:
            checks.append(
                Check("timestamp", False, f"timestamp token invalid: {timestamp.summary()}")
            )
    return checks


async def _signature_checks(
    status: StandardCMSSignatureStatus, signed_data: cms.SignedData, trust: TrustConfig
) -> list[Check]:
    checks = _cms_checks(status)
    if status.trust_problem_indic is not AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE:
        return checks
    # pyHanko folds many path errors (e.g. "no revocation information") into this
    # one sub-indication; ask the path validator directly for the precise reason.
    embedded = [choice.chosen for choice in signed_data["certificates"] or ()]
    others = [cert for cert in embedded if isinstance(cert, x509.Certificate)]
    precise = {c.name: c for c in await certificate_path_checks(status.signing_cert, others, trust)}
    return [precise.get(check.name, check) for check in checks]


def _report(status: StandardCMSSignatureStatus, fmt: str, checks: list[Check]) -> SignatureReport:
    timestamp = status.timestamp_validity
    return SignatureReport(
        format=fmt,
        signer=identity_of(status.signing_cert),
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp.timestamp if timestamp is not None else None,
        checks=tuple(checks),
    )


async def _validate_with(
    embedded: EmbeddedPdfSignature, context: ValidationContext
) -> PdfSignatureStatus:
    try:
        return await async_validate_pdf_signature(
            embedded, signer_validation_context=context, ts_validation_context=context
        )
    finally:
        await release(context)


async def _validate_embedded(
    reader: PdfFileReader, embedded: EmbeddedPdfSignature, trust: TrustConfig, *, has_dss: bool
) -> PdfSignatureStatus:
    if has_dss:
        # B-LT: first only the OCSP responses/CRLs captured at signing time, so the
        # signature still validates when the CA's services are unreachable today...
        offline: ContextOptions = {**validation_context_kwargs(trust), "allow_fetching": False}
        dss = DocumentSecurityStore.read_dss(reader)
        status = await _validate_with(embedded, dss.as_validation_context(offline))
        if status.trusted or status.revoked:
            return status
        # ...and if those do not settle it, current information from the CA.
    return await _validate_with(embedded, new_validation_context(trust))


async def _verify_pdf(data: bytes, trust: TrustConfig) -> tuple[list[SignatureReport], list[str]]:
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
        has_dss = "/DSS" in reader.root
    except Exception as exc:
        # pyHanko's reader raises many different error types on malformed input.
        return [], [f"not a readable PDF: {type(exc).__name__}: {exc}"]
    if not signatures:
        return [], ["PDF carries no signature"]
    reports, problems = [], []
    for number, embedded in enumerate(signatures, start=1):
        try:
            status = await _validate_embedded(reader, embedded, trust, has_dss=has_dss)
            checks = await _signature_checks(status, embedded.signed_data, trust)
        except _MALFORMED as exc:
            problems.append(f"signature {number} is malformed: {type(exc).__name__}: {exc}")
            continue
        coverage = status.coverage
        if coverage is SignatureCoverageLevel.ENTIRE_FILE:
            checks.insert(1, Check("coverage", True, "signature covers the entire file"))
        elif coverage is SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok:
            checks.insert(1, Check("coverage", True, "later revisions only add allowed updates"))
        else:
            seen = coverage.name if coverage is not None else "unknown"
            checks.insert(1, Check("coverage", False, f"document changed after signing ({seen})"))
        if embedded.sig_object.get("/SubFilter") == "/ETSI.CAdES.detached":
            level = "B_LT" if has_dss else "B_T" if status.timestamp_validity else "B_B"
            fmt = f"PADES_{level}"
        else:
            fmt = "PDF_PKCS7_DETACHED"
        reports.append(_report(status, fmt, checks))
    return reports, problems


async def _verify_detached_cms(
    data: bytes, signature: bytes, trust: TrustConfig
) -> tuple[list[SignatureReport], list[str]]:
    try:
        content_info = cms.ContentInfo.load(signature)
        if content_info["content_type"].native != "signed_data":
            raise ValueError(f"content type is {content_info['content_type'].native}")
        signed_data = content_info["content"]
        signed_data["signer_infos"]  # force parsing now, not inside pyHanko
    except (ValueError, TypeError, KeyError) as exc:
        return [], [f"signature file is not a CMS SignedData structure: {exc}"]
    context = new_validation_context(trust)
    try:
        status = await async_validate_detached_cms(
            data, signed_data, signer_validation_context=context
        )
        checks = await _signature_checks(status, signed_data, trust)
    except _MALFORMED as exc:
        return [], [f"signature is malformed: {type(exc).__name__}: {exc}"]
    finally:
        await release(context)
    return [_report(status, "CMS_DETACHED", checks)], []


async def async_verify(
    document: bytes | Path,
    *,
    trust: TrustConfig,
    signature: bytes | Path | None = None,
) -> VerificationReport:
    """Verify every signature on ``document`` (or the detached ``signature`` over it)."""
    data = _read(document)
    digest = hashlib.sha256(data).hexdigest()
    if signature is not None:
        reports, problems = await _verify_detached_cms(data, _read(signature), trust)
        media_type = detect_media_type(data)
    else:
        media_type = detect_media_type(data)
        if media_type == "application/pdf":
            reports, problems = await _verify_pdf(data, trust)
        elif media_type == "application/xml":
            reports, problems = await verify_xml_signature(data, trust)
        else:
            reports, problems = (
                [],
                ["not a PDF or XML document; a detached CMS signature file is needed to verify it"],
            )
    return VerificationReport(digest, media_type, tuple(reports), tuple(problems))


def verify(
    document: bytes | Path,
    *,
    trust: TrustConfig,
    signature: bytes | Path | None = None,
) -> VerificationReport:
    """Synchronous :func:`async_verify` (not for use inside a running event loop)."""
    return asyncio.run(async_verify(document, trust=trust, signature=signature))
