"""API-key authentication: each key belongs to one source system, which may write some endpoints.

``DVC_PORTAL_API_KEYS`` holds comma-separated ``SOURCE_SYSTEM:key`` pairs (the key is everything
after the first colon, so it may contain colons). Which system may write what:

==================  =================  ============================
endpoint            who may write      why
==================  =================  ============================
POST /v1/events     PROVINCIAL_PORTAL,  the systems where officials
                    NATIONAL_PORTAL,    record lifecycle facts
                    ONE_STOP_DESK
PUT /v1/procedures  PROVINCIAL_PORTAL   the province owns its catalogue
==================  =================  ============================

VNPost, payment providers and the signing service have their own connectors: a key of theirs
is authenticated here (so the answer is 403, not 401) but may write nothing.

Keys are compared by their SHA-256 digests with ``hmac.compare_digest`` against every configured
key, without stopping at the first match, so timing reveals neither a key's prefix nor its
length. Keys are never logged; only the source system is.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

SOURCE_SYSTEMS = frozenset({
    "PROVINCIAL_PORTAL", "NATIONAL_PORTAL", "ONE_STOP_DESK", "VNPOST", "PAYMENT_PROVIDER",
    "HUB", "SIGNING",
})  # fmt: skip


class Endpoint(Enum):
    """What a request wants to write."""

    EVENTS = "POST /v1/events"
    PROCEDURES = "PUT /v1/procedures/{code}"


WRITERS: Mapping[Endpoint, frozenset[str]] = {
    Endpoint.EVENTS: frozenset({"PROVINCIAL_PORTAL", "NATIONAL_PORTAL", "ONE_STOP_DESK"}),
    Endpoint.PROCEDURES: frozenset({"PROVINCIAL_PORTAL"}),
}


@dataclass(frozen=True)
class Caller:
    """An authenticated client: the source system its key belongs to."""

    source: str

    def may_write(self, endpoint: Endpoint) -> bool:
        return self.source in WRITERS[endpoint]


class AuthError(Exception):
    """Authentication failed; ``status`` is 401 (who are you?) or 403 (not allowed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class _KeyEntry:
    digest: bytes
    source: str


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def parse_api_keys(spec: str) -> tuple[_KeyEntry, ...]:
    """Parse ``SYSTEM:key,SYSTEM:key``; raises ``ValueError`` naming the bad entry's position."""
    entries: list[_KeyEntry] = []
    for position, raw in enumerate(spec.split(","), start=1):
        item = raw.strip()
        if not item:
            continue
        source, sep, key = item.partition(":")
        source = source.strip().upper()
        if not sep or not key:
            raise ValueError(f"API key entry {position} is not SOURCE_SYSTEM:key")
        if source not in SOURCE_SYSTEMS:
            raise ValueError(f"API key entry {position}: unknown source system {source!r}")
        if len(key) < 8:
            raise ValueError(f"API key entry {position} ({source}): key shorter than 8 characters")
        entries.append(_KeyEntry(_digest(key), source))
    if not entries:
        raise ValueError("no API keys configured: anonymous writes are not allowed")
    if len({e.digest for e in entries}) != len(entries):
        raise ValueError("the same API key is configured twice")
    return tuple(entries)


class ApiKeyAuthenticator:
    """Maps an ``X-API-Key`` header value to a ``Caller``."""

    def __init__(self, spec: str) -> None:
        self._entries = parse_api_keys(spec)

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(e.source for e in self._entries)

    def authenticate(self, presented: str | None, endpoint: Endpoint) -> Caller:
        if not presented:
            raise AuthError(401, "missing X-API-Key header")
        wanted = _digest(presented)
        found: str | None = None
        for entry in self._entries:  # no early exit: constant time in the number of keys
            if hmac.compare_digest(entry.digest, wanted):
                found = entry.source
        if found is None:
            raise AuthError(401, "unknown API key")
        caller = Caller(found)
        if not caller.may_write(endpoint):
            raise AuthError(403, f"source system {found} may not write {endpoint.value}")
        return caller
