"""Digital signatures for the electronic results of administrative procedures.

Results are signed with the issuing agency's key (a PKCS#12 file or a PKCS#11
token) under the government PKI:

* PDF  -> PAdES baseline B-B / B-T / B-LT (pyHanko),
* XML  -> enveloped XMLDSig (signxml),
* anything else -> detached CMS / PKCS#7.

Before signing, the signer certificate is checked: validity window, chain to
the configured trust anchors and revocation (CRL/OCSP). ``verify`` reports,
check by check, whether a signed document is intact, trusted, unrevoked and
timestamped.

Exception hierarchy (``reason_code`` in brackets, as it appears in
``SigningFailed`` outcomes)::

    SigningError                         [signing_error]
    ├── CertificateNotUsable             [certificate_not_usable]
    │   ├── CertificateExpired           [certificate_expired]
    │   ├── CertificateNotYetValid       [certificate_not_yet_valid]
    │   ├── CertificateRevoked           [certificate_revoked]
    │   └── CertificateUntrusted         [certificate_untrusted]
    ├── TimestampError                   [timestamp_unavailable]
    ├── UnsupportedDocument              [unsupported_document]
    ├── CorruptDocument                  [corrupt_document]
    ├── DocumentNotFound                 [document_not_found]
    └── KeySourceError                   [key_source_error]

Errors of the underlying libraries are translated into this hierarchy in one
place (``signing._errors.translated_errors``) and chained with ``from``.
"""

from ._errors import (
    CertificateExpired,
    CertificateNotUsable,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUntrusted,
    CorruptDocument,
    DocumentNotFound,
    KeySourceError,
    SigningError,
    TimestampError,
    UnsupportedDocument,
)
from ._models import (
    VIETNAM_TZ,
    Check,
    KeySourceConfig,
    SignatureLevel,
    SignatureReport,
    Signed,
    SignerIdentity,
    SigningConfig,
    SigningFailed,
    SignOutcome,
    SignRequest,
    TimestampConfig,
    TrustConfig,
    VerificationReport,
)
from ._service import SigningService
from ._signer import SignedDocument, async_sign_document, sign_document
from ._store import DocumentStore, LocalDocumentStore
from ._verify import async_verify, detect_media_type, verify

__all__ = [
    "VIETNAM_TZ",
    "CertificateExpired",
    "CertificateNotUsable",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateUntrusted",
    "Check",
    "CorruptDocument",
    "DocumentNotFound",
    "DocumentStore",
    "KeySourceConfig",
    "KeySourceError",
    "LocalDocumentStore",
    "SignOutcome",
    "SignRequest",
    "SignatureLevel",
    "SignatureReport",
    "Signed",
    "SignedDocument",
    "SignerIdentity",
    "SigningConfig",
    "SigningError",
    "SigningFailed",
    "SigningService",
    "TimestampConfig",
    "TimestampError",
    "TrustConfig",
    "UnsupportedDocument",
    "VerificationReport",
    "async_sign_document",
    "async_verify",
    "detect_media_type",
    "sign_document",
    "verify",
]
