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

Also here: the Kafka processor (``SigningProcessor``, on ``hub.processing.ConsumeLoop``; its
worker ``dvchub worker signing`` is ``signing._worker.SPEC``), the hub's apology letters
(``signing._apology``: rendered, signed, recorded as ApologyIssued; ``dvchub worker apology``
is ``signing._apology_worker.SPEC``), configuration from
``DVC_SIGNING_*`` (``signing_config_from_env``), the ``POST /v1/verify`` router
(``verification_router``) and report rendering. ``signing.testing`` holds the
throwaway test PKI and SoftHSM tokens of the tests, bench and demo.
"""

from ._apology import ApologyWriter
from ._apology_worker import ApologyProcessor
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
from ._http import MAX_UPLOAD_BYTES, get_trust_config
from ._http import router as verification_router
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
from ._processor import SigningProcessor, options_for, outcome_event_id
from ._report import render_report, report_as_dict
from ._service import SigningService
from ._settings import (
    ENV_PREFIX,
    key_source_from_env,
    signing_config_from_env,
    trust_config_from_env,
)
from ._signer import PDF_MEDIA_TYPE, SignedDocument, async_sign_document, sign_document
from ._store import DocumentStore, LocalDocumentStore
from ._verify import async_verify, detect_media_type, verify

__all__ = [
    "ENV_PREFIX",
    "MAX_UPLOAD_BYTES",
    "PDF_MEDIA_TYPE",
    "VIETNAM_TZ",
    "ApologyProcessor",
    "ApologyWriter",
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
    "SigningProcessor",
    "SigningService",
    "TimestampConfig",
    "TimestampError",
    "TrustConfig",
    "UnsupportedDocument",
    "VerificationReport",
    "async_sign_document",
    "async_verify",
    "detect_media_type",
    "get_trust_config",
    "key_source_from_env",
    "options_for",
    "outcome_event_id",
    "render_report",
    "report_as_dict",
    "sign_document",
    "signing_config_from_env",
    "trust_config_from_env",
    "verification_router",
    "verify",
]
