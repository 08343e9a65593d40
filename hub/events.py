"""Building canonical DossierEvent records (the dicts ``hub.serde`` encodes).

A payload is named by its record name (``"DossierAccepted"``); the envelope's ``event_type`` is
derived from it, so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

EVENT_NAMESPACE = "vn.dvchub.event"
SCHEMA_VERSION = 1


def event_type_of(payload_name: str) -> str:
    """``"DossierAccepted"`` -> ``"DOSSIER_ACCEPTED"`` (the EventType symbol)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", payload_name).upper()


def payload_name_of(event: Mapping[str, Any]) -> str:
    """The short payload record name of a decoded event."""
    full_name, _ = event["payload"]
    return str(full_name).rsplit(".", 1)[-1]


def wire_time(moment: datetime, field: str) -> datetime:
    """``moment`` in UTC at millisecond precision, as timestamp-millis will carry it."""
    if moment.tzinfo is None:
        raise ValueError(f"{field} must be timezone-aware (got a naive datetime)")
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def new_event(
    dossier_id: str,
    payload_name: str,
    payload: Mapping[str, object],
    *,
    source: str,
    occurred_at: datetime,
    actor: Mapping[str, object] | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    source_event_id: str | None = None,
    event_id: str | None = None,
    recorded_at: datetime | None = None,
) -> dict[str, Any]:
    """A DossierEvent record ready for ``AvroSerde.encode``."""
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type_of(payload_name),
        "dossier_id": dossier_id,
        "occurred_at": wire_time(occurred_at, "occurred_at"),
        "recorded_at": wire_time(recorded_at or datetime.now(UTC), "recorded_at"),
        "source": source,
        "source_event_id": source_event_id,
        "actor": dict(actor) if actor is not None else None,
        "correlation_id": correlation_id or dossier_id,
        "causation_id": causation_id,
        "schema_version": SCHEMA_VERSION,
        "payload": (f"{EVENT_NAMESPACE}.{payload_name}", dict(payload)),
    }


# -- dedupe by event id, in a state -----------------------------------------------------------
# A processor that keeps no history of its own keeps the ids it applied as 8-byte BLAKE2b
# digests, concatenated in one ``bytes`` field of its state (``seen_events``): compact in the
# changelog, and one collision in 2**64 is no concern at a province's scale.

_DIGEST = 8


def event_digest(event_id: str) -> bytes:
    """The 8-byte digest ``seen_events`` keeps of ``event_id``."""
    return hashlib.blake2b(event_id.encode(), digest_size=_DIGEST).digest()


def has_seen(seen: bytes, event_id: str) -> bool:
    """Whether the digests ``seen`` hold ``event_id``'s."""
    digest = event_digest(event_id)
    return any(seen[i : i + _DIGEST] == digest for i in range(0, len(seen), _DIGEST))
