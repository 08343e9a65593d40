"""How talking to the national portal fails (raised by the transport, used by the intake);
the outbox client translates these into ``connectors.outbox`` Transient / Permanent."""

from __future__ import annotations


class NationalPortalError(Exception):
    """A call to the national portal did not succeed; ``code`` is machine-readable."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class PortalUnavailable(NationalPortalError):
    """5xx, timeout, connection error, or a reply that is not the documented JSON."""


class SessionRejected(NationalPortalError):
    """Login refused, or the session expired again right after a renewal."""


class PortalRefused(NationalPortalError):
    """The portal refused the request for good (4xx: validation, unknown service)."""
