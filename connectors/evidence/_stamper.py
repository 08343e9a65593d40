"""The stamper: the one process that follows the evidence log and stamps the chain heads.

It derives the chains as it reads (``_chain``), and stamps a partner's head once
``batch_entries`` entries are unstamped or the oldest of them has waited ``batch_seconds``:
one RFC 3161 token per batch, not per message. The token goes back into the log as a ``Stamp``
record on the partner's key, so it becomes an entry of the chain it stamps (the entries after
the head it covers, and before it in the log, are stamped by the next one).

Crash-safe: it keeps nothing but what it re-reads; on start it reads the log to its end before
stamping anything (heads stamped before a crash are in the log), and a stamp made twice (two
stampers, or a crash before the ack) covers the same head and is dropped by the chain.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from kafka import TopicPartition
from kafka.errors import KafkaError

from connectors.evidence._chain import Chain, Chains
from connectors.evidence._config import TSA_URL, EvidenceConfig
from connectors.evidence._entry import Exchange, Stamp, decode_record, encode_record
from connectors.evidence._errors import (
    EvidenceError,
    EvidenceUnconfigured,
    NotRecorded,
    TimestampUnavailable,
)
from connectors.evidence._recorder import ensure_evidence_topic
from connectors.evidence._tsa import request_token
from hub.kafka import make_consumer, make_producer, partitions_of
from hub.settings import Settings

log = logging.getLogger("connectors.evidence")
#: After a TSA failure, a partner's head is not asked for again before this many seconds.
TSA_RETRY_S = 5.0


class Stamper:
    """``run`` blocks until ``stop``; ``flush`` stamps every unstamped head now (archives)."""

    def __init__(
        self, settings: Settings, config: EvidenceConfig, *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        if config.tsa_url is None:
            raise EvidenceUnconfigured(TSA_URL, "is not set: the stamper needs an RFC 3161 TSA")
        self.config = config
        self.tsa_url = config.tsa_url
        self.topic = ensure_evidence_topic(settings)
        self.chains = Chains(keep=False)
        self.stamps = 0
        self._clock = clock
        self._waiting_since: dict[str, float] = {}
        self._blocked_until: dict[str, float] = {}
        self._stopping = threading.Event()
        self._consumer = make_consumer(settings, group_id=None, client_id="dvchub-evidence")
        self._producer = make_producer(settings, client_id="dvchub-evidence-stamper")
        self._partitions: list[TopicPartition] = []
        self._ends: dict[TopicPartition, int] = {}

    def run(self) -> None:
        try:
            self._assign()
            while not self._stopping.is_set():
                self._read(timeout_ms=200)
                if self._caught_up():
                    self._stamp_due()
        finally:
            self.close()

    def stop(self) -> None:
        self._stopping.set()

    def flush(self, timeout_s: float = 30.0) -> int:
        """Read to the log's current end and stamp every head with unstamped entries; the
        stamps made."""
        if not self._partitions:
            self._assign()
        self._ends = self._consumer.end_offsets(self._partitions)
        deadline = self._clock() + timeout_s
        while not self._caught_up():
            if self._clock() > deadline:
                raise EvidenceError(f"could not read {self.topic} to its end in {timeout_s} s")
            self._read(timeout_ms=200)
        before = self.stamps
        for chain in list(self.chains.by_partner.values()):
            if chain.unstamped:
                self._stamp(chain)
        return self.stamps - before

    def close(self) -> None:
        self._consumer.close()
        self._producer.close(timeout=self.config.ack_timeout_s)

    # -- reading -----------------------------------------------------------------------------
    def _assign(self) -> None:
        self._partitions = partitions_of(self._consumer, self.topic, timeout_s=30.0)
        self._consumer.assign(self._partitions)
        self._consumer.seek_to_beginning(*self._partitions)
        self._ends = self._consumer.end_offsets(self._partitions)

    def _caught_up(self) -> bool:
        return all(self._consumer.position(tp) >= end for tp, end in self._ends.items())

    def _read(self, timeout_ms: int) -> None:
        now = self._clock()
        for records in self._consumer.poll(timeout_ms=timeout_ms).values():
            for message in records:
                try:
                    record = decode_record(message.value)
                except ValueError as exc:  # no chain holds it: verification will not either
                    log.warning("evidence offset %d skipped: %s", message.offset, exc)
                    continue
                entry = self.chains.add(record)
                if entry is not None and isinstance(record, Exchange):
                    self._waiting_since.setdefault(record.partner, now)

    # -- stamping ----------------------------------------------------------------------------
    def _stamp_due(self) -> None:
        now = self._clock()
        for chain in list(self.chains.by_partner.values()):
            waited = now - self._waiting_since.get(chain.partner, now)
            due = chain.unstamped >= self.config.batch_entries or (
                chain.unstamped > 0 and waited >= self.config.batch_seconds
            )
            if due and now >= self._blocked_until.get(chain.partner, 0.0):
                self._stamp(chain)

    def _stamp(self, chain: Chain) -> None:
        covers, head = chain.length - 1, chain.head
        try:
            token = request_token(self.tsa_url, head, self.config.tsa_timeout_s)
            stamp = Stamp(chain.partner, covers, head, token, datetime.now(UTC))
            future = self._producer.send(
                self.topic, key=chain.partner.encode(), value=encode_record(stamp)
            )
            future.get(timeout=self.config.ack_timeout_s)
        except TimestampUnavailable as exc:
            log.warning("evidence of %s not stamped, retrying: %s", chain.partner, exc)
            self._blocked_until[chain.partner] = self._clock() + TSA_RETRY_S
            return
        except KafkaError as exc:
            raise NotRecorded(f"stamp of {chain.partner} not acknowledged: {exc}") from exc
        # stamped now, though the record comes back later: not stamped again meanwhile
        chain.mark_stamped(covers)
        self._waiting_since.pop(chain.partner, None)
        self.stamps += 1
        log.info("evidence of %s stamped at entry %d", chain.partner, covers)
