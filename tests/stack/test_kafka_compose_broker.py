"""``dvchub kafka provision`` and the files of ``dvchub kafka secrets`` on real brokers, on ports
of their own (free when the module is loaded), one after the other:

* a broker booted from what ``kafka secrets`` writes for compose (as apache/kafka does: its log
  formatted without users), its healthcheck's login, then provisioned by ``kafka provision``
  and used by services logging in as compose's do;
* the local stack's broker, provisioned by ``kafka provision`` from its own security folder.

No Docker engine here: the broker runs from the local stack's jars (the same Kafka version as
compose's image), with the secrets folder where a container would mount it.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import admin as ka
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAuthorizationFailedError

from hub.kafka import ensure_topics, make_admin, make_consumer, make_producer, partitions_of
from hub.net import free_port
from hub.settings import Settings
from hub.stack import ContainerBroker, KafkaNode, link_fetched_components
from hub.stack._acls import PRINCIPALS, SERVICE_GRANTS, acl_key, all_acls, principal
from hub.stack._container import ADMIN_CLIENT, BROKER_CLIENT, SERVER_PROPERTIES
from hub.stack._kafka import new_cluster_id
from hub.stack._process import ManagedProcess, port_open
from hub.stack._security import (
    BROKER,
    BrokerLogin,
    broker_admin,
    principal_settings,
    security_dir,
    user_password_file,
)
from hub.stack._server_properties import INFRA
from hub.topics import DOSSIER_EVENTS, DOSSIER_STATE
from tests.stack.test_kafka_compose import dvchub

pytestmark = pytest.mark.slow


def _free_ports(count: int) -> tuple[int, ...]:
    # Not fixed numbers: a fixed port in the ephemeral range (32768-60999) is taken now and then
    # by some client's outgoing connection, and the broker then fails to bind (seen in CI).
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return tuple(ports)


PORT, CONTROLLER_PORT, INTERNAL_PORT, REGISTRY_PORT = _free_ports(4)
PREFIX = "compose."
EVENTS, STATE = DOSSIER_EVENTS.name(PREFIX), DOSSIER_STATE.name(PREFIX)


def provision(folder: Path) -> str:
    return dvchub("kafka", "provision", "--internal", f"127.0.0.1:{INTERNAL_PORT}",
                  "--secrets", str(folder), "--prefix", PREFIX)  # fmt: skip


def no_connection(settings: Settings) -> None:
    """Raises KafkaTimeoutError when the login is refused (the bootstrap never completes)."""
    consumer = make_consumer(settings, group_id=None, bootstrap_timeout_ms=4000)
    try:
        consumer.topics()
    finally:
        consumer.close()


def send(settings: Settings, topic: str, value: bytes) -> None:
    producer = make_producer(settings, max_block_ms=10_000)
    try:
        producer.send(topic, value, key=b"k").get(timeout=20)
    finally:
        producer.close()


def read(settings: Settings, topic: str) -> list[bytes]:
    """Every value of the one-partition ``topic``, without a group."""
    consumer = make_consumer(settings, group_id=None)
    try:
        [tp] = partitions_of(consumer, topic, timeout_s=10)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        values: list[bytes] = []
        while consumer.position(tp) < end:
            values += [r.value for rs in consumer.poll(timeout_ms=500).values() for r in rs]
        return values
    finally:
        consumer.close()


def no_secret_in(output: str, folder: Path) -> bool:
    return not [p for p in (folder / "users").iterdir() if p.read_text().strip() in output]


@dataclass(frozen=True)
class ComposeBroker:
    """A broker started from the secrets folder alone, as compose's ``kafka`` service is."""

    folder: Path
    java: list[str]

    def as_service(self, name: str) -> Settings:
        """What a compose service's environment gives it (DVC_BOOTSTRAP_SERVERS, DVC_KAFKA_*)."""
        return Settings().model_copy(update={
            "bootstrap_servers_override": f"127.0.0.1:{PORT}", "kafka_username": name,
            "kafka_security_protocol": "SASL_SSL", "kafka_password": None,
            "kafka_password_file": user_password_file(self.folder, name),
            "kafka_ca_file": self.folder / "ca.pem", "topic_prefix": PREFIX, "partitions": 1,
        })  # fmt: skip

    def api_versions(self, bootstrap: str, config: str) -> subprocess.CompletedProcess[str]:
        """kafka-broker-api-versions.sh (compose's healthcheck) with ``--command-config``."""
        command = ["kafka.admin.BrokerApiVersionsCommand", "--bootstrap-server", bootstrap,
                   "--command-config", str(self.folder / config)]  # fmt: skip
        return subprocess.run(
            [*self.java, *command], capture_output=True, text=True, timeout=120, check=False
        )


