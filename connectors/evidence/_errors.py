"""The evidence log's one exception hierarchy; foreign errors (kafka, pyHanko, zipfile, the TSA's
HTTP) are translated where they are met, with ``raise ... from exc``."""

from __future__ import annotations

from hub.secrets import SecretError


class EvidenceError(Exception):
    """Something the evidence log could not do."""


class NotRecorded(EvidenceError):
    """An exchange the broker did not acknowledge in time: the call's outcome must wait (the
    outbox redelivers the command; an inbound partner is answered "retry")."""


class TimestampUnavailable(EvidenceError):
    """The TSA did not answer with a token (down, refused, malformed): the batch is stamped
    on the next round."""


class ArchiveUnreadable(EvidenceError):
    """Not an evidence archive (not a zip, no manifest, a manifest that does not parse)."""


class ArchiveNotSigned(EvidenceError):
    """The hub's key could not sign the archive's manifest (no key configured, or unusable)."""


class EvidenceUnconfigured(SecretError, EvidenceError):
    """A process that must stamp or sign the evidence was started without its TSA or key: it
    refuses to start, as every entry point refuses a missing secret (``SecretError``)."""
