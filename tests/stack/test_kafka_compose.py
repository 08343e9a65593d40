"""docker-compose's Kafka security without a Docker engine (there is none here): what
``dvchub kafka secrets`` writes, and ``docker-compose.yml`` checked against it by parsing.

Whether a broker boots from those files and ``dvchub kafka provision`` secures it is tested on
real brokers in ``test_kafka_compose_broker.py``.
"""

from __future__ import annotations

import os
import re
import stat
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from typer.testing import CliRunner

from dvchub.cli import app
from hub.settings import REPO_ROOT
from hub.stack import ContainerBroker
from hub.stack._acls import PRINCIPALS
from hub.stack._container import ADMIN_CLIENT, BROKER_CLIENT, BROKER_READS, SERVER_PROPERTIES
from hub.stack._security import BROKER, CONTROLLER, user_password_file
from hub.stack._server_properties import TEMPLATE

COMPOSE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
#: apache/kafka's user (`adduser -D appuser` in its Dockerfile: the first uid, 1000).
APACHE_KAFKA_UID = 1000
ONE_SHOTS = {"kafka-secrets", "kafka-provision"}
#: Each hub service of the compose file and the principal of the ACL table its role is.
SERVICE_PRINCIPALS = {
    "schemas": "admin",  # it creates every hub topic
    "lifecycle": "lifecycle", "api": "api", "portal": "portal", "signing": "signing",
    "apology": "apology",
    "sla": "sla", "kpi-dossiers": "kpi", "kpi": "kpi", "kpi-procedures": "kpi",
    "routing": "routing", "payments": "payments", "outbox-vnpost": "outbox",
    "outbox-national": "outbox", "outbox-emc": "outbox", "outbox-bank": "outbox",
    "outbox-notify": "outbox",
    "vnpost-callbacks": "vnpost-callbacks", "bank-ipn": "bank-ipn",
    "national-intake": "national-intake",
    "evidence-stamper": "evidence", "evidence-archiver": "evidence",
}  # fmt: skip


