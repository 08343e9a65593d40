"""RFC 3161 both ways, through pyHanko (the ``signing`` extra, imported when used): a token over
a chain head from the configured TSA, and a token checked against a head and trust anchors.

The stamped "message" is the chain entry itself: its hash is the token's message imprint
(SHA-256), so a verifier compares the imprint with the entry's hash, nothing re-hashed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from connectors.evidence._errors import TimestampUnavailable


def request_token(url: str, head: str, timeout_s: float) -> bytes:
    """A DER ``ContentInfo(SignedData)`` time-stamp token whose imprint is ``head``."""
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    stamper = HTTPTimeStamper(url, timeout=timeout_s)
    try:
        token = asyncio.run(stamper.async_timestamp(bytes.fromhex(head), "sha256"))
    except (TimestampRequestError, OSError, ValueError) as exc:
        # requests' errors are OSErrors; a malformed answer is a ValueError of asn1crypto
        raise TimestampUnavailable(f"TSA {url}: {type(exc).__name__}: {exc}") from exc
    der: bytes = token.dump()
    return der


@dataclass(frozen=True)
class TokenCheck:
    """What a token says and whether it holds: ``problem`` None when it does."""

    time: datetime | None
    tsa: str
    problem: str | None


def check_token(token: bytes, head: str, trust_anchors: tuple[Path, ...]) -> TokenCheck:
    """Whether ``token`` is a TSA's intact signature over imprint ``head``, by a certificate
    chaining to ``trust_anchors`` with the time-stamping usage."""
    return asyncio.run(_check(token, head, trust_anchors))


async def _check(token: bytes, head: str, trust_anchors: tuple[Path, ...]) -> TokenCheck:
    from asn1crypto import cms  # type: ignore[import-untyped]
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.sign.general import extract_certificate_info
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus
    from pyhanko_certvalidator import ValidationContext

    try:
        signed_data = cms.ContentInfo.load(token)["content"]
        tst_info = signed_data["encap_content_info"]["content"].parsed
        imprint = tst_info["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        tsa = extract_certificate_info(signed_data).signer_cert.subject.human_friendly
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return TokenCheck(None, "", f"not a time-stamp token: {type(exc).__name__}: {exc}")
    if algorithm != "sha256" or imprint["hashed_message"].native != bytes.fromhex(head):
        return TokenCheck(tst_info["gen_time"].native, tsa, "its imprint is not the chain head")
    context = ValidationContext(
        trust_roots=list(load_certs_from_pemder([str(p) for p in trust_anchors])),  # type: ignore[no-untyped-call]
        allow_fetching=False, revocation_mode="soft-fail",
    )  # fmt: skip
    try:
        kwargs = await validate_tst_signed_data(signed_data, context, lambda _: bytes.fromhex(head))
        status = TimestampSignatureStatus(**kwargs)
    except (SignatureValidationError, ValueError) as exc:
        return TokenCheck(tst_info["gen_time"].native, tsa, f"token does not verify: {exc}")
    if not status.intact or not status.valid:
        return TokenCheck(status.timestamp, tsa, "the TSA's signature does not verify")
    if not status.trusted:
        return TokenCheck(
            status.timestamp, tsa, "the TSA certificate does not chain to a trust anchor"
        )
    return TokenCheck(status.timestamp, tsa, None)
