"""The stack exception hierarchy; drawn in ``hub.stack``'s docstring."""

from __future__ import annotations


class StackError(Exception):
    """Base of every error raised by ``hub.stack``."""


class ToolMissing(StackError):
    """Java or Maven is not installed."""


class FetchFailed(StackError):
    """Maven could not fetch a component's artifacts."""


class PortInUse(StackError):
    """Another process listens on a port a component needs."""


class NotReady(StackError):
    """A component did not become ready in time, or died while starting."""


class SecretsFolderError(StackError):
    """A broker's secrets folder cannot be written, or lacks a file a command needs
    (``dvchub kafka secrets``, ``dvchub kafka provision``)."""
