"""Kafka clients configured the way the hub needs them (kafka-python).

Producers are idempotent with ``acks=all``: a retried send never duplicates and nothing is
acknowledged to a partner before every in-sync replica has it.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, TopicAlreadyExistsError

from hub.secrets import SecretError, check_secret, dev_secrets_allowed
from hub.settings import Settings
from hub.topics import (
    ALL_TOPICS,
    DEADLETTER,
    DOSSIER_EVENTS,
    PARTNER_OUTCOMES,
    Retention,
    TopicSpec,
    replication_config,
)

if TYPE_CHECKING:
    from faust.auth import SASLCredentials

# The event log is the source of truth and the dead-letter topic must lose nothing; the
# partners' outcomes are what a partner's later callback is checked against (a VNPost order is
# collected and returned weeks after it was created): keep forever.
_KEEP_FOREVER = {DOSSIER_EVENTS.suffix, DEADLETTER.suffix, PARTNER_OUTCOMES.suffix}


class TopicNotFound(LookupError):
    """A topic the call needs does not exist (or has no metadata yet)."""


class KafkaSecurityError(ValueError):
    """The DVC_KAFKA_* security settings are incomplete (e.g. SASL_SSL without a password)."""


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context of a SASL_SSL client: hostname checked, only ``kafka_ca_path`` trusted
    (the system CAs when there is none)."""
    cafile = None if settings.kafka_ca_path is None else str(settings.kafka_ca_path)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _sasl_login(settings: Settings) -> tuple[str, str]:
    password = settings.kafka_password_value()
    if not settings.kafka_username or not password:
        raise KafkaSecurityError(
            "DVC_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs DVC_KAFKA_USERNAME and "
            "DVC_KAFKA_PASSWORD or DVC_KAFKA_PASSWORD_FILE (for the local stack, "
            "`dvchub stack env <service>` prints a service's settings)"
        )
    try:
        # The same floor as every other secret, in development too (the stack's are 43 long).
        check_secret("DVC_KAFKA_PASSWORD", password)
    except SecretError as exc:
        raise KafkaSecurityError(str(exc)) from None
    return settings.kafka_username, password


def _refuse_plaintext_in_production(settings: Settings) -> None:
    if not (settings.kafka_allow_plaintext or dev_secrets_allowed()):
        raise KafkaSecurityError(
            "DVC_KAFKA_SECURITY_PROTOCOL=PLAINTEXT is refused in production: use SASL_SSL, or "
            "set DVC_KAFKA_ALLOW_PLAINTEXT=1 for a broker on a network secured by other means"
        )


def _login(settings: Settings) -> tuple[str, str] | None:
    """The SASL login of every client kind; None for PLAINTEXT (refused in production)."""
    if not settings.kafka_secured:
        _refuse_plaintext_in_production(settings)
        return None
    return _sasl_login(settings)


def security_config(settings: Settings) -> dict[str, object]:
    """The kafka-python keyword arguments that authenticate a client (every producer, consumer
    and admin client of the hub is built with them). Empty for PLAINTEXT, so a client built
    without DVC_KAFKA_* settings is configured exactly as before security existed."""
    if (login := _login(settings)) is None:
        return {}
    username, password = login
    return {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": username,
        "sasl_plain_password": password,
        "ssl_context": ssl_context(settings),
    }


def faust_credentials(settings: Settings) -> SASLCredentials | None:
    """The same login for a faust app (``broker_credentials``); None for PLAINTEXT."""
    if (login := _login(settings)) is None:
        return None
    # Imported here: only the workers use faust, every other process avoids its import time.
    from faust.auth import SASLCredentials

    username, password = login
    return SASLCredentials(
        username=username,
        password=password,
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=ssl_context(settings),
    )


def librdkafka_config(settings: Settings) -> dict[str, str]:
    """The same login for a librdkafka client (confluent-kafka): what an integrator's
    consumer, or the interop tests, add to their configuration."""
    if (login := _login(settings)) is None:
        return {"security.protocol": "PLAINTEXT"}
    username, password = login
    config = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": settings.kafka_sasl_mechanism,
        "sasl.username": username,
        "sasl.password": password,
    }
    if settings.kafka_ca_path is not None:
        config["ssl.ca.location"] = str(settings.kafka_ca_path)
    return config


_LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


def java_login_properties(
    protocol: str, mechanism: str, username: str, password: str, ca_file: PurePath | None
) -> str:
    """A Java client's SASL login as properties (Kafka's own tools, ``--command-config``). It
    holds the password: write it to a private file (0600), never to a log."""
    lines = [
        f"security.protocol={protocol}",
        f"sasl.mechanism={mechanism}",
        f"sasl.jaas.config={_LOGIN_MODULES[mechanism]} required "
        f'username="{username}" password="{password}";',
    ]
    if ca_file is not None:
        lines += ["ssl.truststore.type=PEM", f"ssl.truststore.location={ca_file}"]
    return "\n".join(lines) + "\n"


def java_client_properties(settings: Settings) -> str:
    """This process's login (``settings``) as a Java client's properties."""
    if (login := _login(settings)) is None:
        return "security.protocol=PLAINTEXT\n"
    username, password = login
    return java_login_properties(
        "SASL_SSL", settings.kafka_sasl_mechanism, username, password, settings.kafka_ca_path
    )


def make_producer(settings: Settings, **overrides: object) -> KafkaProducer:
    config: dict[str, object] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "client_id": "dvchub",
        **security_config(settings),
    }
    config.update(overrides)
    return KafkaProducer(**config)


#: How long a consumer group waits for a member that stopped heartbeating (see make_consumer).
GROUP_SESSION_TIMEOUT_MS = 10_000


def make_consumer(
    settings: Settings, *topics: str, group_id: str | None, **overrides: object
) -> KafkaConsumer:
    config: dict[str, object] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "client_id": "dvchub",
        **security_config(settings),
    }
    if group_id is not None:
        # The group waits this long for a member killed without leaving before moving its
        # partitions: kafka-python's 45 s default left them unread for 45 s after a kill -9
        # (the faust workers use the same 10 s).
        config |= {"session_timeout_ms": GROUP_SESSION_TIMEOUT_MS, "heartbeat_interval_ms": 3_000}
    config.update(overrides)
    return KafkaConsumer(*topics, **config)


def make_admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id="dvchub-admin",
        **security_config(settings),
    )


def topic_config(spec: TopicSpec) -> dict[str, str]:
    config = {"cleanup.policy": spec.retention.value}
    if spec.retention is Retention.LOG and spec.suffix in _KEEP_FOREVER:
        config["retention.ms"] = "-1"
    return config


def ensure_topics(
    settings: Settings,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
    *,
    prefix: str | None = None,
    partitions: int | None = None,
) -> list[str]:
    """Create the hub topics that do not exist yet; returns the names created."""
    prefix = settings.topic_prefix if prefix is None else prefix
    return [
        spec.name(prefix)
        for spec in specs
        if create_topic(
            settings, spec.name(prefix), config=topic_config(spec), partitions=partitions
        )
    ]


def create_topic(
    settings: Settings,
    name: str,
    *,
    config: Mapping[str, str] | None = None,
    partitions: int | None = None,
) -> bool:
    """Create one topic unless it exists; True if this call created it."""
    admin = make_admin(settings)
    try:
        if name in set(admin.list_topics()):
            return False
        configs = {**replication_config(settings), **(config or {})}
        spec = NewTopic(name, partitions or settings.partitions, settings.replication_factor,
                        topic_configs=configs)  # fmt: skip
        # Another process may create it between list and create: the same outcome.
        try:
            admin.create_topics([spec], timeout_ms=30_000)
        except TopicAlreadyExistsError:
            return False
        return True
    finally:
        admin.close()


def topic_id(settings: Settings, topic: str) -> str | None:
    """The broker's id of ``topic`` (KIP-516): a topic deleted and made again gets a new one.
    None if the topic does not exist or the broker gives no id."""
    admin = make_admin(settings)
    try:
        described = admin.describe_topics([topic])
    finally:
        admin.close()
    found = str(described[0].get("topic_id") or "") if described else ""
    return None if found.strip("0-") == "" or described[0].get("error_code") else found


