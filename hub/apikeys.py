"""API keys kept only as SHA-256 digests and looked up in constant time: the part the query
API's keys (``hub.api``) and the portal connector's keys (``connectors.portal``) share.

A presented key is hashed and compared with every configured digest by
``hmac.compare_digest``, without stopping at the first match, so timing reveals neither a
key's prefix, its length, nor the position of the entry it matched. The keys themselves are
never kept: what each process holds is the digest and who the key belongs to.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

Owner = TypeVar("Owner")

#: Length of a SHA-256 digest in bytes (a configured ``sha256=<hex>`` must have as many).
DIGEST_BYTES = hashlib.sha256().digest_size


def key_digest(key: str) -> bytes:
    """The SHA-256 of a key's UTF-8 bytes: all that is kept of it."""
    return hashlib.sha256(key.encode("utf-8")).digest()


@dataclass(frozen=True)
class KeyRing(Generic[Owner]):
    """Digests of the configured keys with their owners (a source system, a caller ...)."""

    entries: tuple[tuple[bytes, Owner], ...]

    @classmethod
    def of(cls, entries: Iterable[tuple[bytes, Owner]]) -> KeyRing[Owner]:
        return cls(tuple(entries))

    @property
    def owners(self) -> tuple[Owner, ...]:
        return tuple(owner for _, owner in self.entries)

    @property
    def has_duplicates(self) -> bool:
        """Whether one key is configured twice (its owner would be ambiguous)."""
        return len({digest for digest, _ in self.entries}) != len(self.entries)

    def find(self, presented: str) -> Owner | None:
        """The owner of ``presented``, or None; constant time in the key and the entries."""
        wanted = key_digest(presented)
        found: Owner | None = None
        for digest, owner in self.entries:  # no early exit: every entry is compared
            if hmac.compare_digest(digest, wanted):
                found = owner
        return found