def dvchub(*args: str) -> str:
    """Run ``dvchub ARGS`` in-process; its output (wide, so no line is wrapped)."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return result.output


def properties(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``folder``: content, modification time, mode."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns,
                                        stat.S_IMODE(path.stat().st_mode))
        for path in folder.rglob("*") if path.is_file()
    }  # fmt: skip


def cert_names(folder: Path) -> set[str]:
    password = (folder / "broker.p12.password").read_text().strip().encode()
    cert = pkcs12.load_key_and_certificates((folder / "broker.p12").read_bytes(), password)[1]
    assert cert is not None
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n) for n in names.get_values_for_type(x509.DNSName)} | {
        str(ip) for ip in names.get_values_for_type(x509.IPAddress)
    }


def test_kafka_secrets_writes_everything_once_then_keeps_it(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    args = ("kafka", "secrets", str(folder), "--host", "kafka", "--host", "kafka.dvc.example")
    first = dvchub(*args)
    files = snapshot(folder)
    users = {str(user_password_file(Path(), n)) for n in (*PRINCIPALS, BROKER, CONTROLLER)}
    tls = {"ca.pem", "ca.key", "broker.p12", "broker.p12.password"}
    assert set(files) == tls | users | {SERVER_PROPERTIES, BROKER_CLIENT, ADMIN_CLIENT}
    assert all(name in first for name in files)  # it says what it wrote

    second = dvchub(*args)
    assert "nothing changed" in second
    assert snapshot(folder) == files  # not one file rewritten

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "users").stat().st_mode) == 0o700
    assert {name for name, (_, _, mode) in files.items() if mode != 0o600} == {"ca.pem"}
    secrets = [path.read_text().strip() for path in (folder / "users").iterdir()]
    secrets.append((folder / "broker.p12.password").read_text().strip())
    assert not [s for s in secrets if s in first + second]
    assert cert_names(folder) >= {"kafka", "kafka.dvc.example", "localhost", "127.0.0.1"}

    server = properties(folder / SERVER_PROPERTIES)
    listeners = "SASL_SSL://0.0.0.0:9092,INTERNAL://0.0.0.0:9094,CONTROLLER://127.0.0.1:9093"
    assert server["listeners"] == listeners
    assert server["advertised.listeners"] == "SASL_SSL://kafka:9092,INTERNAL://kafka:9094"
    no_plaintext = re.compile(r"(?<!SASL_)PLAINTEXT://")
    assert not no_plaintext.search(server["listeners"] + server["advertised.listeners"])
    assert server["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert server["log.dirs"] == "/var/lib/kafka/data"
    assert server["listener.name.sasl_ssl.ssl.keystore.location"] == "/etc/kafka/secrets/broker.p12"
    keystore_password = (folder / "broker.p12.password").read_text().strip()
    assert server["listener.name.sasl_ssl.ssl.keystore.password"] == keystore_password
    for name, listener in ((BROKER, "internal"), (CONTROLLER, "controller")):
        password = user_password_file(folder, name).read_text().strip()
        jaas = server[f"listener.name.{listener}.plain.sasl.jaas.config"]
        assert f'username="{name}" password="{password}"' in jaas
    assert server["authorizer.class.name"].endswith("StandardAuthorizer")
    assert server["allow.everyone.if.no.acl.found"] == "false"

    # Another name for the broker: a new certificate from the same CA; every password kept.
    third = dvchub(*args, "--host", "kafka.other.example")
    assert "broker.p12" in third
    changed = {name for name, content in snapshot(folder).items() if content != files[name]}
    assert changed == {"broker.p12"}
    assert "kafka.other.example" in cert_names(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another uid needs root")
def test_the_broker_s_files_become_its_uid_and_nothing_more(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    dvchub("kafka", "secrets", str(folder), "--host", "kafka", "--owner-uid", "1000")
    broker_reads = {folder, *(folder / name for name in BROKER_READS)}
    for path in broker_reads:
        assert path.stat().st_uid == APACHE_KAFKA_UID, path
    for path in {*folder.rglob("*")} - broker_reads:  # the CA key, users/ and the passwords
        assert path.stat().st_uid == os.geteuid(), path


def test_kafka_provision_makes_up_no_password(tmp_path: Path) -> None:
    """A folder missing password files is refused before any connection, naming the
    principals; nothing is written into it (the services could not know a new password)."""
    folder = tmp_path / "secrets"
    dvchub("kafka", "secrets", str(folder), "--host", "kafka")
    for name in ("portal", BROKER):
        user_password_file(folder, name).unlink()
    before = snapshot(folder)
    result = CliRunner().invoke(
        app, ["kafka", "provision", "--internal", "kafka.invalid:9094", "--secrets", str(folder)],
        env={"COLUMNS": "400"},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "no password for portal, broker" in result.output
    assert snapshot(folder) == before


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())  # resolves the anchors and `<<` merges
    assert isinstance(loaded, dict)
    return loaded


def mount_of(service: dict[str, Any], volume: str) -> tuple[PurePosixPath, bool]:
    """Where ``service`` mounts the named ``volume``, and whether read-only (one mount)."""
    [(target, mode)] = [
        (spec.split(":")[1], spec.split(":")[2:]) for spec in service.get("volumes", [])
        if spec.split(":")[0] == volume
    ]  # fmt: skip
    return PurePosixPath(target), mode == ["ro"]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_every_hub_service_logs_in_as_its_own_principal() -> None:
    services = compose()["services"]
    secrets = services["kafka-secrets"]
    mount, _ = mount_of(secrets, "kafka-secrets")
    hub = {n for n, s in services.items() if s.get("image") == "dvc-hub:local"} - ONE_SHOTS
    assert hub == set(SERVICE_PRINCIPALS)
    prefix = services["lifecycle"]["environment"]["DVC_TOPIC_PREFIX"]
    command = secrets["command"]  # every broker of the cluster (test_kafka_compose_cluster.py)
    nodes = [arg for flag, arg in pairwise(command) if flag == "--voter"]
    for name in sorted(hub):
        service, env = services[name], services[name]["environment"]
        user = env["DVC_KAFKA_USERNAME"]
        assert user == SERVICE_PRINCIPALS[name], name
        assert user in PRINCIPALS, name
        if user != "admin":  # the principal of its own role
            command = service["command"]
            if command[0] == "worker":  # dvchub worker NAME; the KPI folds share `kpi`
                assert command[1].split("-")[0] == user, name
            else:
                assert command[0] == user, name
        assert env["DVC_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name
        assert env["DVC_BOOTSTRAP_SERVERS"] == ",".join(f"{node}:9092" for node in nodes), name
        assert env["DVC_KAFKA_PASSWORD_FILE"] == str(user_password_file(Path(mount), user)), name
        assert env["DVC_KAFKA_CA_FILE"] == str(mount / "ca.pem"), name
        assert "DVC_KAFKA_PASSWORD" not in env, name  # the file, never the value
        assert env["DVC_TOPIC_PREFIX"] == prefix, name
        assert mount_of(service, "kafka-secrets") == (mount, True), name
        ready = service["depends_on"]["kafka-provision"]["condition"]
        assert ready == "service_completed_successfully", name
    assert "DVC_KAFKA_ALLOW_PLAINTEXT" not in COMPOSE.read_text()
    provision = services["kafka-provision"]["command"]
    assert provision[:2] == ["kafka", "provision"]
    assert option(provision, "--prefix") == prefix


def container_path(path: str, mounts: dict[PurePosixPath, Path]) -> Path:
    """The file a container sees at ``path``, under the folder mounted there."""
    for target, folder in mounts.items():
        if PurePosixPath(path).is_relative_to(target):
            return folder / PurePosixPath(path).relative_to(target)
    raise AssertionError(f"{path} is on no mounted volume")


def test_the_broker_and_the_provisioning_find_what_kafka_secrets_writes(tmp_path: Path) -> None:
    """compose's own ``kafka secrets`` command, run into a folder standing for the volume: each
    file the broker, its healthcheck, the provisioning and the services are told to read is
    there, where their mounts put it."""
    services = compose()["services"]
    command = services["kafka-secrets"]["command"]
    volume_target, read_only = mount_of(services["kafka-secrets"], "kafka-secrets")
    assert command[:3] == ["kafka", "secrets", str(volume_target)]
    assert not read_only
    assert int(option(command, "--owner-uid")) == APACHE_KAFKA_UID
    volume = tmp_path / "kafka-secrets"
    # The folder stands for the volume; the files stay ours (not every run may give them away).
    swap = {str(volume_target): str(volume), option(command, "--owner-uid"): str(os.geteuid())}
    dvchub(*[swap.get(arg, arg) for arg in command])
    server = properties(volume / SERVER_PROPERTIES)

    kafka = services["kafka"]
    assert not [key for key in kafka.get("environment", {}) if key.startswith("KAFKA_")]
    assert kafka["depends_on"]["kafka-secrets"]["condition"] == "service_completed_successfully"
    # The image copies server.properties from /mnt/shared/config: the volume is mounted there
    # and where server.properties says the keystore is.
    kafka_mounts = {
        PurePosixPath(spec.split(":")[1]): volume
        for spec in kafka["volumes"] if spec.startswith("kafka-secrets:")
    }  # fmt: skip
    assert container_path("/mnt/shared/config/server.properties", kafka_mounts).is_file()
    keystore = server["listener.name.sasl_ssl.ssl.keystore.location"]
    assert container_path(keystore, kafka_mounts).is_file()
    assert server["log.dirs"] in [spec.split(":")[1] for spec in kafka["volumes"]]
    health = " ".join(kafka["healthcheck"]["test"])
    internal_port = ContainerBroker(hosts=("kafka",)).internal_port
    assert f"--bootstrap-server localhost:{internal_port}" in health
    config = container_path(re.findall(r"--command-config (\S+)", health)[0], kafka_mounts)
    assert config.name == BROKER_CLIENT
    assert properties(config)["sasl.mechanism"] == "PLAIN"

    provision = services["kafka-provision"]
    assert provision["depends_on"]["kafka"]["condition"] == "service_healthy"
    mounts = {mount_of(provision, "kafka-secrets")[0]: volume}
    assert container_path(option(provision["command"], "--secrets"), mounts) == volume
    host = option(command, "--host")
    assert option(provision["command"], "--internal") == f"{host}:{internal_port}"
    assert f"INTERNAL://{host}:{internal_port}" in server["advertised.listeners"]

    for name in SERVICE_PRINCIPALS:
        service = services[name]
        mounts = {mount_of(service, "kafka-secrets")[0]: volume}
        env = service["environment"]
        assert container_path(env["DVC_KAFKA_PASSWORD_FILE"], mounts).is_file(), name
        assert container_path(env["DVC_KAFKA_CA_FILE"], mounts).is_file(), name


def test_the_image_carries_the_template_kafka_secrets_renders() -> None:
    copies = [line.split()[1:] for line in DOCKERFILE.read_text().splitlines()
              if line.startswith("COPY ")]  # fmt: skip
    template = PurePosixPath(TEMPLATE.relative_to(REPO_ROOT))
    assert [str(template), f"./{template.parent}/"] in copies  # WORKDIR is the REPO_ROOT