def _answers(login: BrokerLogin) -> bool:
    if not port_open("127.0.0.1", INTERNAL_PORT):
        return False
    try:
        with broker_admin(login) as admin:
            return bool(admin.describe_cluster().get("brokers"))
    except KafkaError:
        return False


@pytest.fixture(scope="class")
def compose_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeBroker]:
    root = tmp_path_factory.mktemp("compose")
    link_fetched_components(Settings().stack_home, root)
    libs = KafkaNode(Settings().model_copy(update={"stack_home": root})).fetch()
    folder = root / "secrets"
    broker = ContainerBroker(
        hosts=("127.0.0.1",), port=PORT, controller_port=CONTROLLER_PORT,
        internal_port=INTERNAL_PORT, bind_host="127.0.0.1",  # this machine is shared
        secrets_mount=str(folder), data_dir=str(root / "data"),
    )  # fmt: skip
    dvchub("kafka", "secrets", str(folder), "--host", broker.hosts[0],
           "--bind-host", broker.bind_host, "--port", str(PORT),
           "--internal-port", str(INTERNAL_PORT), "--controller-port", str(CONTROLLER_PORT),
           "--secrets-mount", broker.secrets_mount, "--data-dir", broker.data_dir)  # fmt: skip
    log4j = f"-Dlog4j.configuration=file:{INFRA / 'log4j.properties'}"
    java = ["java", "-Xms128m", "-Xmx512m", log4j, "-cp", f"{libs}/*"]
    config = str(folder / SERVER_PROPERTIES)
    # As the image's entrypoint does: format with a cluster id and nothing else (no users).
    format_log = subprocess.run(
        [*java, "kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", config],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert format_log.returncode == 0, format_log.stdout + format_log.stderr
    process = ManagedProcess("kafka", root)
    process.start([*java, "kafka.Kafka", config], cwd=root, ports=broker.listeners.ports())
    try:
        password = user_password_file(folder, BROKER).read_text().strip()
        login = BrokerLogin(f"127.0.0.1:{INTERNAL_PORT}", password)
        process.wait_ready(lambda: _answers(login), Settings().stack_start_timeout_s)
        yield ComposeBroker(folder, java)
    finally:
        process.stop()


class TestABrokerFromComposeFiles:
    def test_it_is_secured_by_kafka_provision(self, compose_broker: ComposeBroker) -> None:
        folder, admin = compose_broker.folder, compose_broker.as_service("admin")
        # Formatted without users, only the broker's own principal gets in: compose's
        # healthcheck logs in as it (its properties file, on INTERNAL) before provisioning.
        with pytest.raises(KafkaTimeoutError):
            no_connection(admin)
        health = compose_broker.api_versions(f"localhost:{INTERNAL_PORT}", BROKER_CLIENT)
        assert health.returncode == 0, health.stderr[-2000:]
        assert f":{INTERNAL_PORT} (id: 1" in health.stdout

        first = provision(folder)
        assert f"SCRAM users refreshed: {len(PRINCIPALS)} (new: {', '.join(PRINCIPALS)})" in first
        assert f"ACLs for prefix '{PREFIX}': +{len(all_acls(PREFIX))} -0" in first
        assert no_secret_in(first, folder)

        ensure_topics(admin)
        value = f"from the portal {uuid.uuid4().hex}".encode()
        portal = compose_broker.as_service("portal")
        send(portal, EVENTS, value)
        assert value in read(compose_broker.as_service("lifecycle"), EVENTS)
        with pytest.raises(TopicAuthorizationFailedError):  # the ACL table is in force
            read(portal, EVENTS)
        # An operator's Kafka tools, as admin over SASL_SSL (admin.properties trusts ca.pem).
        tools = compose_broker.api_versions(f"127.0.0.1:{PORT}", ADMIN_CLIENT)
        assert tools.returncode == 0, tools.stderr[-2000:]

        again = provision(folder)
        assert f"ACLs for prefix '{PREFIX}': +0 -0" in again
        assert "new:" not in again


@pytest.fixture(scope="class")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaNode]:
    """The local stack's broker alone (no registry: nothing here needs one)."""
    home = tmp_path_factory.mktemp("stack")
    shared = Settings()
    link_fetched_components(shared.stack_home, home)
    settings = shared.model_copy(update={
        "kafka_port": PORT, "kafka_controller_port": CONTROLLER_PORT,
        "kafka_internal_port_override": INTERNAL_PORT, "registry_port": REGISTRY_PORT,
        "stack_home": home, "bootstrap_servers_override": None, "registry_url_override": None,
        "partitions": 1, "topic_prefix": PREFIX, "kafka_plaintext_port": None,
        "kafka_security_protocol": "SASL_SSL", "kafka_username": "admin", "kafka_password": None,
        "kafka_password_file": None, "kafka_ca_file": None,
    })  # fmt: skip
    kafka = KafkaNode(settings)
    kafka.start()
    try:
        kafka.process.wait_ready(kafka.is_ready, settings.stack_start_timeout_s)
        kafka.provision()
        ensure_topics(principal_settings(settings, "admin"))
        yield kafka
    finally:
        kafka.process.stop()


