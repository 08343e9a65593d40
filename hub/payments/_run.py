"""A reconciliation run on the real topics: read the PaymentStates, compare, publish mismatches.

``run_reconciliation(settings, day, provider, csv_path)`` reads ``<prefix>payments`` to its end
(``hub.materialized.read_compacted``), compares it with the file (``reconcile``), produces one
ReconciliationMismatch per mismatch to ``<prefix>payments.reconciliation`` (key: the payment
reference) and returns only once the broker acknowledged them all (acks=all). Repeating a run
produces the same mismatch ids, so a consumer dedupes a repeated run by ``mismatch_id``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

from kafka.errors import KafkaError

from hub.kafka import TopicNotFound, ensure_topics, make_producer
from hub.materialized import read_compacted
from hub.payments._config import PROVIDERS
from hub.payments._errors import ConfigError, ReconciliationFailed
from hub.payments._reconcile import ReconciliationReport, reconcile
from hub.payments._statement import read_statement
from hub.records import PaymentState, ReconciliationMismatch
from hub.serde import RegistryClient, RegistryError, SerdeError, serde_for
from hub.settings import Settings
from hub.topics import PAYMENT_RECONCILIATION as RECONCILIATION
from hub.topics import PAYMENTS


def read_payment_states(
    settings: Settings, registry: RegistryClient, *, timeout_s: float = 120.0
) -> dict[str, PaymentState]:
    """Dossier id -> latest PaymentState of ``<prefix>payments``; ``ReconciliationFailed`` if
    the topic cannot be read."""
    serde = serde_for(PAYMENTS, settings.topic_prefix, registry)
    try:
        return read_compacted(settings, PAYMENTS.name(settings.topic_prefix), serde,
                              PaymentState, timeout_s=timeout_s)  # fmt: skip
    except (KafkaError, TimeoutError, TopicNotFound, RegistryError) as exc:
        raise ReconciliationFailed(f"cannot read the payment states: {exc}") from exc


def run_reconciliation(
    settings: Settings,
    day: date,
    provider: str,
    csv_path: Path,
    *,
    registry: RegistryClient | None = None,
    now: datetime | None = None,
    publish: bool = True,
    ack_timeout_s: float = 30.0,
) -> ReconciliationReport:
    """Reconcile ``provider``'s file ``csv_path`` for ``day``; publish its mismatches (unless
    ``publish`` is False) and return the report.

    ``ConfigError`` for a provider the hub does not know; ``StatementError`` if the file cannot
    be read at all (its bad rows are in the report);
    ``ReconciliationFailed`` if the states cannot be read or a mismatch is not acknowledged."""
    if provider not in PROVIDERS:
        raise ConfigError(f"provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    statement = read_statement(csv_path)
    own = registry is None
    client = RegistryClient(settings.schema_registry_url) if registry is None else registry
    try:
        try:
            ensure_topics(settings, (PAYMENTS, RECONCILIATION))
        except KafkaError as exc:
            raise ReconciliationFailed(f"cannot reach the broker: {exc}") from exc
        states = read_payment_states(settings, client)
        report = reconcile(statement, states.values(), provider=provider, day=day,
                           detected_at=now or datetime.now(UTC))  # fmt: skip
        if publish and report.mismatches:
            publish_mismatches(settings, client, report, ack_timeout_s=ack_timeout_s)
            report = dataclasses.replace(report, published=len(report.mismatches))
        return report
    finally:
        if own:
            client.close()


def publish_mismatches(
    settings: Settings,
    registry: RegistryClient,
    report: ReconciliationReport,
    *,
    ack_timeout_s: float = 30.0,
) -> None:
    """Produce the report's mismatches and wait for every acknowledgement."""
    topic = RECONCILIATION.name(settings.topic_prefix)
    serde = serde_for(RECONCILIATION, settings.topic_prefix, registry)
    records: list[tuple[bytes, bytes]] = []
    try:
        for mismatch in report.mismatches:
            value = serde.encode(mismatch.record(report.detected_at))
            records.append((mismatch.payment_reference.encode(), value))
    except SerdeError as exc:
        raise ReconciliationFailed(f"cannot encode a mismatch: {exc}") from exc
    try:
        producer = make_producer(settings, client_id="dvchub-reconciliation")
    except KafkaError as exc:
        raise ReconciliationFailed(f"cannot reach the broker: {exc}") from exc
    try:
        futures = [producer.send(topic, key=key, value=value) for key, value in records]
        producer.flush(timeout=ack_timeout_s)
        for future in futures:
            future.get(timeout=ack_timeout_s)
    except KafkaError as exc:
        raise ReconciliationFailed(f"the broker did not acknowledge a mismatch: {exc}") from exc
    finally:
        producer.close(timeout=5)


def mismatch_records(report: ReconciliationReport) -> list[ReconciliationMismatch]:
    """The ReconciliationMismatch records of ``report`` (what ``publish_mismatches`` sends)."""
    return [m.record(report.detected_at) for m in report.mismatches]
