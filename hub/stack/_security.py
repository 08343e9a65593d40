"""The broker's SASL_SSL listener: TLS files, SCRAM users and their ACLs.

The local stack keeps them under ``<stack home>/kafka/security``; a broker in a container
(docker-compose) gets the same layout, in a folder ``dvchub kafka secrets`` writes
(``hub.stack._container``). Every function that makes or reads them takes the folder, and
``provision_broker`` takes the broker's address, so both use the same code. Layout (every
secret 0600, folders 0700, none ever logged)::

    ca.pem, ca.key                 the stack's CA (clients: DVC_KAFKA_CA_FILE=.../ca.pem)
    broker.p12, broker.p12.password the broker's keystore
    users/<principal>.password     one SCRAM-SHA-512 password per service (DVC_KAFKA_PASSWORD_FILE)

SCRAM users (the services' principals and ``admin``) come into being twice over, so that every
data directory ends up with them:

* at storage-format time (``--add-scram``), so that they exist from the broker's first start.
  The tool takes them on its command line, so they are given salted: no password is ever in
  an argv; the salted form (which SCRAM accepts as a login) is visible to this machine's
  ``ps`` for the second the tool runs (and replaced by fresh salts at the provisioning that
  follows the start), and is in no output;
* after every start (``provision``), through the admin API (``alter_user_scram_credentials``):
  this covers a log formatted before security existed and a password file that was deleted
  and made anew. A broker in a container is formatted by its image, without users: there,
  ``dvchub kafka provision`` (``provision_broker``) makes them all.

The broker's own principals, ``broker`` (the INTERNAL listener: inter-broker traffic and this
module's provisioning; loopback in the local stack) and ``controller`` (the CONTROLLER
listener), log in with SASL PLAIN against static entries of ``server.properties`` (0600): they
need no cluster metadata, so provisioning works on any log, even one formatted without SCRAM
users.

The ACLs are then made equal to ``_acls.SERVICE_GRANTS`` for the stack's topic prefix: what is
missing is created; an ACL a service principal holds on a resource the table names, beyond
what the table grants, is deleted. ``grant_prefix`` adds the table's ACLs for another prefix
(the demo's partners section runs on one) and ``revoke_prefix`` takes them away again.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePatternFilter,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kafka.errors import KafkaError

from hub.settings import Settings
from hub.stack._acls import PRINCIPALS, SERVICE_GRANTS, acl_key, all_acls, principal
from hub.stack._exceptions import NotReady, SecretsFolderError

# Re-exported: the broker's principals are this module's business too (tests, the CLI).
from hub.stack._server_properties import BROKER as BROKER
from hub.stack._server_properties import CONTROLLER as CONTROLLER
from hub.stack._tls import TlsFiles, ensure_tls, write_private

MECHANISM = "SCRAM-SHA-512"
_ITERATIONS = 8192
# kafka-python warns on every PLAIN login without TLS; the only ones are the broker principal's
# on the INTERNAL listener: loopback in the local stack, the compose network in docker-compose.
logging.getLogger("kafka.net.sasl.plain").setLevel(logging.ERROR)


def security_dir(settings: Settings) -> Path:
    return settings.kafka_security_dir


def user_password_file(folder: Path, name: str) -> Path:
    """Principal ``name``'s password file in a secrets folder (``DVC_KAFKA_PASSWORD_FILE``)."""
    return folder / "users" / f"{name}.password"


def password_file(settings: Settings, name: str) -> Path:
    """Where the stack keeps principal ``name``'s password (``DVC_KAFKA_PASSWORD_FILE``)."""
    return settings.local_password_file(name)