def service_acls(admin: ka.KafkaAdminClient) -> set[tuple[str, str, int, int, int, str, int]]:
    everything = ka.ResourcePatternFilter(ka.ResourceType.ANY, None, ka.ACLResourcePatternType.ANY)
    acls, _ = admin.describe_acls(
        ka.ACLFilter(None, None, ka.ACLOperation.ANY, ka.ACLPermissionType.ANY, everything)
    )
    services = {principal(name) for name in SERVICE_GRANTS}
    return {acl_key(acl) for acl in acls if acl.principal in services}


class TestTheLocalStackProvisionedFromItsFolder:
    def test_a_lost_user_comes_back_and_a_stray_acl_goes(self, node: KafkaNode) -> None:
        settings, folder = node.settings, security_dir(node.settings)
        integrator = principal_settings(settings, "integrator")
        stray = ka.ACL(
            principal("portal"), "*", ka.ACLOperation.READ, ka.ACLPermissionType.ALLOW,
            ka.ResourcePattern(ka.ResourceType.TOPIC, EVENTS),
        )  # fmt: skip
        admin = make_admin(principal_settings(settings, "admin"))
        try:
            lost = ka.UserScramCredentialDeletion("integrator", ka.ScramMechanism.SCRAM_SHA_512)
            admin.alter_user_scram_credentials([lost])
            assert not admin.create_acls([stray])["failed"]
            assert acl_key(stray) in service_acls(admin)
            with pytest.raises(KafkaTimeoutError):
                no_connection(integrator)

            first = provision(folder)
            assert "(new: integrator)" in first
            assert f"ACLs for prefix '{PREFIX}': +0 -1" in first
            assert no_secret_in(first, folder)
            assert acl_key(stray) not in service_acls(admin)
            assert service_acls(admin) == {acl_key(acl) for acl in all_acls(PREFIX)}
        finally:
            admin.close()
        # The integrator logs in again, and sees what it may read.
        consumer = make_consumer(integrator, group_id=None)
        try:
            assert STATE in consumer.topics()
        finally:
            consumer.close()
        again = provision(folder)
        assert f"ACLs for prefix '{PREFIX}': +0 -0" in again
        assert "new:" not in again
