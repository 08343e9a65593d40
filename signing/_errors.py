"""The signing exception hierarchy, and the one place foreign errors are translated.

Every error that pyHanko, pyhanko-certvalidator, python-pkcs11, signxml or the
cryptography package raises while we sign or load keys is turned into one of
these classes by :func:`translated_errors`, always chained with ``raise ... from``
so the original traceback stays available for debugging.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "CertificateExpired",
    "CertificateNotUsable",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateUntrusted",
    "CorruptDocument",
    "DocumentNotFound",
    "KeySourceError",
    "SigningError",
    "TimestampError",
    "UnsupportedDocument",
    "translated_errors",
]


class SigningError(Exception):
    """Base class of every error raised by the ``signing`` package.

    ``reason_code`` is a stable, machine-readable identifier that ends up in
    ``SigningFailed.reason_code`` and in HTTP error bodies.
    """

    reason_code = "signing_error"


class CertificateNotUsable(SigningError):
    """The signer certificate must not be used to sign right now."""

    reason_code = "certificate_not_usable"


class CertificateExpired(CertificateNotUsable):
    reason_code = "certificate_expired"


class CertificateNotYetValid(CertificateNotUsable):
    reason_code = "certificate_not_yet_valid"


class CertificateRevoked(CertificateNotUsable):
    reason_code = "certificate_revoked"


class CertificateUntrusted(CertificateNotUsable):
    """No valid path to a trust anchor, or revocation status could not be established."""

    reason_code = "certificate_untrusted"


class TimestampError(SigningError):
    """The time-stamping authority could not be reached or gave an unusable token."""

    reason_code = "timestamp_unavailable"


class UnsupportedDocument(SigningError):
    """The media type / signature level combination is not something we sign."""

    reason_code = "unsupported_document"


class CorruptDocument(SigningError):
    """The document claims a format it does not actually have (e.g. a broken PDF)."""

    reason_code = "corrupt_document"


class DocumentNotFound(SigningError):
    reason_code = "document_not_found"


class KeySourceError(SigningError):
    """The key or certificate could not be loaded (wrong PIN/password, missing token...)."""

    reason_code = "key_source_error"


@contextmanager
def translated_errors(context: str) -> Iterator[None]:
    """Translate foreign library errors raised inside the block into our hierarchy.

    ``context`` names the operation, so a message reads e.g.
    "PAdES signing failed: ...". Our own errors pass through untouched.
    """
    # Imported lazily: this module must stay importable without the heavy deps.
    import pkcs11.exceptions as p11_errors
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.sign.general import SigningError as HankoSigningError
    from pyhanko.sign.timestamps import TimestampRequestError

    try:
        yield
    except SigningError:
        raise
    except TimestampRequestError as exc:
        raise TimestampError(f"{context}: time-stamping authority failed: {exc}") from exc
    except PdfReadError as exc:
        raise CorruptDocument(f"{context}: not a readable PDF: {exc}") from exc
    except p11_errors.PKCS11Error as exc:
        # python-pkcs11 messages come from return codes and pyHanko's from labels;
        # neither ever contains the PIN.
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise KeySourceError(f"{context}: PKCS#11 token error: {detail}") from exc
    except HankoSigningError as exc:
        raise SigningError(f"{context}: {exc}") from exc
