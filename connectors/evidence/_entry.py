"""What the evidence log holds: exchanges and timestamps as recorded, and the chained entries.

Two kinds of records go to ``<prefix>evidence.log`` (JSON, keyed by partner, so one partition
holds a partner's records in order):

``Exchange``  one message with a partner and its answer: the SHA-256 of the exact bytes of
              both, and the bodies as stored (personal data redacted, capped): a partner holding
              the original bytes matches them by digest, the log never keeps more personal
              data than a log line may.
``Stamp``     an RFC 3161 token over a chain head (the hash of the entry at ``covers``).

The chain is not written by the recorders: it is derived from the log's order (``_chain``), and
``EvidenceEntry`` is one link of it: ``hash = sha256(canonical {index, previous, record})``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from hub.logs import REDACTED, is_sensitive_key, redact_text

#: The previous hash of a chain's first entry.
GENESIS = "0" * 64
#: Bodies are stored up to this many characters (after redaction); the digest is of all of it.
MAX_STORED_CHARS = 65_536


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


def canonical(value: object) -> bytes:
    """The bytes a hash is taken over: sorted keys, no spaces, UTF-8; a value JSON has no type
    for (a time, a decimal amount) as its ``str``."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: An XML element holding text only (SOAP bodies): ``hub.logs`` masks JSON and query strings by
#: key, not elements, so a personal element (``<HoTen>``) is masked here by its local name.
_XML_TEXT = re.compile(r"<((?:[\w.-]+:)?([\w.-]+))(\s[^<>]*)?>([^<]*)</\1>")


def _redact_element(match: re.Match[str]) -> str:
    if not is_sensitive_key(match.group(2)):
        return match.group(0)
    return f"<{match.group(1)}{match.group(3) or ''}>{REDACTED}</{match.group(1)}>"


def stored_body(data: bytes) -> str:
    """What the log keeps of a body: decoded, personal data and secrets redacted as the hub's
    logs redact them (and personal XML elements), capped."""
    text = redact_text(_XML_TEXT.sub(_redact_element, data.decode("utf-8", errors="replace")))
    if len(text) > MAX_STORED_CHARS:
        return text[:MAX_STORED_CHARS] + f"...[{len(text) - MAX_STORED_CHARS} more characters]"
    return text


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("evidence times are timezone-aware")
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Exchange:
    """One partner message and its answer, as recorded."""

    partner: str
    direction: Direction
    #: The idempotency key (out) or the partner's message id (in): a redelivery repeats it.
    call_id: str
    dossier_id: str
    request_sha256: str
    response_sha256: str
    request: str
    response: str
    at: datetime

    @classmethod
    def of(
        cls, partner: str, direction: Direction, call_id: str, dossier_id: str,
        request: bytes, response: bytes, at: datetime,
    ) -> Exchange:  # fmt: skip
        """From the exact bytes exchanged: digests of them, redacted copies stored."""
        return cls(
            partner, direction, call_id, dossier_id, sha256_hex(request), sha256_hex(response),
            stored_body(request), stored_body(response), at,
        )  # fmt: skip

    @property
    def dedupe_key(self) -> str:
        return f"{self.direction}:{self.call_id}"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "exchange", "partner": self.partner, "direction": str(self.direction),
            "call_id": self.call_id, "dossier_id": self.dossier_id,
            "request_sha256": self.request_sha256, "response_sha256": self.response_sha256,
            "request": self.request, "response": self.response, "at": _utc(self.at),
        }  # fmt: skip


@dataclass(frozen=True)
class Stamp:
    """An RFC 3161 timestamp token whose message imprint is ``head``, the hash of entry
    ``covers`` of the partner's chain."""

    partner: str
    covers: int
    head: str
    token: bytes
    at: datetime

    @property
    def dedupe_key(self) -> str:
        return f"stamp:{self.covers}:{self.head}"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "timestamp", "partner": self.partner, "covers": self.covers,
            "head": self.head, "token": base64.b64encode(self.token).decode(),
            "at": _utc(self.at),
        }  # fmt: skip


Record = Exchange | Stamp


def record_of(body: object) -> Record:
    """A record from its JSON; ``ValueError`` for anything else."""
    try:
        if not isinstance(body, dict):
            raise TypeError(f"a {type(body).__name__}")
        at = datetime.fromisoformat(str(body["at"]))
        if at.tzinfo is None:
            raise ValueError("a naive time")
        if body["kind"] == "exchange":
            return Exchange(
                str(body["partner"]), Direction(body["direction"]), str(body["call_id"]),
                str(body["dossier_id"]), str(body["request_sha256"]),
                str(body["response_sha256"]), str(body["request"]), str(body["response"]), at,
            )  # fmt: skip
        if body["kind"] == "timestamp":
            token = base64.b64decode(str(body["token"]), validate=True)
            return Stamp(str(body["partner"]), int(body["covers"]), str(body["head"]), token, at)
        raise ValueError(f"unknown kind {body['kind']!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an evidence record: {exc}") from exc


def encode_record(record: Record) -> bytes:
    return canonical(record.to_json())


def decode_record(value: bytes) -> Record:
    try:
        body = json.loads(value)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    return record_of(body)


@dataclass(frozen=True)
class EvidenceEntry:
    """One link of a partner's chain."""

    index: int
    previous: str
    record: Record
    hash: str

    @staticmethod
    def hash_of(index: int, previous: str, record: Record) -> str:
        return sha256_hex(
            canonical({"index": index, "previous": previous, "record": record.to_json()})
        )

    @classmethod
    def link(cls, index: int, previous: str, record: Record) -> EvidenceEntry:
        return cls(index, previous, record, cls.hash_of(index, previous, record))

    @property
    def intact(self) -> bool:
        return self.hash == self.hash_of(self.index, self.previous, self.record)

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index, "previous": self.previous, "hash": self.hash,
            "record": self.record.to_json(),
        }  # fmt: skip

    @classmethod
    def from_json(cls, body: object) -> EvidenceEntry:
        """As written, hash included (not recomputed: verification compares them)."""
        if not isinstance(body, dict):
            raise ValueError("an entry is a JSON object")
        try:
            return cls(
                int(body["index"]), str(body["previous"]), record_of(body["record"]),
                str(body["hash"]),
            )  # fmt: skip
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an evidence entry: {exc}") from exc