def offsets(settings: Settings, topic: str) -> dict[int, tuple[int, int]]:
    """partition -> (log start offset, end offset) of every partition of ``topic``."""
    consumer = make_consumer(settings, group_id=None)
    try:
        tps = partitions_of(consumer, topic, timeout_s=10.0)
        begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        return {tp.partition: (int(begin[tp]), int(end[tp])) for tp in tps}
    finally:
        consumer.close()


def read_to_end(
    settings: Settings,
    topic: str,
    *,
    start: Mapping[int, int] | None = None,
    stop: Mapping[int, int] | None = None,
    timeout_s: float = 60.0,
    max_poll_records: int = 5000,
) -> Iterator[ConsumerRecord]:
    """Every record of ``topic`` from ``start`` (default: the beginning) up to ``stop`` (default:
    the end offsets when the call began), in offset order within each partition.

    Only the partitions named in ``start``/``stop`` are read when either is given. No consumer
    group, nothing committed. ``TimeoutError`` if the range cannot be read within ``timeout_s``.
    """
    consumer = make_consumer(
        settings, group_id=None, max_poll_records=max_poll_records, fetch_max_bytes=52_428_800
    )
    try:
        tps = partitions_of(consumer, topic, timeout_s=timeout_s)
        named = set(start or ()) | set(stop or ())
        if named:
            tps = [tp for tp in tps if tp.partition in named]
        ends = consumer.end_offsets(tps)
        until = {tp: (stop or {}).get(tp.partition, int(ends[tp])) for tp in tps}
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        for tp in tps:
            if start and tp.partition in start:
                consumer.seek(tp, start[tp.partition])
        remaining = {tp for tp in tps if consumer.position(tp) < until[tp]}
        deadline = time.monotonic() + timeout_s
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to {until} within {timeout_s}s")
            for tp, records in consumer.poll(timeout_ms=200).items():
                for record in records:
                    if record.offset < until[tp]:
                        yield record
            remaining = {tp for tp in remaining if consumer.position(tp) < until[tp]}
    finally:
        consumer.close()


def wait_visible(settings: Settings, topics: Iterable[str], *, timeout_s: float = 30.0) -> None:
    """Return once the broker's metadata shows every topic in ``topics`` with its partitions.

    A topic just created may be missing from the metadata for a moment; a faust worker whose
    producer asked in that moment kept its writes to the topic unsent (faust's producer waits
    up to 20 minutes), so workers wait for their topics before they start.
    """
    consumer = make_consumer(settings, group_id=None)
    try:
        for topic in topics:
            partitions_of(consumer, topic, timeout_s=timeout_s)
    finally:
        consumer.close()


def partitions_of(consumer: KafkaConsumer, topic: str, *, timeout_s: float) -> list[TopicPartition]:
    """The partitions of ``topic`` as ``consumer``'s own metadata has them, waiting up to
    ``timeout_s`` for a topic just created (``TopicNotFound`` after that)."""
    deadline = time.monotonic() + timeout_s
    while not (partitions := consumer.partitions_for_topic(topic)):
        if time.monotonic() > deadline:
            raise TopicNotFound(f"topic {topic} does not exist")
        time.sleep(0.1)
    return [TopicPartition(topic, p) for p in sorted(partitions)]


def delete_prefixed(settings: Settings, groups: Iterable[str] = ()) -> int:
    """Delete every topic under ``settings``' prefix (changelogs included) and the consumer
    ``groups``: what a test or a benchmark made, so the broker does not carry it on (thousands
    of partitions slow every later metadata call and a broker restart). Best effort; returns
    the number of topics asked to be deleted."""
    admin = make_admin(settings)
    try:
        mine = [t for t in admin.list_topics() if t.startswith(settings.topic_prefix)]
        if mine:
            with contextlib.suppress(KafkaError):
                admin.delete_topics(mine, timeout_ms=60_000)
        wanted = list(groups)
        if wanted:
            with contextlib.suppress(KafkaError):
                admin.delete_groups(wanted)
        return len(mine)
    finally:
        admin.close()
