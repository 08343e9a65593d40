"""The audit's exceptions; drawn in ``hub.audit``'s docstring."""

from __future__ import annotations


class AuditError(Exception):
    """Base of every error raised by ``hub.audit``."""


class AuditReadError(AuditError):
    """A topic of the prefix could not be read or decoded (broker or registry unreachable, a
    read that did not finish in time): the audit cannot answer, which is not a finding."""
