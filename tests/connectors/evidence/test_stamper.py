"""The stamper following the log (real broker, the test PKI's TSA): one token per batch of
``batch_entries`` entries, or once the oldest unstamped one waited ``batch_seconds``; a restarted
stamper does not stamp again what the log shows stamped."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from connectors.evidence import (
    EvidenceConfig,
    KafkaRecorder,
    Stamp,
    Stamper,
    decode_record,
    evidence_topic,
)
from hub.settings import Settings
from signing.testing import TestPKI
from tests.connectors.evidence._records import exchange
from tests.lifecycle._support import read_all, wait_until

#: Long enough for the stamper to read what was recorded (it polls every 0.2 s).
WAIT_S = 1.0


def _stamps(settings: Settings) -> list[Stamp]:
    records = [decode_record(r.value) for r in read_all(settings, evidence_topic(settings))]
    return [r for r in records if isinstance(r, Stamp)]


@contextmanager
def _running(settings: Settings, config: EvidenceConfig) -> Iterator[Stamper]:
    stamper = Stamper(settings, config)
    thread = threading.Thread(target=stamper.run, daemon=True)
    thread.start()
    try:
        yield stamper
    finally:
        stamper.stop()
        thread.join(30)


def test_heads_are_stamped_per_batch_of_entries_or_after_a_wait(
    settings: Settings, pki: TestPKI
) -> None:
    recorder = KafkaRecorder(settings, EvidenceConfig(enabled=True), client_id="test-evidence")
    by_count = EvidenceConfig(enabled=True, tsa_url=pki.tsa_url, batch_entries=3,
                              batch_seconds=3600)  # fmt: skip
    try:
        with _running(settings, by_count) as stamper:
            for n in range(3):
                recorder.record(exchange("vnpost", n))
            wait_until(lambda: stamper.stamps == 1, 60, 0.2)
            for n in range(3, 5):
                recorder.record(exchange("vnpost", n))
            time.sleep(WAIT_S)  # two entries wait, fewer than a batch: not stamped in the hour
            assert stamper.stamps == 1
        assert [s.covers for s in _stamps(settings)] == [2]

        by_time = EvidenceConfig(enabled=True, tsa_url=pki.tsa_url, batch_entries=1000,
                                 batch_seconds=0.5)  # fmt: skip
        with _running(settings, by_time) as stamper:  # restarted: reads the log first
            wait_until(lambda: stamper.stamps == 1, 60, 0.2)
        stamps = _stamps(settings)
        assert [s.covers for s in stamps] == [2, 5]  # calls 0-2, the first stamp (3), calls 4-5
    finally:
        recorder.close()
