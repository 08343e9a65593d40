"""The payments package's exceptions (the hierarchy is drawn in ``hub.payments``' docstring)."""

from __future__ import annotations


class PaymentsError(Exception):
    """Everything ``hub.payments`` raises of its own."""


class ConfigError(PaymentsError, ValueError):
    """The payments configuration (accounts file, query policy) is invalid."""


class StatementError(PaymentsError):
    """A reconciliation file cannot be read at all (missing, too large, no valid header)."""


class ReconciliationFailed(PaymentsError):
    """A reconciliation could not be carried out: the states could not be read, or the broker
    did not acknowledge the mismatch events (the run may be repeated: ids are deterministic)."""
