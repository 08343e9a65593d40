"""The local broker's SASL_SSL listener: TLS files, SCRAM users and their ACLs.

Layout under ``<stack home>/kafka/security`` (every secret 0600, none ever logged)::

    ca.pem, ca.key                 the stack's CA (clients: DVC_KAFKA_CA_FILE=.../ca.pem)
    broker.p12, broker.p12.password the broker's keystore
    users/<principal>.password     one SCRAM-SHA-512 password per service (DVC_KAFKA_PASSWORD_FILE)

Users come into being twice over, so that every data directory ends up with them:

* at storage-format time (``--add-scram``), so the ``admin`` principal exists from the
  broker's first start. The tool takes them on its command line, so they are given salted:
  no password is ever in an argv; the salted form (which SCRAM accepts as a login) is
  visible to this machine's ``ps`` for the second the tool runs (and replaced by fresh
  salts at the provisioning that follows the start), and is in no output;
* after every start (``provision``), through the admin API (``alter_user_scram_credentials``):
  this covers a log formatted before security existed and a password file that was deleted
  and made anew. The admin logs in over SASL_SSL; when it cannot (an old log without SCRAM
  users) the users are first written over the loopback PLAINTEXT listener, whose
  ``User:ANONYMOUS`` is a super user for as long as the test suite uses that listener.

The ACLs are then made equal to ``_acls.SERVICE_GRANTS`` for the stack's topic prefix: what is
missing is created, what a service principal holds beyond the table is deleted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import (
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

from hub.kafka import security_config
from hub.settings import Settings
from hub.stack._acls import ADMIN, PRINCIPALS, SERVICE_GRANTS, acl_key, all_acls, principal
from hub.stack._exceptions import NotReady
from hub.stack._tls import TlsFiles, ensure_tls, write_private

MECHANISM = "SCRAM-SHA-512"
_ITERATIONS = 8192
#: The broker's own connections (controller and inter-broker listeners are PLAINTEXT on
#: loopback) authenticate as ANONYMOUS: it is the controller's principal too.
SUPER_USERS = (principal(ADMIN), "User:ANONYMOUS")


def security_dir(settings: Settings) -> Path:
    return settings.stack_home / "kafka" / "security"


def password_file(settings: Settings, name: str) -> Path:
    """Where the stack keeps principal ``name``'s password (``DVC_KAFKA_PASSWORD_FILE``)."""
    return security_dir(settings) / "users" / f"{name}.password"


def ensure_passwords(settings: Settings) -> dict[str, str]:
    """Every principal's password, generated (32 random bytes, URL-safe) the first time."""
    folder = security_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    passwords = {}
    for name in PRINCIPALS:
        path = password_file(settings, name)
        if not path.is_file():
            write_private(path, secrets.token_urlsafe(32).encode())
        passwords[name] = path.read_text().strip()
    return passwords


def ensure_tls_files(settings: Settings) -> TlsFiles:
    return ensure_tls(security_dir(settings), [settings.kafka_host])


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


def _reconcile_acls(admin: KafkaAdminClient, prefix: str) -> tuple[int, int]:
    """Make the ACLs of the service principals equal to the table; (created, deleted)."""
    wanted = {acl_key(acl): acl for acl in all_acls(prefix)}
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
    have = {acl_key(acl) for acl in existing}
    missing = [acl for key, acl in wanted.items() if key not in have]
    if missing:
        failed = admin.create_acls(missing)["failed"]
        if failed:
            raise NotReady(f"kafka: could not create ACLs: {failed}")
    extra = [
        acl
        for acl in existing
        if acl.principal in services
        and acl_key(acl) not in wanted
        # Grants under another topic prefix belong to another stack user of this broker.
        and acl.resource_pattern.resource_name.startswith(prefix)
    ]
    if extra:
        admin.delete_acls(
            [
                ACLFilter(a.principal, a.host, a.operation, a.permission_type, a.resource_pattern)
                for a in extra
            ]
        )
    return len(missing), len(extra)


def _admin(settings: Settings) -> KafkaAdminClient:
    """An admin client with ``settings``' login (hub.kafka.security_config) and a short
    bootstrap: kafka-python retries a refused login until the bootstrap timeout."""
    return KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        client_id="dvchub-stack",
        bootstrap_timeout_ms=10_000,
        **security_config(settings),
    )


def provision(settings: Settings, on_progress: Callable[[str], None] = lambda _: None) -> None:
    """Create or refresh the SCRAM users and the ACLs of a running broker (idempotent)."""
    passwords = ensure_passwords(settings)
    as_admin = principal_settings(settings, ADMIN)
    try:
        admin = _admin(as_admin)
    except KafkaError:
        # A log formatted before the stack made users: the admin cannot log in yet.
        plain = settings.model_copy(
            update={"kafka_security_protocol": "PLAINTEXT", "bootstrap_servers_override": None}
        )
        bootstrap = _admin(plain)
        try:
            _upsert_users(bootstrap, passwords)
        finally:
            bootstrap.close()
        on_progress("kafka: SCRAM users added to a log formatted without them")
        admin = _admin(as_admin)
    try:
        _upsert_users(admin, passwords)
        created, deleted = _reconcile_acls(admin, settings.topic_prefix)
    finally:
        admin.close()
    if created or deleted:
        on_progress(f"kafka: ACLs for prefix {settings.topic_prefix!r}: +{created} -{deleted}")
