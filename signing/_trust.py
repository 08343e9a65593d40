"""Trust anchors, validation contexts and the pre-signing certificate check."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal, TypedDict

from asn1crypto import x509  # type: ignore[import-untyped]
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors

from ._errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    KeySourceError,
)
from ._keys import LoadedKey, load_certificates
from ._models import Check, TrustConfig

__all__ = [
    "certificate_path_checks",
    "ensure_certificate_usable",
    "new_validation_context",
    "release",
    "trust_anchors",
    "validation_context_kwargs",
]


def trust_anchors(trust: TrustConfig) -> list[x509.Certificate]:
    anchors: list[x509.Certificate] = []
    for path in trust.trust_anchor_paths:
        try:
            anchors.extend(load_certificates(path))
        except (OSError, ValueError) as exc:
            raise KeySourceError(f"cannot read trust anchor {path}: {exc}") from exc
    if not anchors:
        raise KeySourceError("no trust anchors configured")
    return anchors


async def release(context: ValidationContext) -> None:
    """Close the HTTP sessions a validation context opened (while its loop still runs)."""
    await context.aclose()  # type: ignore[no-untyped-call]


async def _validate_usage(validator: CertificateValidator, usage: set[str]) -> None:
    await validator.async_validate_usage(usage)  # type: ignore[no-untyped-call]


class ContextOptions(TypedDict):
    """``ValidationContext``'s keyword arguments that the trust configuration decides."""

    trust_roots: list[x509.Certificate]
    allow_fetching: bool
    revocation_mode: Literal["hard-fail", "soft-fail", "require"]


def validation_context_kwargs(trust: TrustConfig) -> ContextOptions:
    return {
        "trust_roots": trust_anchors(trust),
        "allow_fetching": trust.allow_fetching,
        "revocation_mode": trust.revocation_mode,
    }


def new_validation_context(
    trust: TrustConfig, other_certs: Iterable[x509.Certificate] = ()
) -> ValidationContext:
    """A fresh context per operation: it owns HTTP sessions tied to one event loop."""
    return ValidationContext(other_certs=list(other_certs), **validation_context_kwargs(trust))


async def ensure_certificate_usable(
    key: LoadedKey, trust: TrustConfig, *, at: datetime | None = None
) -> None:
    """Refuse a signer certificate that is expired, not yet valid, revoked or untrusted.

    The validity window is checked first, locally, so that the error says exactly
    what is wrong; then the full path (chain + CRL/OCSP) is validated.
    """
    moment = at or datetime.now(UTC)
    identity = key.identity
    if moment < identity.not_valid_before:
        raise CertificateNotYetValid(
            f"certificate {identity.subject} is valid only from "
            f"{identity.not_valid_before.isoformat()}"
        )
    if moment > identity.not_valid_after:
        raise CertificateExpired(
            f"certificate {identity.subject} expired at {identity.not_valid_after.isoformat()}"
        )
    context = new_validation_context(trust, key.chain)
    validator = CertificateValidator(
        key.certificate, intermediate_certs=list(key.chain), validation_context=context
    )
    try:
        await _validate_usage(validator, {"digital_signature"})
    except cv_errors.RevokedError as exc:
        raise CertificateRevoked(f"certificate {identity.subject} is revoked: {exc}") from exc
    except cv_errors.ExpiredError as exc:
        raise CertificateExpired(f"certificate chain of {identity.subject}: {exc}") from exc
    except cv_errors.NotYetValidError as exc:
        raise CertificateNotYetValid(f"certificate chain of {identity.subject}: {exc}") from exc
    except (cv_errors.PathBuildingError, cv_errors.ValidationError) as exc:
        raise CertificateUntrusted(
            f"certificate {identity.subject} cannot be validated: {exc}"
        ) from exc
    finally:
        await release(context)


async def certificate_path_checks(
    certificate: x509.Certificate,
    others: Iterable[x509.Certificate],
    trust: TrustConfig,
    *,
    usage: frozenset[str] = frozenset({"digital_signature"}),
) -> list[Check]:
    """Chain and revocation checks, as report entries, for a bare certificate."""
    others = list(others)
    context = new_validation_context(trust, others)
    validator = CertificateValidator(
        certificate, intermediate_certs=others, validation_context=context
    )
    trusted = Check("chain", True, "chains to a configured trust anchor")
    try:
        await _validate_usage(validator, set(usage))
    except cv_errors.RevokedError as exc:
        return [trusted, Check("revocation", False, str(exc))]
    except cv_errors.InsufficientRevinfoError as exc:
        return [trusted, Check("revocation", False, f"revocation status unknown: {exc}")]
    except (cv_errors.PathBuildingError, cv_errors.ValidationError) as exc:
        return [
            Check("chain", False, f"certificate path not valid: {exc}"),
            Check("revocation", False, "not assessed: no valid certificate path"),
        ]
    finally:
        await release(context)
    return [trusted, Check("revocation", True, "not revoked (CRL/OCSP checked)")]