def ensure_password_files(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """The passwords of ``names`` under ``folder/users/``, generated (32 random bytes, URL-safe)
    the first time and kept afterwards."""
    for private in (folder, folder / "users"):
        private.mkdir(parents=True, exist_ok=True)
        private.chmod(0o700)
    passwords = {}
    for name in names:
        path = user_password_file(folder, name)
        if not path.is_file():
            write_private(path, secrets.token_urlsafe(32).encode())
        passwords[name] = path.read_text().strip()
    return passwords


def read_password_files(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """The passwords of ``names`` as ``folder/users/`` holds them; none is made up: a missing
    or empty file is an error naming the principals (never a password)."""
    passwords: dict[str, str] = {}
    missing = []
    for name in names:
        path = user_password_file(folder, name)
        try:
            password = path.read_text().strip() if path.is_file() else ""
        except OSError as exc:
            raise SecretsFolderError(f"{path}: {exc.strerror or exc}") from exc
        if password:
            passwords[name] = password
        else:
            missing.append(name)
    if missing:
        raise SecretsFolderError(
            f"{folder}: no password for {', '.join(missing)} in users/ "
            "(`dvchub kafka secrets` writes them)"
        )
    return passwords


def ensure_passwords(settings: Settings, names: tuple[str, ...] = PRINCIPALS) -> dict[str, str]:
    """The stack's principals' passwords, generated the first time."""
    return ensure_password_files(security_dir(settings), names)


def ensure_tls_files(settings: Settings) -> TlsFiles:
    return ensure_tls(security_dir(settings), [settings.kafka_host])


def as_service(settings: Settings, name: str) -> Settings:
    """``settings`` of a client of the local stack logging in as service ``name`` (its own
    password file; the protocol, CA and bootstrap as ``settings`` have them)."""
    if name not in PRINCIPALS:
        raise ValueError(f"no principal {name!r} in the ACL table (hub.stack._acls)")
    return settings.model_copy(
        update={"kafka_username": name, "kafka_password": None, "kafka_password_file": None}
    )


def principal_settings(settings: Settings, name: str) -> Settings:
    """``settings`` for a client logging in as the stack's principal ``name`` over SASL_SSL
    (what a service gets from DVC_KAFKA_SECURITY_PROTOCOL=SASL_SSL, DVC_KAFKA_USERNAME=name,
    DVC_KAFKA_PASSWORD_FILE and DVC_KAFKA_CA_FILE)."""
    return settings.model_copy(
        update={
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": MECHANISM,
            "kafka_username": name,
            "kafka_password": None,
            "kafka_password_file": password_file(settings, name),
            "kafka_ca_file": TlsFiles.under(security_dir(settings)).ca_file,
            "bootstrap_servers_override": None,
        }
    )


def scram_format_args(passwords: dict[str, str]) -> list[str]:
    """``--add-scram`` arguments for the storage tool: salted credentials, so the passwords
    themselves are on no command line (``ps``) and in no output."""
    args = []
    for name, password in passwords.items():
        salt = os.urandom(32)
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _ITERATIONS)
        args += [
            "--add-scram",
            f"{MECHANISM}=[name={name},iterations={_ITERATIONS},"
            f'salt="{base64.b64encode(salt).decode()}",'
            f'saltedpassword="{base64.b64encode(salted).decode()}"]',
        ]
    return args


def _upsert_users(admin: KafkaAdminClient, passwords: dict[str, str]) -> None:
    upserts = [
        UserScramCredentialUpsertion(name, ScramMechanism.SCRAM_SHA_512, password, _ITERATIONS)
        for name, password in passwords.items()
    ]
    errors = {u: e for u, e in admin.alter_user_scram_credentials(upserts).items() if e}
    if errors:
        raise NotReady(f"kafka: could not create SCRAM users: {errors}")


def broker_passwords(settings: Settings) -> dict[str, str]:
    """The broker's own PLAIN principals' passwords (``server.properties`` holds them)."""
    return ensure_passwords(settings, (BROKER, CONTROLLER))


def _service_acls(admin: KafkaAdminClient) -> list[ACL]:
    everything = ACLFilter(
        principal=None,
        host=None,
        operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )
    existing, error = admin.describe_acls(everything)
    if error.errno:
        raise NotReady(f"kafka: could not list ACLs: {error}")
    services = {principal(name) for name in SERVICE_GRANTS}
    return [acl for acl in existing if acl.principal in services]


def _delete(admin: KafkaAdminClient, acls: list[ACL]) -> None:
    if acls:
        admin.delete_acls(
            [ACLFilter(a.principal, a.host, a.operation, a.permission_type, a.resource_pattern)
             for a in acls]
        )  # fmt: skip


def _create_missing(admin: KafkaAdminClient, wanted: list[ACL], existing: list[ACL]) -> int:
    """Create the ACLs of ``wanted`` that ``existing`` lacks; how many."""
    have = {acl_key(acl) for acl in existing}
    missing = [acl for acl in wanted if acl_key(acl) not in have]
    if missing and (failed := admin.create_acls(missing)["failed"]):
        raise NotReady(f"kafka: could not create ACLs: {failed}")
    return len(missing)


def _reconcile_acls(admin: KafkaAdminClient, prefix: str) -> tuple[int, int]:
    """Make the ACLs of the service principals on the resources the table names (under
    ``prefix``) equal to the table; (created, deleted)."""
    wanted = {acl_key(acl): acl for acl in all_acls(prefix)}
    existing = _service_acls(admin)
    created = _create_missing(admin, list(wanted.values()), existing)
    # Only resources the table names: grants under a longer prefix (the demo's partners
    # section, another user of this broker) are theirs to keep.
    named = {acl.resource_pattern.resource_name for acl in wanted.values()}
    extra = [
        acl
        for acl in existing
        if acl.resource_pattern.resource_name in named and acl_key(acl) not in wanted
    ]
    _delete(admin, extra)
    return created, len(extra)


@dataclass(frozen=True)
class BrokerLogin:
    """How the broker's own principal reaches its INTERNAL listener (SASL PLAIN): where, and
    with which password (never in ``repr``)."""

    bootstrap: str
    password: str = field(repr=False)


def management_login(settings: Settings) -> BrokerLogin:
    """The local stack's: the loopback INTERNAL listeners of all its nodes (users and ACLs are
    the cluster's, so any node that answers will do)."""
    password = broker_passwords(settings)[BROKER]
    nodes = range(1, settings.kafka_brokers + 1)
    internal = (settings.kafka_node_port(settings.kafka_internal_port, n) for n in nodes)
    return BrokerLogin(",".join(f"127.0.0.1:{port}" for port in internal), password)


@contextmanager
def broker_admin(login: BrokerLogin) -> Iterator[KafkaAdminClient]:
    """An admin client logged in as the broker's own principal, with a short bootstrap
    (kafka-python retries a refused login until then)."""
    admin = KafkaAdminClient(
        bootstrap_servers=login.bootstrap,
        client_id="dvchub-stack",
        bootstrap_timeout_ms=10_000,
        request_timeout_ms=10_000,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_plain_username=BROKER,
        sasl_plain_password=login.password,
    )
    try:
        yield admin
    finally:
        admin.close()


@contextmanager
def management_admin(settings: Settings) -> Iterator[KafkaAdminClient]:
    """``broker_admin`` on the local stack's INTERNAL listener."""
    with broker_admin(management_login(settings)) as admin:
        yield admin


@dataclass(frozen=True)
class Provisioned:
    """What ``provision_broker`` did: users upserted (those the broker lacked named), ACLs made
    and removed. No password in it."""

    prefix: str
    users: tuple[str, ...]
    new_users: tuple[str, ...]
    acls_created: int
    acls_deleted: int

    def report(self) -> list[str]:
        new = f" (new: {', '.join(self.new_users)})" if self.new_users else ""
        return [
            f"kafka: SCRAM users refreshed: {len(self.users)}{new}",
            f"kafka: ACLs for prefix {self.prefix!r}: +{self.acls_created} -{self.acls_deleted}",
        ]


def provision_broker(login: BrokerLogin, passwords: dict[str, str], prefix: str) -> Provisioned:
    """Create or refresh the SCRAM users ``passwords`` names and make the service principals'
    ACLs under ``prefix`` equal to the table, on the running broker ``login`` reaches
    (idempotent). Kafka's errors leave as ``NotReady``."""
    try:
        with broker_admin(login) as admin:
            described = admin.describe_user_scram_credentials()
            known = {user for user, info in described.items() if not info["error"]}
            _upsert_users(admin, passwords)
            created, deleted = _reconcile_acls(admin, prefix)
    except KafkaError as exc:
        raise NotReady(f"kafka: could not provision through {login.bootstrap}: {exc!r}") from exc
    new = tuple(name for name in passwords if name not in known)
    return Provisioned(prefix, tuple(passwords), new, created, deleted)


def provision(settings: Settings, on_progress: Callable[[str], None] = lambda _: None) -> None:
    """Create or refresh the local stack's SCRAM users and ACLs (idempotent)."""
    done = provision_broker(management_login(settings), ensure_passwords(settings),
                            settings.topic_prefix)  # fmt: skip
    if done.acls_created or done.acls_deleted:
        on_progress(done.report()[1])


def grant_prefix(settings: Settings, prefix: str) -> int:
    """Give every service the table's rights on the topics and groups under ``prefix`` too;
    how many ACLs were missing (0: the prefix had them all, the stack's own one for instance)."""
    with management_admin(settings) as admin:
        return _create_missing(admin, all_acls(prefix), _service_acls(admin))


@contextmanager
def services_granted(settings: Settings, prefix: str) -> Iterator[None]:
    """The services' rights under ``prefix`` for the time of the block; taken back after it
    only if the block's start had to give them (never the stack's own prefix)."""
    created = grant_prefix(settings, prefix)
    try:
        yield
    finally:
        if created:
            revoke_prefix(settings, prefix)


def revoke_prefix(settings: Settings, prefix: str) -> None:
    """Take back what ``grant_prefix(settings, prefix)`` gave under ``prefix`` (grants on
    absolute names are every prefix's and stay)."""
    wanted = {
        acl_key(acl)
        for acl in all_acls(prefix)
        if acl.resource_pattern.resource_name.startswith(prefix)
    }
    with management_admin(settings) as admin:
        _delete(admin, [acl for acl in _service_acls(admin) if acl_key(acl) in wanted])
