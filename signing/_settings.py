"""Configuration from the environment, for the CLI and the HTTP API.

Secrets (PKCS#12 password, token PIN) are read only from the environment,
never from command-line arguments, which other users can see in ``ps``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ._errors import KeySourceError
from ._models import KeySourceConfig, SigningConfig, TimestampConfig, TrustConfig
from ._trust import trust_anchors

__all__ = [
    "ENV_PREFIX",
    "key_source_from_env",
    "signing_config_from_env",
    "trust_config_from_env",
    "verify_fetch_allow_from_env",
]

ENV_PREFIX = "DVC_SIGNING_"
#: URL prefixes ``POST /v1/verify`` may fetch CRLs, OCSP responses and issuer certificates from.
VERIFY_FETCH_ALLOW = "DVC_VERIFY_FETCH_ALLOW"


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(ENV_PREFIX + name)
    return value if value else None


def trust_config_from_env(
    env: Mapping[str, str] | None = None, extra_anchors: tuple[Path, ...] = ()
) -> TrustConfig:
    env = os.environ if env is None else env
    listed = _get(env, "TRUST_ANCHORS")
    anchors = tuple(Path(p) for p in listed.split(os.pathsep) if p) if listed else ()
    anchors += extra_anchors
    if not anchors:
        raise KeySourceError(
            f"no trust anchors: pass --trust-anchor or set {ENV_PREFIX}TRUST_ANCHORS"
        )
    revocation = _get(env, "REVOCATION_MODE") or "hard-fail"
    if revocation not in ("hard-fail", "soft-fail", "require"):
        raise KeySourceError(f"unknown revocation mode {revocation!r}")
    config = TrustConfig(trust_anchor_paths=anchors, revocation_mode=revocation)  # type: ignore[arg-type]
    trust_anchors(config)  # unreadable anchors are a configuration error: report it now
    return config


def key_source_from_env(env: Mapping[str, str]) -> KeySourceConfig:
    kind = _get(env, "KEY_KIND") or "pkcs12"
    try:
        if kind == "pkcs12":
            path = _get(env, "PKCS12_PATH")
            password = _get(env, "PKCS12_PASSWORD")
            return KeySourceConfig(
                kind="pkcs12",
                pkcs12_path=Path(path) if path else None,
                pkcs12_password=password.encode() if password else None,
            )
        if kind == "pkcs11":
            library = _get(env, "PKCS11_LIBRARY")
            return KeySourceConfig(
                kind="pkcs11",
                pkcs11_library=Path(library) if library else None,
                token_label=_get(env, "TOKEN_LABEL"),
                user_pin=_get(env, "TOKEN_PIN"),
                key_label=_get(env, "KEY_LABEL"),
                cert_label=_get(env, "CERT_LABEL"),
            )
    except ValueError as exc:
        raise KeySourceError(f"{exc} (set the matching {ENV_PREFIX}* variables)") from exc
    raise KeySourceError(f"{ENV_PREFIX}KEY_KIND must be pkcs12 or pkcs11, not {kind!r}")


def signing_config_from_env(
    env: Mapping[str, str] | None = None,
    *,
    key_source: KeySourceConfig | None = None,
    trust: TrustConfig | None = None,
    tsa_url: str | None = None,
    tsa_fallback_to_bb: bool | None = None,
) -> SigningConfig:
    """Environment first, explicit arguments override."""
    env = os.environ if env is None else env
    tsa = tsa_url or _get(env, "TSA_URL")
    fallback = (_get(env, "TSA_FALLBACK_TO_BB") or "").lower() in ("1", "true", "yes")
    return SigningConfig(
        key_source=key_source or key_source_from_env(env),
        trust=trust or trust_config_from_env(env),
        tsa=TimestampConfig(tsa) if tsa else None,
        tsa_fallback_to_bb=fallback if tsa_fallback_to_bb is None else tsa_fallback_to_bb,
        reason=_get(env, "REASON"),
        location=_get(env, "LOCATION"),
    )


def verify_fetch_allow_from_env(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """``DVC_VERIFY_FETCH_ALLOW``: http(s) URL prefixes separated by commas or spaces, e.g.
    ``http://crl.ca.gov.vn/,http://ocsp.ca.gov.vn/``; empty (the default) means no fetching."""
    env = os.environ if env is None else env
    prefixes = tuple(p for p in env.get(VERIFY_FETCH_ALLOW, "").replace(",", " ").split() if p)
    for prefix in prefixes:
        scheme, _, rest = prefix.partition("://")
        if scheme not in ("http", "https") or not rest.split("/")[0]:
            raise KeySourceError(f"{VERIFY_FETCH_ALLOW}: {prefix!r} is not an http(s) URL prefix")
    return prefixes
