"""The broker's security on a stack of its own (ports 39092-39095/38081, a tmp stack home): SCRAM
logins over TLS, one principal per service bound by the ACL table, every refusal a client meets
(a PLAINTEXT client on every listener, ANONYMOUS on the optional PLAINTEXT one), the hub's Avro
serde over it, and a faust worker running on it."""

from __future__ import annotations

import logging
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from kafka import KafkaAdminClient, TopicPartition
from kafka import admin as ka
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from hub import processing
from hub.kafka import (
    ensure_topics,
    make_admin,
    make_consumer,
    make_producer,
    partitions_of,
)
from hub.serde import RegistryClient, serde_for
from hub.settings import Settings
from hub.stack import LocalStack, link_fetched_components
from hub.stack._acls import PRINCIPALS, SERVICE_GRANTS, acl_key, all_acls, principal
from hub.stack._security import (
    BROKER,
    CONTROLLER,
    grant_prefix,
    password_file,
    principal_settings,
    revoke_prefix,
    security_dir,
)
from hub.stack._tls import new_ca
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE, PARTNER_COMMANDS
from tests.lifecycle._support import EventProducer, StateReader, chain, publish_catalog, wait_until

pytestmark = pytest.mark.slow

PREFIX = "sec."
PLAINTEXT_PORT = 39095
EVENTS = DOSSIER_EVENTS.name(PREFIX)
COMMANDS = PARTNER_COMMANDS.name(PREFIX)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    home = tmp_path_factory.mktemp("stack")
    shared = Settings()
    link_fetched_components(shared.stack_home, home)
    settings = shared.model_copy(update={
        "kafka_port": 39092, "kafka_controller_port": 39093, "registry_port": 38081,
        "stack_home": home, "bootstrap_servers_override": None, "registry_url_override": None,
        "partitions": 1, "topic_prefix": PREFIX, "kafka_plaintext_port": PLAINTEXT_PORT,
        # The stack's own settings are its admin's, whatever the environment says.
        "kafka_security_protocol": "SASL_SSL", "kafka_username": "admin", "kafka_password": None,
        "kafka_password_file": None, "kafka_ca_file": None,
    })  # fmt: skip
    own = LocalStack(settings)
    try:
        own.up()
        ensure_topics(as_principal(own, "admin"))  # the admin over SASL_SSL, a super user
        yield own
    finally:
        own.down()


def as_principal(stack: LocalStack, name: str) -> Settings:
    return principal_settings(stack.settings, name)


def _send(settings: Settings, topic: str, value: bytes, key: bytes = b"k") -> int:
    producer = make_producer(settings, max_block_ms=10_000)
    try:
        return int(producer.send(topic, value, key=key).get(timeout=20).offset)
    finally:
        producer.close()


def _read(settings: Settings, topic: str, *, group_id: str | None = None) -> list[bytes]:
    """Every value of the one-partition ``topic``, with ``group_id`` committing its offset."""
    consumer = make_consumer(settings, group_id=group_id)
    try:
        [tp] = partitions_of(consumer, topic, timeout_s=10)
        end = consumer.end_offsets([tp])[tp]
        if group_id is None:
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
        else:
            consumer.subscribe([topic])
        values: list[bytes] = []
        for _ in range(60):
            for records in consumer.poll(timeout_ms=500).values():
                values += [r.value for r in records]
            if consumer.assignment() and consumer.position(tp) >= end:
                break
        if group_id is not None:
            consumer.commit()
        return values
    finally:
        consumer.close()


def _no_connection(settings: Settings) -> None:
    """A client that never gets a usable connection: its bootstrap times out."""
    consumer = make_consumer(settings, group_id=None, bootstrap_timeout_ms=4000)
    try:
        consumer.topics()
    finally:
        consumer.close()


def test_secrets_are_private_and_never_logged(stack: LocalStack) -> None:
    folder = security_dir(stack.settings)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    private = [folder / "ca.key", folder / "broker.p12", folder / "broker.p12.password"]
    everyone = (*PRINCIPALS, BROKER, CONTROLLER)
    private += [password_file(stack.settings, name) for name in everyone]
    private.append(stack.kafka.home / "server.properties")  # it holds the broker's passwords
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in private)
    log = stack.kafka.process.log_file.read_text(errors="replace")
    secrets = [(folder / "broker.p12.password").read_text().strip()]
    secrets += [password_file(stack.settings, name).read_text().strip() for name in everyone]
    assert not [s for s in secrets if s in log]


