"""The lifecycle exception hierarchy; drawn in ``hub.lifecycle``'s docstring."""

from __future__ import annotations


class LifecycleError(Exception):
    """Base of every error raised by ``hub.lifecycle``."""


class ReplayError(LifecycleError):
    """A replay or a replay check could not be carried out."""


class LiveStateLagging(ReplayError):
    """The live processor has not caught up with the event log, so it cannot be compared."""
