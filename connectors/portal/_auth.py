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

Keys are kept and compared as SHA-256 digests in constant time (``hub.apikeys.KeyRing``, shared
with the query API). Keys are never logged; only the source system is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from hub.apikeys import KeyRing, key_digest

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


def parse_api_keys(spec: str) -> KeyRing[str]:
    """Parse ``SYSTEM:key,SYSTEM:key`` into digests -> source system; raises ``ValueError``
    naming the bad entry's position (never the entry: it holds a key)."""
    entries: list[tuple[bytes, str]] = []
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
        entries.append((key_digest(key), source))
    if not entries:
        raise ValueError("no API keys configured: anonymous writes are not allowed")
    ring = KeyRing.of(entries)
    if ring.has_duplicates:
        raise ValueError("the same API key is configured twice")
    return ring


class ApiKeyAuthenticator:
    """Maps an ``X-API-Key`` header value to a ``Caller``."""

    def __init__(self, spec: str) -> None:
        self._keys = parse_api_keys(spec)

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(self._keys.owners)

    def authenticate(self, presented: str | None, endpoint: Endpoint) -> Caller:
        if not presented:
            raise AuthError(401, "missing X-API-Key header")
        found = self._keys.find(presented)
        if found is None:
            raise AuthError(401, "unknown API key")
        caller = Caller(found)
        if not caller.may_write(endpoint):
            raise AuthError(403, f"source system {found} may not write {endpoint.value}")
        return caller
