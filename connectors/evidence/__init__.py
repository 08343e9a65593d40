"""A signed evidence log of every partner message, in the spirit of X-Road's message log:
non-repudiation for the hub and its partners (VNPost says an order never came; a bank disputes
a callback).

::

    outbox call ends ──┐  Exchange (digests of both messages, bodies redacted)
    inbound request ───┼─> <prefix>evidence.log (JSON, key = partner) ──> chain per partner,
                       │         ^                                       derived in log order
    dvchub evidence stamp ───────┘ an RFC 3161 token over each head, per batch, as an entry
    dvchub evidence archive  ──> evidence-<time>.zip: entries, manifest, CMS signature (hub key)
    dvchub evidence verify ARCHIVE [--call-id X | --dossier D]

Recording is hooked in two places only: ``connectors.outbox._publish.OutcomePublisher`` (every
finished call, whatever the client: the exchange is one more message of the outcome's batch, the
command's offset committed once all are acknowledged) and ``connectors.common.InboundShell``
(every request to an endpoint on the shell: recorded, and acknowledged, before the answer goes).
A redelivered call repeats its call id and the chain drops it. On by default in production, off
on a development machine (``DVC_DEV_SECRETS=1``); ``DVC_EVIDENCE=on|off`` decides (``_config``).

Personal data: bodies are stored as ``hub.logs.redact_text`` leaves them (the rule of the
hub's logs); their SHA-256 digests are of the exact bytes, so whoever holds the original (the
command on ``partner.commands``, the partner's copy) proves it matches.

Private modules::

    _entry     Exchange, Stamp (the records), EvidenceEntry (a chain link), canonical JSON
    _chain     Chain, Chains: the chains derived from records in log order, redeliveries dropped
    _config    EvidenceConfig (DVC_EVIDENCE_*)
    _recorder  Recorder, KafkaRecorder, NO_EVIDENCE; the topic
    _outbound  outbound_exchange, OutboundEvidence: the outbox's side (sent with the outcome)
    _inbound   EvidenceMiddleware, install, note_call, note_dossier: the inbound shell's side
    _tsa       request_token, check_token (pyHanko, the signing extra, imported when used)
    _stamper   Stamper: batched timestamps of the heads
    _archive   read_chains, build_archive, archive_once, last_heads, archive_signing
    _verify    verify_archive -> Verification (problems, entries, stamps)

Exceptions::

    EvidenceError
    ├── EvidenceUnconfigured  no TSA / key where one is needed (also a hub.secrets.SecretError:
    │                         the process refuses to start)
    ├── NotRecorded           the broker did not acknowledge a record in time
    ├── TimestampUnavailable  the TSA gave no token
    ├── ArchiveUnreadable     not an evidence archive
    └── ArchiveNotSigned      the hub's key could not sign the manifest
"""

from connectors.evidence._archive import (
    Head,
    archive_once,
    archive_signing,
    build_archive,
    last_heads,
    read_chains,
)
from connectors.evidence._chain import Chain, Chains
from connectors.evidence._config import EvidenceConfig
from connectors.evidence._entry import (
    GENESIS,
    Direction,
    EvidenceEntry,
    Exchange,
    Record,
    Stamp,
    decode_record,
    encode_record,
)
from connectors.evidence._errors import (
    ArchiveNotSigned,
    ArchiveUnreadable,
    EvidenceError,
    EvidenceUnconfigured,
    NotRecorded,
    TimestampUnavailable,
)
from connectors.evidence._inbound import EvidenceMiddleware, install, note_call, note_dossier
from connectors.evidence._outbound import (
    Message,
    OutboundEvidence,
    outbound_evidence,
    outbound_exchange,
)
from connectors.evidence._recorder import (
    EVIDENCE_LOG,
    NO_EVIDENCE,
    KafkaRecorder,
    Recorder,
    ensure_evidence_topic,
    evidence_topic,
    recorder_from_env,
)
from connectors.evidence._stamper import Stamper
from connectors.evidence._tsa import TokenCheck, check_token, request_token
from connectors.evidence._verify import Problem, Stamped, Verification, verify_archive

__all__ = [
    "EVIDENCE_LOG",
    "GENESIS",
    "NO_EVIDENCE",
    "ArchiveNotSigned",
    "ArchiveUnreadable",
    "Chain",
    "Chains",
    "Direction",
    "EvidenceConfig",
    "EvidenceEntry",
    "EvidenceError",
    "EvidenceMiddleware",
    "EvidenceUnconfigured",
    "Exchange",
    "Head",
    "KafkaRecorder",
    "Message",
    "NotRecorded",
    "OutboundEvidence",
    "Problem",
    "Record",
    "Recorder",
    "Stamp",
    "Stamped",
    "Stamper",
    "TimestampUnavailable",
    "TokenCheck",
    "Verification",
    "archive_once",
    "archive_signing",
    "build_archive",
    "check_token",
    "decode_record",
    "encode_record",
    "ensure_evidence_topic",
    "evidence_topic",
    "install",
    "last_heads",
    "note_call",
    "note_dossier",
    "outbound_evidence",
    "outbound_exchange",
    "read_chains",
    "recorder_from_env",
    "request_token",
    "verify_archive",
]