def test_a_service_produces_and_consumes_with_the_environment_settings(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exactly what a deployed service sets: DVC_KAFKA_* and nothing else."""

    def env_for(name: str) -> Settings:
        monkeypatch.delenv("DVC_BOOTSTRAP_SERVERS", raising=False)
        for key, value in {
            "DVC_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "DVC_KAFKA_PORT": str(stack.settings.kafka_port),
            "DVC_KAFKA_USERNAME": name,
            "DVC_KAFKA_PASSWORD_FILE": str(password_file(stack.settings, name)),
            "DVC_KAFKA_CA_FILE": str(security_dir(stack.settings) / "ca.pem"),
            "DVC_TOPIC_PREFIX": PREFIX,
        }.items():
            monkeypatch.setenv(key, value)
        return Settings()

    routing, outbox = env_for("routing"), env_for("outbox")
    assert outbox.bootstrap_servers == f"127.0.0.1:{stack.settings.kafka_port}"
    sent = [f"command {uuid.uuid4().hex}".encode() for _ in range(3)]
    for value in sent:
        _send(routing, COMMANDS, value)
    group = f"{PREFIX}outbox.test-{uuid.uuid4().hex[:6]}"  # the outbox's group prefix
    assert set(sent) <= set(_read(outbox, COMMANDS, group_id=group))
    consumer = make_consumer(outbox, group_id=group)
    try:
        assert (consumer.committed(TopicPartition(COMMANDS, 0)) or 0) > 0
    finally:
        consumer.close()
    # A group outside its prefix is another service's.
    with pytest.raises(GroupAuthorizationFailedError):
        _read(outbox, COMMANDS, group_id=f"{PREFIX}lifecycle")


def test_the_hub_serde_round_trips_over_sasl_ssl(stack: LocalStack) -> None:
    portal, lifecycle = as_principal(stack, "portal"), as_principal(stack, "lifecycle")
    with RegistryClient(stack.settings.schema_registry_url) as registry:
        producer = EventProducer(portal, registry)
        try:
            events = producer.send(chain(f"HS-{uuid.uuid4().hex[:8]}", "DOSSIER_SUBMITTED"))
        finally:
            producer.close()
        serde = serde_for(DOSSIER_EVENTS, PREFIX, registry)
        decoded = {str(e["event_id"]): e for e in map(serde.decode, _read(lifecycle, EVENTS))}
    sent = events[0]
    assert decoded[str(sent["event_id"])]["dossier_id"] == sent["dossier_id"]
    assert decoded[str(sent["event_id"])]["event_type"] == sent["event_type"]


def test_the_portal_writes_events_but_may_not_read_them(stack: LocalStack) -> None:
    portal = as_principal(stack, "portal")
    assert _send(portal, EVENTS, b"from the portal") >= 0
    with pytest.raises(TopicAuthorizationFailedError):
        _read(portal, EVENTS)
    # Nor may it write where it has no grant.
    with pytest.raises(TopicAuthorizationFailedError):
        _send(portal, COMMANDS, b"forged command")


def test_a_principal_without_acls_is_refused(stack: LocalStack) -> None:
    """A valid login with no grant: it sees no topic and may touch none."""
    admin = make_admin(as_principal(stack, "admin"))
    try:
        upsert = ka.UserScramCredentialUpsertion(
            "nobody", ka.ScramMechanism.SCRAM_SHA_512, "pw-nobody-0123456789"
        )
        assert admin.alter_user_scram_credentials([upsert]) == {"nobody": None}
        nobody = as_principal(stack, "admin").model_copy(
            update={
                "kafka_username": "nobody",
                "kafka_password": SecretStr("pw-nobody-0123456789"),
                "kafka_password_file": None,
            }
        )
        consumer = make_consumer(nobody, group_id=None)
        try:
            assert consumer.topics() == set()
        finally:
            consumer.close()
        with pytest.raises(TopicAuthorizationFailedError):
            _send(nobody, EVENTS, b"forged event")
        # The integrator has grants, but none to write events.
        with pytest.raises(TopicAuthorizationFailedError):
            _send(as_principal(stack, "integrator"), EVENTS, b"forged event")
    finally:
        admin.alter_user_scram_credentials(
            [ka.UserScramCredentialDeletion("nobody", ka.ScramMechanism.SCRAM_SHA_512)]
        )
        admin.close()


def _failed_logins(stack: LocalStack) -> int:
    """The broker's count of refused SCRAM logins (its log says why, the client only sees
    the connection closed or, at times, the authentication error)."""
    log = stack.kafka.process.log_file.read_text(errors="replace")
    return log.count("invalid credentials with SASL mechanism SCRAM-SHA-512")


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
def test_a_failed_login_is_refused(
    stack: LocalStack, who: str, caplog: pytest.LogCaptureFixture
) -> None:
    portal = as_principal(stack, "portal")
    login = (
        {"kafka_password_file": None, "kafka_password": SecretStr("not-the-password")}
        if who == "wrong password"
        else {"kafka_username": "mallory"}
    )
    before = _failed_logins(stack)
    with caplog.at_level(logging.WARNING, logger="kafka"), pytest.raises(KafkaTimeoutError):
        _no_connection(portal.model_copy(update=login))
    assert wait_until(lambda: _failed_logins(stack) > before, timeout_s=10)
    assert "not-the-password" not in caplog.text
    assert _send(portal, EVENTS, b"the right login") >= 0


@pytest.mark.parametrize("listener", ["client", "internal", "controller"])
def test_a_plaintext_client_cannot_connect(stack: LocalStack, listener: str) -> None:
    ports = {"client": stack.settings.kafka_port, "internal": stack.settings.kafka_internal_port,
             "controller": stack.settings.kafka_controller_port}  # fmt: skip
    plain = stack.settings.model_copy(update={
        "kafka_security_protocol": "PLAINTEXT",
        "bootstrap_servers_override": f"127.0.0.1:{ports[listener]}",
    })  # fmt: skip
    with pytest.raises(KafkaTimeoutError):
        _no_connection(plain)


def test_a_client_trusting_another_ca_is_refused(
    stack: LocalStack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, other = new_ca("not the stack's CA")
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    portal = as_principal(stack, "portal").model_copy(update={"kafka_ca_file": other_ca})
    with caplog.at_level(logging.WARNING, logger="kafka"), pytest.raises(KafkaTimeoutError):
        _no_connection(portal)
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_anonymous_on_the_plaintext_listener_may_do_nothing(stack: LocalStack) -> None:
    """The optional PLAINTEXT listener (DVC_KAFKA_PLAINTEXT_PORT) connects, and ANONYMOUS,
    no super user, sees no topic and may write none."""
    anonymous = stack.settings.model_copy(update={"kafka_security_protocol": "PLAINTEXT"})
    assert anonymous.bootstrap_servers == f"127.0.0.1:{PLAINTEXT_PORT}"
    consumer = make_consumer(anonymous, group_id=None)
    try:
        assert consumer.topics() == set()
    finally:
        consumer.close()
    with pytest.raises(TopicAuthorizationFailedError):
        _send(anonymous, EVENTS, b"anonymous")


def _service_acls(admin: KafkaAdminClient) -> set[tuple[str, str, int, int, int, str, int]]:
    everything = ka.ResourcePatternFilter(ka.ResourceType.ANY, None, ka.ACLResourcePatternType.ANY)
    acls, _ = admin.describe_acls(
        ka.ACLFilter(None, None, ka.ACLOperation.ANY, ka.ACLPermissionType.ANY, everything)
    )
    services = {principal(name) for name in SERVICE_GRANTS}
    return {acl_key(acl) for acl in acls if acl.principal in services}


def test_the_acls_are_the_table_and_provisioning_restores_them(stack: LocalStack) -> None:
    admin = make_admin(as_principal(stack, "admin"))
    try:
        assert _service_acls(admin) == {acl_key(acl) for acl in all_acls(PREFIX)}
        stray = ka.ACL(
            principal("portal"), "*", ka.ACLOperation.READ, ka.ACLPermissionType.ALLOW,
            ka.ResourcePattern(ka.ResourceType.TOPIC, EVENTS),
        )  # fmt: skip
        assert not admin.create_acls([stray])["failed"]
        # Users gone, as on a log formatted before the stack made them, and a lost password.
        gone = [
            ka.UserScramCredentialDeletion(n, ka.ScramMechanism.SCRAM_SHA_512) for n in PRINCIPALS
        ]
        admin.alter_user_scram_credentials(gone)
    finally:
        admin.close()
    old_password = password_file(stack.settings, "portal").read_text()
    password_file(stack.settings, "portal").unlink()
    progress: list[str] = []
    stack.kafka.provision(progress.append)  # as the broker's own principal: no SCRAM user needed
    assert any("-1" in line for line in progress)  # the stray READ removed
    assert password_file(stack.settings, "portal").read_text() != old_password
    portal = as_principal(stack, "portal")
    assert _send(portal, EVENTS, b"after provisioning") >= 0
    with pytest.raises(TopicAuthorizationFailedError):
        _read(portal, EVENTS)


def test_a_faust_worker_runs_over_sasl_ssl(stack: LocalStack, tmp_path: Path) -> None:
    """portal -> dossier.events -> lifecycle worker (faust) -> dossier.state -> integrator,
    each its own principal on the secured listener."""
    portal, integrator = as_principal(stack, "portal"), as_principal(stack, "integrator")
    lifecycle = as_principal(stack, "lifecycle")
    env = {
        "DVC_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "DVC_BOOTSTRAP_SERVERS": lifecycle.bootstrap_servers,
        "DVC_SCHEMA_REGISTRY_URL": stack.settings.schema_registry_url,
        "DVC_KAFKA_USERNAME": "lifecycle",
        "DVC_KAFKA_PASSWORD_FILE": str(password_file(stack.settings, "lifecycle")),
        "DVC_KAFKA_CA_FILE": str(security_dir(stack.settings) / "ca.pem"),
    }
    log = tmp_path / "lifecycle.log"
    with RegistryClient(stack.settings.schema_registry_url) as registry:
        publish_catalog(portal, registry)
        worker = processing.WorkerProcess(
            "lifecycle", lifecycle, log, args=("--catalog-grace", "1.5"), env=env
        )
        try:
            worker.wait_ready(timeout_s=120)
            dossier = f"HS-{uuid.uuid4().hex[:8]}"
            producer = EventProducer(portal, registry)
            try:
                events = producer.send(chain(dossier, "DOSSIER_SUBMITTED", "DOSSIER_ACCEPTED"))
            finally:
                producer.close()
            reader = StateReader(integrator, registry, DOSSIER_STATE.name(PREFIX))
            state = wait_until(
                lambda: (s := reader.latest().get(dossier)) and s["version"] == 2 and s,
                timeout_s=90,
            )
        finally:
            worker.stop()
    assert [h["event_id"] for h in state["history"]] == [e["event_id"] for e in events]
    text = log.read_text(errors="replace")
    assert password_file(stack.settings, "lifecycle").read_text().strip() not in text


def test_a_longer_prefix_is_granted_and_revoked_without_touching_the_stack_s(
    stack: LocalStack,
) -> None:
    """The demo's partners section runs on a prefix of its own under the stack's."""
    run_prefix = f"{PREFIX}partners-demo.{uuid.uuid4().hex[:6]}."
    admin = make_admin(as_principal(stack, "admin"))
    try:
        grant_prefix(stack.settings, run_prefix)
        granted = {acl_key(acl) for acl in all_acls(run_prefix)}
        # Absolute names (the signing group) are every prefix's: revoking a run keeps them.
        under_run = {key for key in granted if key[5].startswith(run_prefix)}
        # ACL changes reach the broker from the KRaft controller a moment later: poll
        assert wait_until(lambda: granted <= _service_acls(admin), timeout_s=30)
        stack.kafka.provision()  # the stack's reconciliation keeps the run's grants
        assert wait_until(lambda: granted <= _service_acls(admin), timeout_s=30)
        ensure_topics(as_principal(stack, "admin").model_copy(update={"topic_prefix": run_prefix}))
        portal = as_principal(stack, "portal")
        assert _send(portal, DOSSIER_EVENTS.name(run_prefix), b"in the run") >= 0
        revoke_prefix(stack.settings, run_prefix)
        assert wait_until(lambda: not under_run & _service_acls(admin), timeout_s=30)
        assert {acl_key(acl) for acl in all_acls(PREFIX)} <= _service_acls(admin)
        with pytest.raises(TopicAuthorizationFailedError):
            _send(portal, DOSSIER_EVENTS.name(run_prefix), b"after the run")
    finally:
        admin.close()
