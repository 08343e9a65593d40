"""The connector's own exceptions (the outbound side raises ``connectors.outbox`` ones)::

BankError                 anything this package refuses
├── UnknownProvider       a provider name the configuration does not know
└── InvalidMessage        a provider message that cannot be trusted or read
    ├── MalformedMessage  a field missing, of the wrong type, or not parseable
    └── BadSignature      the checksum / secure hash does not verify (or is missing)
"""

from __future__ import annotations


class BankError(Exception):
    """Something the bank connector refuses."""


class UnknownProvider(BankError):
    """A provider name that is neither ``paygov`` nor ``vnpay`` (or not configured)."""


class InvalidMessage(BankError):
    """A provider message (request, reply or callback) that cannot be trusted or read."""


class MalformedMessage(InvalidMessage):
    """A field is missing, not a string, or not parseable; the text never echoes values."""


class BadSignature(InvalidMessage):
    """The message's checksum / secure hash does not verify."""
