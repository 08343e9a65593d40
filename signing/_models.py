"""Frozen value objects: configuration, sign requests/outcomes and verification reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "VIETNAM_TZ",
    "Check",
    "KeySourceConfig",
    "SignOutcome",
    "SignRequest",
    "SignatureLevel",
    "SignatureReport",
    "Signed",
    "SignerIdentity",
    "SigningConfig",
    "SigningFailed",
    "TimestampConfig",
    "TrustConfig",
    "VerificationReport",
]

# Anything shown to people is rendered in the provinces' local time.
VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class SignatureLevel(enum.StrEnum):
    CMS_DETACHED = "CMS_DETACHED"
    PADES_B_B = "PADES_B_B"
    PADES_B_T = "PADES_B_T"
    PADES_B_LT = "PADES_B_LT"
    XMLDSIG_ENVELOPED = "XMLDSIG_ENVELOPED"

    @property
    def needs_timestamp(self) -> bool:
        return self in (SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT)


@dataclass(frozen=True)
class KeySourceConfig:
    """Where the agency's signing key lives.

    ``kind="pkcs12"`` needs ``pkcs12_path`` (+ ``pkcs12_password``);
    ``kind="pkcs11"`` needs ``pkcs11_library``, ``token_label``, ``user_pin`` and
    ``key_label`` (``cert_label`` defaults to ``key_label``). Secrets are kept out
    of ``repr`` so configs can be logged safely.
    """

    kind: Literal["pkcs12", "pkcs11"]
    pkcs12_path: Path | None = None
    pkcs12_password: bytes | None = field(default=None, repr=False)
    pkcs11_library: Path | None = None
    token_label: str | None = None
    user_pin: str | None = field(default=None, repr=False)
    key_label: str | None = None
    cert_label: str | None = None
    # CA certificates to embed alongside the signer certificate (PEM or DER files).
    extra_cert_paths: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "pkcs12":
            if self.pkcs12_path is None:
                raise ValueError("KeySourceConfig(kind='pkcs12') needs pkcs12_path")
        elif self.kind == "pkcs11":
            missing = [
                name
                for name in ("pkcs11_library", "token_label", "user_pin", "key_label")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"KeySourceConfig(kind='pkcs11') needs {', '.join(missing)}")
        else:
            raise ValueError(f"unknown key source kind {self.kind!r}")


@dataclass(frozen=True)
class TrustConfig:
    """Trust anchors (root CA certificates) and how strictly revocation is enforced."""

    trust_anchor_paths: tuple[Path, ...]
    # Fetch CRLs/OCSP responses from the URLs in the certificates.
    allow_fetching: bool = True
    # "hard-fail": missing revocation information makes a certificate unusable.
    revocation_mode: Literal["hard-fail", "soft-fail", "require"] = "hard-fail"


@dataclass(frozen=True)
class TimestampConfig:
    tsa_url: str
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class SigningConfig:
    key_source: KeySourceConfig
    trust: TrustConfig
    tsa: TimestampConfig | None = None
    # When the TSA is unreachable, sign B-B instead of failing a B-T/B-LT request.
    tsa_fallback_to_bb: bool = False
    reason: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class SignerIdentity:
    """Which certificate signed: what we record alongside every signature."""

    certificate_sha256: str
    subject: str
    issuer: str
    serial_number: int
    not_valid_before: datetime
    not_valid_after: datetime


@dataclass(frozen=True)
class SignRequest:
    dossier_id: str
    document_id: str
    document_key: str
    media_type: str
    level: SignatureLevel


@dataclass(frozen=True)
class Signed:
    document_id: str
    original_sha256: str
    signed_sha256: str
    signed_key: str
    signer_cert_sha256: str
    signer_subject: str
    signature_level: SignatureLevel
    timestamp_time: datetime | None
    signed_at: datetime


@dataclass(frozen=True)
class SigningFailed:
    document_id: str
    reason_code: str
    reason: str


SignOutcome = Signed | SigningFailed


@dataclass(frozen=True)
class Check:
    """One named verification step; ``detail`` says why it passed or failed."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class SignatureReport:
    format: str
    signer: SignerIdentity | None
    signing_time: datetime | None
    timestamp_time: datetime | None
    checks: tuple[Check, ...]

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)


@dataclass(frozen=True)
class VerificationReport:
    document_sha256: str
    media_type: str
    signatures: tuple[SignatureReport, ...]
    # Document-level problems (unreadable file, no signature found...).
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return (
            not self.problems
            and bool(self.signatures)
            and all(signature.valid for signature in self.signatures)
        )
