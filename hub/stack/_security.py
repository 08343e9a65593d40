"""The local broker's SASL_SSL listener: TLS files, SCRAM users and their ACLs.

Layout under ``<stack home>/kafka/security`` (every secret 0600, none ever logged)::

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
  and made anew.

The broker's own principals, ``broker`` (the INTERNAL loopback listener: inter-broker traffic
and this module's provisioning) and ``controller`` (the CONTROLLER listener), log in with SASL
PLAIN against static entries of ``server.properties`` (0600): they need no cluster metadata,
so provisioning works on any log, even one formatted without SCRAM users.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

from hub.settings import Settings
from hub.stack._acls import ADMIN, PRINCIPALS, SERVICE_GRANTS, acl_key, all_acls, principal
from hub.stack._exceptions import NotReady
from hub.stack._tls import TlsFiles, ensure_tls, write_private

MECHANISM = "SCRAM-SHA-512"
_ITERATIONS = 8192
# kafka-python warns on every PLAIN login without TLS; the stack's only ones are on loopback
# listeners that never leave this machine, on purpose.
logging.getLogger("kafka.net.sasl.plain").setLevel(logging.ERROR)

#: The broker's own principals (SASL PLAIN on the loopback INTERNAL and CONTROLLER listeners).
BROKER, CONTROLLER = "broker", "controller"
SUPER_USERS = (principal(ADMIN), principal(BROKER), principal(CONTROLLER))


def security_dir(settings: Settings) -> Path:
    return settings.kafka_security_dir


def password_file(settings: Settings, name: str) -> Path:
    """Where the stack keeps principal ``name``'s password (``DVC_KAFKA_PASSWORD_FILE``)."""
    return settings.local_password_file(name)


def ensure_passwords(settings: Settings, names: tuple[str, ...] = PRINCIPALS) -> dict[str, str]:
    """The principals' passwords, generated (32 random bytes, URL-safe) the first time."""
    folder = security_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    passwords = {}
    for name in names:
        path = password_file(settings, name)
        if not path.is_file():
            write_private(path, secrets.token_urlsafe(32).encode())
        passwords[name] = path.read_text().strip()
    return passwords


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


def _reconcile_acls(admin: KafkaAdminClient, prefix: str) -> tuple[int, int]:
    """Make the ACLs of the service principals on the resources the table names (under
    ``prefix``) equal to the table; (created, deleted)."""
    wanted = {acl_key(acl): acl for acl in all_acls(prefix)}
    existing = _service_acls(admin)
    have = {acl_key(acl) for acl in existing}
    missing = [acl for key, acl in wanted.items() if key not in have]
    if missing:
        failed = admin.create_acls(missing)["failed"]
        if failed:
            raise NotReady(f"kafka: could not create ACLs: {failed}")
    # Only resources the table names: grants under a longer prefix (the demo's partners
    # section, another user of this broker) are theirs to keep.
    named = {acl.resource_pattern.resource_name for acl in wanted.values()}
    extra = [
        acl
        for acl in existing
        if acl.resource_pattern.resource_name in named and acl_key(acl) not in wanted
    ]
    _delete(admin, extra)
    return len(missing), len(extra)


def _management_admin(settings: Settings) -> KafkaAdminClient:
    """An admin client logged in as the broker's own principal on the loopback INTERNAL
    listener, with a short bootstrap (kafka-python retries a refused login until then)."""
    return KafkaAdminClient(
        bootstrap_servers=f"127.0.0.1:{settings.kafka_internal_port}",
        client_id="dvchub-stack",
        bootstrap_timeout_ms=10_000,
        request_timeout_ms=10_000,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_plain_username=BROKER,
        sasl_plain_password=broker_passwords(settings)[BROKER],
    )


@contextmanager
def management_admin(settings: Settings) -> Iterator[KafkaAdminClient]:
    admin = _management_admin(settings)
    try:
        yield admin
    finally:
        admin.close()


def provision(settings: Settings, on_progress: Callable[[str], None] = lambda _: None) -> None:
    """Create or refresh the SCRAM users and the ACLs of a running broker (idempotent)."""
    passwords = ensure_passwords(settings)
    with management_admin(settings) as admin:
        _upsert_users(admin, passwords)
        created, deleted = _reconcile_acls(admin, settings.topic_prefix)
    if created or deleted:
        on_progress(f"kafka: ACLs for prefix {settings.topic_prefix!r}: +{created} -{deleted}")


def grant_prefix(settings: Settings, prefix: str) -> int:
    """Give every service the table's rights on the topics and groups under ``prefix`` too;
    how many ACLs were missing (0: the prefix had them all, the stack's own one for instance)."""
    with management_admin(settings) as admin:
        have = {acl_key(acl) for acl in _service_acls(admin)}
        missing = [acl for acl in all_acls(prefix) if acl_key(acl) not in have]
        if missing and (failed := admin.create_acls(missing)["failed"]):
            raise NotReady(f"kafka: could not create ACLs: {failed}")
    return len(missing)


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
    absolute names, such as the signing group, are every prefix's and stay)."""
    wanted = {
        acl_key(acl)
        for acl in all_acls(prefix)
        if acl.resource_pattern.resource_name.startswith(prefix)
    }
    with management_admin(settings) as admin:
        _delete(admin, [acl for acl in _service_acls(admin) if acl_key(acl) in wanted])
