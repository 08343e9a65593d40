"""A broker's TLS material: a CA of its own and the broker's certificate, made once (the local
stack's, and docker-compose's through ``dvchub kafka secrets``).

Clients trust ``ca.pem`` (``DVC_KAFKA_CA_FILE``); the broker serves ``broker.p12`` (PKCS12,
AES-256, its password in ``broker.p12.password``). Private keys and passwords are written 0600
and never logged. The CA key is kept so a new broker certificate (another ``DVC_KAFKA_HOST``)
chains to the CA clients already trust.
"""

from __future__ import annotations

import datetime
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from hub.pki import Usage, issue, new_ca, subject_alt_names

__all__ = ["LOOPBACK_NAMES", "TlsFiles", "ensure_tls", "new_ca", "write_private"]

#: Names the broker certificate always answers to, besides ``DVC_KAFKA_HOST``.
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    ca_key: Path
    keystore: Path
    keystore_password_file: Path

    @classmethod
    def under(cls, folder: Path) -> TlsFiles:
        return cls(
            ca_file=folder / "ca.pem",
            ca_key=folder / "ca.key",
            keystore=folder / "broker.p12",
            keystore_password_file=folder / "broker.p12.password",
        )

    def keystore_password(self) -> str:
        return self.keystore_password_file.read_text().strip()


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only (created 0600: never briefly world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    path.chmod(0o600)


def _covers(keystore: Path, password: str, ca: x509.Certificate, hosts: Sequence[str]) -> bool:
    """Whether the existing keystore's certificate was issued by ``ca``, names every host and
    is valid for at least another 30 days."""
    try:
        loaded = pkcs12.load_key_and_certificates(keystore.read_bytes(), password.encode())
    except (OSError, ValueError):
        return False
    cert = loaded[1]
    if cert is None or cert.issuer != ca.subject:
        return False
    remaining = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    if remaining < datetime.timedelta(days=30):
        return False
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return all(name in names for name in subject_alt_names(hosts))


def ensure_tls(
    folder: Path, hosts: Sequence[str], *, ca_name: str = "dvc-hub local stack CA"
) -> TlsFiles:
    """The CA (``ca_name``) and a broker keystore for ``hosts`` (plus loopback) under
    ``folder``: made on the first call, kept afterwards; only the broker certificate is renewed
    when it no longer covers the hosts or is about to expire."""
    files = TlsFiles.under(folder)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the keys, the keystore password and the users' passwords
    hosts = list(dict.fromkeys([*LOOPBACK_NAMES, *hosts]))  # each name once
    if not (files.ca_file.is_file() and files.ca_key.is_file()):
        ca_key, ca = new_ca(ca_name)
        write_private(
            files.ca_key,
            ca_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        files.keystore.unlink(missing_ok=True)  # issued by a CA that is gone
    else:
        ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
        loaded = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        ca_key = loaded
    if not files.keystore_password_file.is_file():
        write_private(files.keystore_password_file, secrets.token_urlsafe(24).encode())
        files.keystore.unlink(missing_ok=True)
    password = files.keystore_password()
    if files.keystore.is_file() and _covers(files.keystore, password, ca, hosts):
        return files
    key, cert = issue(ca_key, ca, "dvc-hub kafka", Usage.SERVER, hosts=hosts)
    # PBES2/AES-256 and an HMAC-SHA256 MAC: what Java 17's PKCS12 keystore reads.
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    write_private(
        files.keystore,
        pkcs12.serialize_key_and_certificates(b"kafka", key, cert, [ca], encryption),
    )
    return files
