"""The signing processor core: stored document in, stored signed document out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from ._errors import SigningError
from ._models import Signed, SigningConfig, SigningFailed, SignOutcome, SignRequest
from ._signer import async_sign_document
from ._store import DocumentStore, sha256_hex

__all__ = ["SigningService"]

logger = logging.getLogger("signing")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SigningService:
    """Signs stored documents. Every failure becomes a ``SigningFailed`` outcome.

    The service is the boundary towards the (future) Kafka processor, which must
    be able to turn any outcome into an event; hence no exception escapes.
    """

    def __init__(
        self,
        config: SigningConfig,
        store: DocumentStore,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock

    def sign_result(self, request: SignRequest) -> SignOutcome:
        """Synchronous entry point; use :meth:`async_sign_result` inside an event loop."""
        return asyncio.run(self.async_sign_result(request))

    async def async_sign_result(self, request: SignRequest) -> SignOutcome:
        try:
            return await self._sign(request)
        except SigningError as exc:
            logger.warning(
                "signing %s of dossier %s failed: %s",
                request.document_id,
                request.dossier_id,
                exc.reason_code,
            )
            return SigningFailed(request.document_id, exc.reason_code, str(exc))
        except Exception as exc:
            # A bug or an error class not yet translated: report it, don't crash the
            # consumer loop. The traceback goes to the log, never to the event.
            logger.exception("unexpected error signing %s", request.document_id)
            return SigningFailed(
                request.document_id, "internal_error", f"{type(exc).__name__}: {exc}"
            )

    async def _sign(self, request: SignRequest) -> Signed:
        original = self._store.get(request.document_key)
        signed = await async_sign_document(
            original, media_type=request.media_type, level=request.level, config=self._config
        )
        signed_key = self._store.put(signed.content)
        return Signed(
            document_id=request.document_id,
            original_sha256=sha256_hex(original),
            signed_sha256=signed_key,
            signed_key=signed_key,
            signer_cert_sha256=signed.signer.certificate_sha256,
            signer_subject=signed.signer.subject,
            signature_level=signed.level,
            timestamp_time=signed.timestamp_time,
            signed_at=self._clock(),
        )
