"""The derived ids of payments, never random: payment and refund references, command ids.

The payment reference comes from the dossier and the FeeRequested event id; a command's id from
the causing event (or, for status queries, from the payment reference and the query number), so
a redelivered event or a re-fired timer gives the same command and the outbox's dedupe sees one.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Final

COMMAND_NAMESPACE: Final = uuid.UUID("0c6f4f1e-5a2b-4e7d-9b1c-3d8e2a6f7b90")
#: Longest payment reference (VNPAY's vnp_TxnRef and the national platform's both take it).
MAX_REFERENCE: Final = 34
REFERENCE_PATTERN: Final = re.compile(r"^[A-Za-z0-9-]{1,34}$")
_NOT_REFERENCE = re.compile(r"[^A-Za-z0-9]")


def reference(dossier_id: str, seed: str, prefix: str = "") -> str:
    """``<prefix><dossier tail>-<16 hex>``: ASCII letters, digits and '-', at most 34 chars.

    The hex is a digest of (dossier id, seed), so it is the same for the same inputs and, at 64
    bits, unique in practice; the dossier tail (its letters and digits) is only for people."""
    digest = hashlib.blake2b(f"{dossier_id}\x1f{seed}".encode(), digest_size=8).hexdigest()
    room = MAX_REFERENCE - len(prefix) - 1 - len(digest)
    tail = _NOT_REFERENCE.sub("", dossier_id)[-room:] if room > 0 else ""
    return f"{prefix}{tail or 'HS'}-{digest.upper()}"


def payment_reference(dossier_id: str, fee_request_event_id: str) -> str:
    """The payment reference of the FeeRequested event ``fee_request_event_id``."""
    return reference(dossier_id, f"fee:{fee_request_event_id}")


def refund_reference(dossier_id: str, payment_ref: str) -> str:
    """The reference of the refund of ``payment_ref`` (one refund per payment)."""
    return reference(dossier_id, f"refund:{payment_ref}", prefix="RF")


def command_id(cause: str, kind: str, detail: str = "") -> str:
    """uuid5 of the cause (an event id, or a payment reference), the command kind and detail."""
    return str(uuid.uuid5(COMMAND_NAMESPACE, f"{cause}|{kind}|{detail}"))


def status_query_id(payment_ref: str, query_number: int) -> str:
    """The command id of the ``query_number``-th status query of ``payment_ref``."""
    return command_id(payment_ref, "PAYMENT_STATUS_QUERY", str(query_number))
