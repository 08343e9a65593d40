"""A small X.509 PKI for TLS on loopback: a CA, server and client certificates as PEM files.

For the tests and the demo (``make run``), never for production certificates: those come from
the province's or the partners' CAs. ``CertificateAuthority.create(folder, name)`` makes a CA;
``issue_server`` a certificate for the hosts a client connects to (``127.0.0.1`` and
``localhost`` by default), ``issue_client`` one a partner presents for mutual TLS. Private keys
are written 0600, optionally encrypted with a password. ``client_context`` is the client side:
trust a CA file, optionally present a certificate.

``new_ca`` and ``issue`` are the general functions; the local stack's broker certificate
(``hub.stack._tls``) is the same construction.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "LOOPBACK_NAMES",
    "CertificateAuthority",
    "IssuedCertificate",
    "Usage",
    "client_context",
    "issue",
    "new_ca",
]

#: The names a loopback server certificate answers to.
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_KEY_BITS = 2048
_CA_DAYS = 3650
_LEAF_DAYS = 825  # the longest validity TLS clients commonly accept for a leaf
# Backdated: a certificate made this second must already be valid on a clock a little behind.
_BACKDATE = datetime.timedelta(minutes=5)
_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
_LEAF_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=True,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


class Usage(Enum):
    """Which end of a TLS connection a leaf certificate is for (its extended key usage: a
    server certificate presented by a client is refused, and the reverse)."""

    SERVER = ExtendedKeyUsageOID.SERVER_AUTH
    CLIENT = ExtendedKeyUsageOID.CLIENT_AUTH


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def subject_alt_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    """``hosts`` (IP addresses or DNS names) as subject alternative names."""
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):  # ordered, without duplicates
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def new_ca(common_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed CA that may issue leaf certificates only (path length 0)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(
    ca_key: rsa.RSAPrivateKey,
    ca: x509.Certificate,
    common_name: str,
    usage: Usage,
    *,
    hosts: Sequence[str] = (),
    valid_days: int = _LEAF_DAYS,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A leaf certificate for ``usage``, issued by ``ca``; ``hosts`` (IP addresses or DNS
    names) go into its subject alternative names, which is what TLS clients match."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_LEAF_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage.value]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(subject_alt_names(hosts)), critical=False
        )
    return key, builder.sign(ca_key, hashes.SHA256())


def _write_private(path: Path, data: bytes) -> None:
    """Created 0600: a private key is never briefly readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key as PEM files (the certificate file also holds the
    issuing CA, the chain a peer needs)."""

    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA whose certificate is ``folder/<slug>-ca.pem``; it issues into the same folder."""

    folder: Path
    slug: str
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def create(
        cls, folder: Path, slug: str, common_name: str | None = None
    ) -> CertificateAuthority:
        folder.mkdir(parents=True, exist_ok=True)
        key, cert = new_ca(common_name or f"{slug} test CA")
        authority = cls(folder, slug, key, cert)
        authority.ca_file.write_bytes(_pem(cert))
        return authority

    @property
    def ca_file(self) -> Path:
        return self.folder / f"{self.slug}-ca.pem"

    def issue_server(
        self,
        name: str,
        hosts: Sequence[str] = LOOPBACK_NAMES,
        *,
        password: str | None = None,
        valid_days: int = _LEAF_DAYS,
    ) -> IssuedCertificate:
        """A server certificate for ``hosts``; its key encrypted with ``password`` if given."""
        key, cert = issue(
            self.key, self.cert, name, Usage.SERVER, hosts=hosts, valid_days=valid_days
        )
        return self._write(name, key, cert, password=password)

    def issue_client(self, name: str) -> IssuedCertificate:
        """A client certificate (mutual TLS) with ``name`` as its common name."""
        key, cert = issue(self.key, self.cert, name, Usage.CLIENT)
        return self._write(name, key, cert, password=None)

    def _write(
        self, name: str, key: rsa.RSAPrivateKey, cert: x509.Certificate, *, password: str | None
    ) -> IssuedCertificate:
        issued = IssuedCertificate(self.folder / f"{name}.pem", self.folder / f"{name}.key")
        issued.cert_file.write_bytes(_pem(cert) + _pem(self.cert))
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption()
        )
        _write_private(
            issued.key_file,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            ),
        )
        return issued


def client_context(ca_file: Path, certificate: IssuedCertificate | None = None) -> ssl.SSLContext:
    """A TLS client context trusting only ``ca_file`` (host names checked), presenting
    ``certificate`` when the server asks for one (mutual TLS). For ``httpx``'s ``verify``."""
    context = ssl.create_default_context(cafile=str(ca_file))
    if certificate is not None:
        context.load_cert_chain(certificate.cert_file, certificate.key_file)
    return context
